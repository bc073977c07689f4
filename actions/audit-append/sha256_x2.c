#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "sha256_x2.h"
#include "cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_X86 1
#include <immintrin.h>
#endif

/* Copies block `idx` of the padded message (FIPS 180-4 5.1.1) into out. */
static void
padded_block(
    const struct sha256_parts *m, uint64_t total, uint64_t idx, uint8_t out[64])
{
	uint64_t off = idx * 64, at = 0, bits = total * 8, s, e;
	unsigned i;

	memset(out, 0, 64);
	for (i = 0; i < 3; at += m->n[i], i++) {
		/* Overlap of piece i, [at, at + n), with [off, off + 64). */
		s = at > off ? at : off;
		e = at + m->n[i] < off + 64 ? at + m->n[i] : off + 64;
		if (s < e)
			memcpy(out + (s - off), m->p[i] + (s - at),
			    (size_t)(e - s));
	}
	if (total >= off && total < off + 64)
		out[total - off] = 0x80;
	if ((total + 8) / 64 == idx)
		for (i = 0; i < 8; i++)
			out[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
}

static uint64_t
total_len(const struct sha256_parts *m)
{
	return (uint64_t)m->n[0] + m->n[1] + m->n[2];
}

/* Number of blocks after padding: the 0x80 byte and the 8-byte length. */
static uint64_t
block_count(uint64_t total)
{
	return (total + 8) / 64 + 1;
}

static void
portable(const struct sha256_parts *m, uint8_t out[32])
{
	struct sha256 c;
	unsigned i;

	sha256_init(&c);
	for (i = 0; i < 3; i++)
		if (m->n[i] > 0)
			sha256_update(&c, m->p[i], m->n[i]);
	sha256_final(&c, out);
}

#ifdef HAVE_X86
/* The initial state in the ABEF/CDGH lane order sha256rnds2 works in. */
static const uint32_t IV_ABEF[4] __attribute__((aligned(16))) = { 0x9b05688c,
	0x510e527f, 0xbb67ae85, 0x6a09e667 };
static const uint32_t IV_CDGH[4] __attribute__((aligned(16))) = { 0x5be0cd19,
	0x1f83d9ab, 0xa54ff53a, 0x3c6ef372 };
static const uint8_t BSWAP[16] __attribute__((aligned(16))) = { 3, 2, 1, 0, 7,
	6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12 };

#define NI __attribute__((target("sha,sse4.1,ssse3")))

/* Message words 4i..4i+3 from the previous sixteen (w[i & 3] holds i-4). */
#define SCHEDULE(w, i)                                                         \
	(w)[(i)&3] = _mm_sha256msg2_epu32(                                     \
	    _mm_add_epi32(                                                     \
	        _mm_sha256msg1_epu32((w)[(i)&3], (w)[((i) + 1) & 3]),          \
	        _mm_alignr_epi8((w)[((i) + 3) & 3], (w)[((i) + 2) & 3], 4)),   \
	    (w)[((i) + 3) & 3])

/* Four rounds: two sha256rnds2, each taking two words of w + K. */
#define ROUNDS4(s0, s1, wk)                                                    \
	do {                                                                   \
		(s1) = _mm_sha256rnds2_epu32((s1), (s0), (wk));                \
		(s0) = _mm_sha256rnds2_epu32(                                  \
		    (s0), (s1), _mm_shuffle_epi32((wk), 0x0e));                \
	} while (0)

/* One block of each stream; the two dependency chains are independent,
 * so the core overlaps them. */
NI static void
compress_x2(__m128i st[4], const uint8_t *ba, const uint8_t *bb)
{
	const __m128i bswap = _mm_load_si128((const void *)BSWAP);
	__m128i a0 = st[0], a1 = st[1], b0 = st[2], b1 = st[3], wa[4], wb[4], k;
	int i;

#pragma GCC unroll 16
	for (i = 0; i < 16; i++) {
		if (i < 4) {
			wa[i] = _mm_shuffle_epi8(
			    _mm_loadu_si128((const void *)(ba + 16 * i)),
			    bswap);
			wb[i] = _mm_shuffle_epi8(
			    _mm_loadu_si128((const void *)(bb + 16 * i)),
			    bswap);
		} else {
			SCHEDULE(wa, i);
			SCHEDULE(wb, i);
		}
		k = _mm_load_si128((const void *)(sha256_k + 4 * i));
		ROUNDS4(a0, a1, _mm_add_epi32(wa[i & 3], k));
		ROUNDS4(b0, b1, _mm_add_epi32(wb[i & 3], k));
	}
	st[0] = _mm_add_epi32(st[0], a0);
	st[1] = _mm_add_epi32(st[1], a1);
	st[2] = _mm_add_epi32(st[2], b0);
	st[3] = _mm_add_epi32(st[3], b1);
}

/* ABEF/CDGH back to big-endian H0..H7. */
NI static void
store_digest(__m128i abef, __m128i cdgh, uint8_t out[32])
{
	const __m128i bswap = _mm_load_si128((const void *)BSWAP);
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	__m128i dcba = _mm_blend_epi16(feba, dchg, 0xf0);
	__m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);

	_mm_storeu_si128((void *)out, _mm_shuffle_epi8(dcba, bswap));
	_mm_storeu_si128((void *)(out + 16), _mm_shuffle_epi8(hgfe, bswap));
}

