#include "common/compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "heal.h"

/*
 * A "Teddy" prefilter (after Hyperscan and Rust's aho-corasick) in front
 * of the automaton: the first four bytes of every pattern, case-folded,
 * are spread over eight buckets; a byte position is a candidate when,
 * for some bucket, each of the four bytes from it has its low nibble
 * and its high nibble in that bucket's sets. With AVX2 that is eight
 * shuffles per 32 positions, several times cheaper than one automaton
 * step per byte. Candidates are a superset of the positions where a
 * pattern starts; the automaton confirms them (ac.c).
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

#define NPOS 4
#define NBUCKET 8
/* output a dense block sends to the lanes before the next try */
#define REST ((size_t)1 << 20)

struct heal_pf {
	/* lo[k], hi[k]: bucket bits by nibble of the byte at offset k,
	 * each 16-entry table twice (AVX2 shuffles within 128-bit halves) */
	uint8_t lo[NPOS][32];
	uint8_t hi[NPOS][32];
	/* bytes left before the filter is tried again, after a block where
	 * candidates were too dense to pay (a hint, not state: any value
	 * gives the same results) */
	_Atomic size_t rest;
};

static unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int
popcount16(unsigned v)
{
	int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Chance (x 2^32) that a uniform random 4-byte string hits a bucket with
 * these nibble sets: the greedy assignment keeps the sum small. */
static uint64_t
bucket_cost(const unsigned lo[NPOS], const unsigned hi[NPOS])
{
	uint64_t c = 1;
	int k;

	for (k = 0; k < NPOS; k++)
		c *= (uint64_t)(popcount16(lo[k]) * popcount16(hi[k]));
	return c;
}

static struct heal_pf *
pf_new(const char *const *pats, size_t n)
{
	struct heal_pf *pf = xcalloc(1, sizeof(*pf));
	unsigned lo[NBUCKET][NPOS] = { { 0 } }, hi[NBUCKET][NPOS] = { { 0 } };
	bool used[NBUCKET] = { false };
	size_t i;
	int b, k, j;

	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)pats[i];
		unsigned pl[NPOS], ph[NPOS], tl[NPOS], th[NPOS];
		uint64_t best = 0, cost;
		int pick = -1, alt = 0;

		if (!*p)
			continue; /* matches nothing */
		for (k = 0; k < NPOS; k++) {
			if (p[k] == '\0') {
				/* shorter than NPOS: any byte from here */
				for (; k < NPOS; k++)
					pl[k] = ph[k] = 0xffff;
				break;
			}
			pl[k] = 1u << (fold(p[k]) & 15);
			ph[k] = 1u << (fold(p[k]) >> 4);
		}
		for (b = 0; b < NBUCKET && pick < 0; b++)
			if (!used[b])
				pick = b;
		for (b = 0; b < NBUCKET && pick < 0; b++) {
			for (k = 0; k < NPOS; k++) {
				tl[k] = lo[b][k] | pl[k];
				th[k] = hi[b][k] | ph[k];
			}
			cost = bucket_cost(tl, th) - bucket_cost(lo[b], hi[b]);
			if (b == 0 || cost < best) {
				best = cost;
				alt = b;
			}
		}
		if (pick < 0)
			pick = alt;
		used[pick] = true;
		for (k = 0; k < NPOS; k++) {
			lo[pick][k] |= pl[k];
			hi[pick][k] |= ph[k];
		}
	}
	for (b = 0; b < NBUCKET; b++)
		for (k = 0; k < NPOS; k++)
			for (j = 0; j < 16; j++) {
				uint8_t bit = (uint8_t)(1u << b);
				if (lo[b][k] & (1u << j))
					pf->lo[k][j] = pf->lo[k][j + 16] =
					    (uint8_t)(pf->lo[k][j] | bit);
				if (hi[b][k] & (1u << j))
					pf->hi[k][j] = pf->hi[k][j + 16] =
					    (uint8_t)(pf->hi[k][j] | bit);
			}
	return pf;
}

/* Bucket bits of position i, by the scalar tables; bytes past the end
 * match anything (a superset is safe). */
static unsigned
cand_at(const struct heal_pf *pf, const unsigned char *p, size_t len, size_t i)
{
	unsigned m = 0xff;
	int k;

	for (k = 0; k < NPOS && i + (size_t)k < len; k++) {
		unsigned char c = fold(p[i + (size_t)k]);
		m &= (unsigned)(pf->lo[k][c & 15] & pf->hi[k][c >> 4]);
	}
	return m;
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

__attribute__((target("avx2"))) static inline __m256i
fold32(__m256i v)
{
	/* 'A'..'Z' moved to -128..-103, then one signed compare */
	__m256i t = _mm256_add_epi8(v, _mm256_set1_epi8(128 - 'A'));
	__m256i up = _mm256_cmpgt_epi8(_mm256_set1_epi8(-128 + 26), t);
	return _mm256_or_si256(v, _mm256_and_si256(up, _mm256_set1_epi8(32)));
}

__attribute__((target("avx2"))) static size_t
mark_avx2(const struct heal_pf *pf, const unsigned char *p, size_t len,
    size_t at, size_t n, uint32_t *bits)
{
	const __m256i nib = _mm256_set1_epi8(15);
	__m256i lo[NPOS], hi[NPOS];
	size_t i = 0;
	int k;

	for (k = 0; k < NPOS; k++) {
		lo[k] = _mm256_loadu_si256((const __m256i *)pf->lo[k]);
		hi[k] = _mm256_loadu_si256((const __m256i *)pf->hi[k]);
	}
	for (; i + 32 <= n && at + i + 32 + NPOS - 1 <= len; i += 32) {
		const unsigned char *q = p + at + i;
		__m256i m = _mm256_set1_epi8(-1);

		for (k = 0; k < NPOS; k++) {
			__m256i v = fold32(
			    _mm256_loadu_si256((const __m256i *)(q + k)));
			__m256i l = _mm256_shuffle_epi8(
			    lo[k], _mm256_and_si256(v, nib));
			__m256i h = _mm256_shuffle_epi8(hi[k],
			    _mm256_and_si256(_mm256_srli_epi16(v, 4), nib));
			m = _mm256_and_si256(m, _mm256_and_si256(l, h));
		}
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
	(void)pf_new;
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
