#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "sha256_many.h"
#include "cpu.h"

#define LANES 16

/* Total length of a message that pads to exactly two blocks. */
#define TWO_MIN 56
#define TWO_MAX 119

static size_t
msg_len(const struct sha256_parts *m)
{
	return m->n[0] + m->n[1] + m->n[2];
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_AVX512 1
#include <immintrin.h>

static const uint32_t IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

#define AVX512 __attribute__((target("avx512f,avx512bw")))
#define ROR(x, n) _mm512_ror_epi32((x), (n))
#define XOR3(a, b, c) _mm512_ternarylogic_epi32((a), (b), (c), 0x96)
#define ADD(a, b) _mm512_add_epi32((a), (b))

/* A 16x16 transpose of 32-bit words: w[j] lane i = r[i] lane j. It turns
 * one block per row into one message word per vector, and back. */
AVX512 static inline __attribute__((always_inline)) void
transpose(__m512i r[16], __m512i w[16])
{
	__m512i t[16];
	int i;

	for (i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
	}
	for (i = 0; i < 16; i += 4) {
		r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
		r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
		r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
		r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
	}
	for (i = 0; i < 4; i++) {
		t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
		t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
		t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
		t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
	}
	for (i = 0; i < 4; i++) {
		w[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
		w[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
		w[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
		w[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
	}
}

AVX512 static inline __attribute__((always_inline)) __m512i
bswap32(__m512i x)
{
	return _mm512_shuffle_epi8(
	    x, _mm512_broadcast_i32x4(_mm_setr_epi8(
	           3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12)));
}

/* One block in every lane (FIPS 180-4 6.2.2), state s[0..7] = a..h. */
AVX512 static __attribute__((noinline)) void
compress16(__m512i s[8], const __m512i win[16])
{
	__m512i a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5],
	        g = s[6], h = s[7], t1, t2, x, y, w[16];
	int i;

	for (i = 0; i < 16; i++)
		w[i] = win[i];

#pragma GCC unroll 64
	for (i = 0; i < 64; i++) {
		if (i >= 16) {
			x = w[(i - 15) & 15];
			y = w[(i - 2) & 15];
			w[i & 15] = ADD(ADD(w[i & 15], w[(i - 7) & 15]),
			    ADD(XOR3(ROR(x, 7), ROR(x, 18),
			            _mm512_srli_epi32(x, 3)),
			        XOR3(ROR(y, 17), ROR(y, 19),
			            _mm512_srli_epi32(y, 10))));
		}
		t1 = ADD(ADD(h, XOR3(ROR(e, 6), ROR(e, 11), ROR(e, 25))),
		    ADD(_mm512_ternarylogic_epi32(e, f, g, 0xca),
		        ADD(w[i & 15], _mm512_set1_epi32((int)sha256_k[i]))));
		t2 = ADD(XOR3(ROR(a, 2), ROR(a, 13), ROR(a, 22)),
		    _mm512_ternarylogic_epi32(a, b, c, 0xe8));
		h = g;
		g = f;
		f = e;
		e = ADD(d, t1);
		d = c;
		c = b;
		b = a;
		a = ADD(t1, t2);
	}
	s[0] = ADD(s[0], a);
	s[1] = ADD(s[1], b);
	s[2] = ADD(s[2], c);
	s[3] = ADD(s[3], d);
	s[4] = ADD(s[4], e);
	s[5] = ADD(s[5], f);
	s[6] = ADD(s[6], g);
	s[7] = ADD(s[7], h);
}

/* Sixteen two-block messages, already padded into rows. */
AVX512 static void
hash16(uint8_t rows[LANES][128], uint8_t *out[LANES])
{
	__m512i s[8], w[16], r[16];
	int i, b;

	for (i = 0; i < 8; i++)
		s[i] = _mm512_set1_epi32((int)IV[i]);
	for (b = 0; b < 2; b++) {
		for (i = 0; i < 16; i++)
			r[i] = _mm512_loadu_si512(
			    (const void *)(rows[i] + 64 * b));
		transpose(r, w);
		for (i = 0; i < 16; i++)
			w[i] = bswap32(w[i]);
		compress16(s, w);
	}
	/* Back to one digest per row: words 0..7 of each transposed row. */
	for (i = 0; i < 16; i++)
		r[i] = i < 8 ? s[i] : _mm512_setzero_si512();
	transpose(r, w);
	for (i = 0; i < 16; i++)
		_mm256_storeu_si256((__m256i *)(void *)out[i],
		    _mm512_castsi512_si256(bswap32(w[i])));
}

/* Up to 128 bytes with masked moves: no call, no byte loop, and no
 * access outside [src, src + n) (masked-off bytes are not read). */
AVX512 static inline __attribute__((always_inline)) void
copy_short(uint8_t *dst, const uint8_t *src, size_t n)
{
	__mmask64 k;

	if (n > 64) {
		_mm512_storeu_si512((void *)dst, _mm512_loadu_si512(src));
		dst += 64;
		src += 64;
		n -= 64;
	}
	k = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
	_mm512_mask_storeu_epi8(dst, k, _mm512_maskz_loadu_epi8(k, src));
}

/* The padded two blocks of a 56..119-byte message. */
AVX512 static void
pad_two(const struct sha256_parts *m, size_t len, uint8_t row[128])
{
	size_t at = 0;
	unsigned i;

	_mm512_store_si512((void *)row, _mm512_setzero_si512());
	_mm512_store_si512((void *)(row + 64), _mm512_setzero_si512());
	for (i = 0; i < 3; i++) {
		if (m->n[i] > 0)
			copy_short(row + at, m->p[i], m->n[i]);
		at += m->n[i];
	}
	row[len] = 0x80;
	row[126] = (uint8_t)(len >> 5);
	row[127] = (uint8_t)(len << 3);
}
#endif

/* The messages m[idx[0..n)] two at a time (the last one with itself). */
static void
pairs(const struct sha256_parts *m, const size_t *idx, size_t n,
    uint8_t (*out)[32])
{
	size_t j, b;

	for (j = 0; j < n; j += 2) {
		b = j + 1 < n ? idx[j + 1] : idx[j];
		sha256_x2(&m[idx[j]], &m[b], out[idx[j]], out[b]);
	}
}

bool
sha256_many_fast(void)
{
#ifdef HAVE_AVX512
	if (cpu_has_avx512bw())
		return true;
#endif
	return sha256_x2_fast();
}

void
sha256_many(const struct sha256_parts *m, size_t n, uint8_t (*out)[32])
{
	size_t rest[2 * LANES], nrest = 0, i, len;

#ifdef HAVE_AVX512
	uint8_t rows[LANES][128] __attribute__((aligned(64)));
	uint8_t *dst[LANES];
	size_t nrow = 0;
	bool wide = cpu_has_avx512bw();
#endif

	for (i = 0; i < n; i++) {
		len = msg_len(&m[i]);
#ifdef HAVE_AVX512
		if (wide && len >= TWO_MIN && len <= TWO_MAX) {
			pad_two(&m[i], len, rows[nrow]);
			dst[nrow++] = out[i];
			if (nrow == LANES) {
				hash16(rows, dst);
				nrow = 0;
			}
			continue;
		}
#endif
		rest[nrest++] = i;
		if (nrest == 2 * LANES) {
			pairs(m, rest, nrest, out);
			nrest = 0;
		}
	}
	if (nrest > 0)
		pairs(m, rest, nrest, out);
#ifdef HAVE_AVX512
	/* A part-filled group: idle lanes hash a copy of the first message
	 * into a spare digest. */
	if (nrow > 0) {
		uint8_t spare[32];

		for (i = nrow; i < LANES; i++) {
			memcpy(rows[i], rows[0], 128);
			dst[i] = spare;
		}
		hash16(rows, dst);
	}
#endif
}