/* A block that lies inside one piece is read in place (a long entry
 * after its 0x00 prefix); only blocks across pieces or in the padding are
 * copied. */
static const uint8_t *
block_ptr(
    const struct sha256_parts *m, uint64_t total, uint64_t idx, uint8_t tmp[64])
{
	uint64_t off = idx * 64, at = 0;
	unsigned i;

	for (i = 0; i < 3 && off + 64 <= total; at += m->n[i], i++)
		if (off >= at && off + 64 <= at + m->n[i])
			return m->p[i] + (off - at);
	padded_block(m, total, idx, tmp);
	return tmp;
}

/* A message of at most 119 bytes (RFC 6962 nodes and short leaves)
 * padded into its one or two blocks in one pass. */
static void
pad_short(const struct sha256_parts *m, uint64_t total, uint8_t out[128])
{
	size_t at = 0, end = total <= 55 ? 64 : 128;
	unsigned i;

	for (i = 0; i < 3; at += m->n[i], i++)
		if (m->n[i] > 0)
			memcpy(out + at, m->p[i], m->n[i]);
	out[at] = 0x80;
	memset(out + at + 1, 0, end - at - 3);
	out[end - 2] = (uint8_t)(total >> 5);
	out[end - 1] = (uint8_t)(total << 3);
}

/* Block idx of m: from `pad` (short messages, padded once up front),
 * in place, or copied into tmp. */
static const uint8_t *
next_block(const struct sha256_parts *m, uint64_t total, uint64_t idx,
    const uint8_t pad[128], uint8_t tmp[64])
{
	if (total <= 119)
		return pad + 64 * idx;
	return block_ptr(m, total, idx, tmp);
}

NI static void
ni_x2(const struct sha256_parts *a, const struct sha256_parts *b,
    uint8_t out_a[32], uint8_t out_b[32])
{
	uint8_t ta[128], tb[128];
	uint64_t la = total_len(a), lb = total_len(b);
	uint64_t na = block_count(la), nb = block_count(lb), i;
	__m128i st[4];

	st[0] = st[2] = _mm_load_si128((const void *)IV_ABEF);
	st[1] = st[3] = _mm_load_si128((const void *)IV_CDGH);
	if (la <= 119)
		pad_short(a, la, ta);
	if (lb <= 119)
		pad_short(b, lb, tb);
	/* The shorter stream runs alongside itself once it is done. */
	for (i = 0; i < na || i < nb; i++) {
		const uint8_t *pa = NULL, *pb = NULL;
		__m128i keep[2];

		if (i < na)
			pa = next_block(a, la, i, ta, ta);
		if (i < nb)
			pb = next_block(b, lb, i, tb, tb);
		if (pa != NULL && pb != NULL) {
			compress_x2(st, pa, pb);
			continue;
		}
		keep[0] = st[pa != NULL ? 2 : 0];
		keep[1] = st[pa != NULL ? 3 : 1];
		compress_x2(st, pa != NULL ? pa : pb, pb != NULL ? pb : pa);
		st[pa != NULL ? 2 : 0] = keep[0];
		st[pa != NULL ? 3 : 1] = keep[1];
	}
	store_digest(st[0], st[1], out_a);
	store_digest(st[2], st[3], out_b);
}

#endif

bool
sha256_x2_fast(void)
{
#ifdef HAVE_X86
	return cpu_has_sha_ni();
#else
	return false;
#endif
}

void
sha256_x2(const struct sha256_parts *a, const struct sha256_parts *b,
    uint8_t out_a[32], uint8_t out_b[32])
{
#ifdef HAVE_X86
	if (sha256_x2_fast()) {
		ni_x2(a, b, out_a, out_b);
		return;
	}
#endif
	portable(a, out_a);
	portable(b, out_b);
}
