#include "common/compat.h"

#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heal.h"
#include "prefilter_int.h"

/*
 * A "Teddy" prefilter (after Hyperscan and Rust's aho-corasick) in front
 * of the automaton, in two stages.
 *
 * 1. Each pattern is represented by a window of four of its bytes, at an
 *    offset of up to PF_MAXOFF into it (prefilter_build.c chooses them);
 *    the windows are spread over eight buckets. A position is marked
 *    when, for some bucket, each of the four bytes from it has its low
 *    and its high nibble in that bucket's sets: with AVX2, eight shuffles
 *    per 32 positions. With ~120 patterns the sets of a bucket are wide,
 *    so this stage marks a few positions per line of ordinary text.
 * 2. A marked position stays marked only if its four bytes hash to the
 *    hash of some window (one bit test in an 8 KiB table). This leaves
 *    few marks but the real windows.
 *
 * A pattern starts at most `lead` bytes before the mark of its window;
 * the automaton confirms (ac.c).
 *
 * Runtime dispatch: glibc's CPU_FEATURE_ACTIVE rather than CPUID or
 * __builtin_cpu_supports (see actions/audit-append/cpu.c); without AVX2,
 * or with BULWARK_NO_SIMD set, heal_pf_build returns NULL and the caller
 * keeps the plain lanes.
 */

#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<sys/platform/x86.h>) && __has_include(<immintrin.h>)
#include <immintrin.h>
#include <sys/platform/x86.h>
#define HAVE_TEDDY 1
#endif
#endif

#define NPOS PF_NPOS
/* output a dense block sends to the lanes before the next try */
#define REST ((size_t)1 << 20)

/* Bucket bits of position i, by the scalar tables; bytes past the end
 * match anything (a superset is safe). */
static unsigned
cand_at(const struct heal_pf *pf, const unsigned char *p, size_t len, size_t i)
{
	unsigned m = 0xff;
	int k;

	for (k = 0; k < NPOS && i + (size_t)k < len; k++) {
		unsigned char c = p[i + (size_t)k];
		m &= (unsigned)(pf->lo[k][c & 15] & pf->hi[k][c >> 4]);
	}
	return m;
}

/* Stage 2: clears the marks whose four bytes are no window. */
static void
keep_windows(const struct heal_pf *pf, const unsigned char *p, size_t len,
    size_t at, size_t n, uint32_t *bits)
{
	size_t w, i;
	uint32_t m, v;
	unsigned h;

	for (w = 0; w < (n + 31) / 32; w++)
		for (m = bits[w]; m; m &= m - 1) {
			i = at + w * 32 + (size_t)__builtin_ctz(m);
			if (i + NPOS <= len) {
				memcpy(&v, p + i, 4);
				v = le32toh(v);
				h = pf_hash(v);
				if (pf->win[h / 64] >> (h % 64) & 1)
					continue;
			}
			/* no window here: a whole one would fit in len */
			bits[w] &= ~(m & -m);
		}
}

#ifdef HAVE_TEDDY
static bool
have_avx2(void)
{
	/* -1 unknown; racing first calls store the same answer */
	static _Atomic int have = -1;
	int v = have;

	if (v < 0) {
		v = getenv("BULWARK_NO_SIMD") == NULL &&
		    CPU_FEATURE_ACTIVE(AVX2);
		have = v;
	}
	return v != 0;
}

/* Bucket bits of the 32 positions from q for window byte k. */
#define NIBBLES(k)                                                             \
	_mm256_and_si256(                                                      \
	    _mm256_shuffle_epi8(lo##k, _mm256_and_si256(v##k, nib)),           \
	    _mm256_shuffle_epi8(                                               \
	        hi##k, _mm256_and_si256(_mm256_srli_epi16(v##k, 4), nib)))

__attribute__((target("avx2"))) static size_t
mark_avx2(const struct heal_pf *pf, const unsigned char *p, size_t len,
    size_t at, size_t n, uint32_t *bits)
{
	/* spelled out for the four window bytes: as a loop, gcc keeps the
	 * tables in memory and does not unroll */
	const __m256i nib = _mm256_set1_epi8(15);
	const __m256i lo0 = _mm256_loadu_si256((const void *)pf->lo[0]);
	const __m256i lo1 = _mm256_loadu_si256((const void *)pf->lo[1]);
	const __m256i lo2 = _mm256_loadu_si256((const void *)pf->lo[2]);
	const __m256i lo3 = _mm256_loadu_si256((const void *)pf->lo[3]);
	const __m256i hi0 = _mm256_loadu_si256((const void *)pf->hi[0]);
	const __m256i hi1 = _mm256_loadu_si256((const void *)pf->hi[1]);
	const __m256i hi2 = _mm256_loadu_si256((const void *)pf->hi[2]);
	const __m256i hi3 = _mm256_loadu_si256((const void *)pf->hi[3]);
	size_t i = 0;

	_Static_assert(NPOS == 4, "mark_avx2 reads four window bytes");
	for (; i + 32 <= n && at + i + 32 + NPOS - 1 <= len; i += 32) {
		const unsigned char *q = p + at + i;
		__m256i v0 = _mm256_loadu_si256((const void *)q);
		__m256i v1 = _mm256_loadu_si256((const void *)(q + 1));
		__m256i v2 = _mm256_loadu_si256((const void *)(q + 2));
		__m256i v3 = _mm256_loadu_si256((const void *)(q + 3));
		__m256i m =
		    _mm256_and_si256(_mm256_and_si256(NIBBLES(0), NIBBLES(1)),
		        _mm256_and_si256(NIBBLES(2), NIBBLES(3)));

		bits[i / 32] = ~(uint32_t)_mm256_movemask_epi8(
		    _mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
	}
	return i;
}
#endif

struct heal_pf *
heal_pf_build(const char *const *pats, size_t n)
{
#ifdef HAVE_TEDDY
	if (have_avx2())
		return pf_new(pats, n);
#endif
	(void)pats;
	(void)n;
	return NULL;
}

void
heal_pf_mark(const struct heal_pf *pf, const char *s, size_t len, size_t at,
    size_t n, uint32_t *bits)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

#ifdef HAVE_TEDDY
	i = mark_avx2(pf, p, len, at, n, bits);
#endif
	/* the tail, and the bytes too close to the end for a vector */
	for (; i < n; i++) {
		if (i % 32 == 0)
			bits[i / 32] = 0;
		if (cand_at(pf, p, len, at + i))
			bits[i / 32] |= (uint32_t)1 << (i % 32);
	}
	if (pf->exact)
		keep_windows(pf, p, len, at, n, bits);
}

size_t
heal_pf_lead(const struct heal_pf *pf)
{
	return pf->lead;
}

bool
heal_pf_resting(struct heal_pf *pf, size_t len)
{
	size_t r = pf->rest;

	if (r == 0)
		return false;
	pf->rest = r > len ? r - len : 0;
	return true;
}

void
heal_pf_rest(struct heal_pf *pf)
{
	pf->rest = REST;
}

void
heal_pf_free(struct heal_pf *pf)
{
	free(pf);
}
