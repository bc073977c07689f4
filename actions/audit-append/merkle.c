#include "common/compat.h"

#include <string.h>

/* SHA256_* are deprecated in OpenSSL 3 but skip the per-call dispatch of
 * EVP, which dominates for two-block messages. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto.h"

#include "common/log.h"
#include "merkle.h"
#include "sha256.h"
#include "sha256_x2.h"

/*
 * An append or proof needs a few dozen hashes: the in-tree SHA-256 does
 * them without loading libcrypto, which would cost more than the append's
 * sync. Bulk work (--batch, tiles) moves on to OpenSSL's SHA-NI code.
 */
#define SMALL_HASHES 256

static int
sha256_parts(const void *a, size_t alen, const void *b, size_t blen,
    const void *c, size_t clen, merkle_hash out)
{
	static unsigned calls;
	struct sha256 ctx;
	struct sha256_parts m = { { a, b, c }, { alen, blen, clen } };
	SHA256_CTX x;

	if (calls < SMALL_HASHES) {
		calls++;
		/* SHA-NI, one stream run twice, is still ~10x the portable
		 * code; that is most of an append's own instructions. */
		if (sha256_x2_fast()) {
			sha256_x2(&m, &m, out, out);
			return 0;
		}
		sha256_init(&ctx);
		sha256_update(&ctx, a, alen);
		sha256_update(&ctx, b, blen);
		sha256_update(&ctx, c, clen);
		sha256_final(&ctx, out);
		return 0;
	}
	if (SHA256_Init(&x) != 1 || SHA256_Update(&x, a, alen) != 1 ||
	    (blen && SHA256_Update(&x, b, blen) != 1) ||
	    (clen && SHA256_Update(&x, c, clen) != 1) ||
	    SHA256_Final(out, &x) != 1)
		return error_msg("'SHA-256' failed");
	return 0;
}

int
merkle_leaf_hash(const void *data, size_t len, merkle_hash out)
{
	static const uint8_t zero = 0x00;

	return sha256_parts(&zero, 1, data, len, NULL, 0, out);
}

int
merkle_node_hash(const merkle_hash l, const merkle_hash r, merkle_hash out)
{
	static const uint8_t one = 0x01;

	return sha256_parts(
	    &one, 1, l, MERKLE_HASH_LEN, r, MERKLE_HASH_LEN, out);
}

void
merkle_empty_root(merkle_hash out)
{
	static const merkle_hash empty = { 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc,
		0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95,
		0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };

	memcpy(out, empty, MERKLE_HASH_LEN);
}

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static bool
is_pow2(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static unsigned
log2_exact(uint64_t n)
{
	unsigned l = 0;

	while (n > 1) {
		n >>= 1;
		l++;
	}
	return l;
}

int
merkle_range_root(
    const struct merkle_src *s, uint64_t lo, uint64_t hi, merkle_hash out)
{
	uint64_t n = hi - lo, k;
	merkle_hash l, r;

	if (hi < lo)
		return error_msg("invalid tree range [%llu, %llu)",
		    (unsigned long long)lo, (unsigned long long)hi);
	if (n == 0) {
		merkle_empty_root(out);
		return 0;
	}
	if (is_pow2(n) && lo % n == 0)
		return s->node(s->ctx, log2_exact(n), lo / n, out);
	k = split_point(n);
	if (merkle_range_root(s, lo, lo + k, l) < 0 ||
	    merkle_range_root(s, lo + k, hi, r) < 0)
		return -1;
	return merkle_node_hash(l, r, out);
}

int
merkle_root(const struct merkle_src *s, uint64_t size, merkle_hash out)
{
	return merkle_range_root(s, 0, size, out);
}

static int
push_path(merkle_hash *path, size_t *len, const merkle_hash h)
{
	if (*len >= MERKLE_MAX_PATH)
		return error_msg(
		    "proof longer than %d hashes", MERKLE_MAX_PATH);
	memcpy(path[*len], h, MERKLE_HASH_LEN);
	(*len)++;
	return 0;
}

static int
inclusion(const struct merkle_src *s, uint64_t m, uint64_t lo, uint64_t hi,
    merkle_hash *path, size_t *len)
{
	uint64_t n = hi - lo, k;
	merkle_hash h;

	if (n <= 1)
		return 0;
	k = split_point(n);
	if (m - lo < k) {
		if (inclusion(s, m, lo, lo + k, path, len) < 0 ||
		    merkle_range_root(s, lo + k, hi, h) < 0)
			return -1;
	} else {
		if (inclusion(s, m, lo + k, hi, path, len) < 0 ||
		    merkle_range_root(s, lo, lo + k, h) < 0)
			return -1;
	}
	return push_path(path, len, h);
}

int
merkle_inclusion_proof(const struct merkle_src *s, uint64_t index,
    uint64_t size, merkle_hash *path, size_t *len)
{
	*len = 0;
	if (index >= size)
		return error_msg("index %llu is outside a tree of size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	return inclusion(s, index, 0, size, path, len);
}

static int
subproof(const struct merkle_src *s, uint64_t m, uint64_t lo, uint64_t hi,
    bool whole, merkle_hash *path, size_t *len)
{
	uint64_t n = hi - lo, k;
	merkle_hash h;

	if (m == n) {
		if (whole)
			return 0;
		if (merkle_range_root(s, lo, hi, h) < 0)
			return -1;
		return push_path(path, len, h);
	}
	k = split_point(n);
	if (m <= k) {
		if (subproof(s, m, lo, lo + k, whole, path, len) < 0 ||
		    merkle_range_root(s, lo + k, hi, h) < 0)
			return -1;
	} else {
		if (subproof(s, m - k, lo + k, hi, false, path, len) < 0 ||
		    merkle_range_root(s, lo, lo + k, h) < 0)
			return -1;
	}
	return push_path(path, len, h);
}

int
merkle_consistency_proof(const struct merkle_src *s, uint64_t m, uint64_t n,
    merkle_hash *path, size_t *len)
{
	*len = 0;
	if (m > n)
		return error_msg("old size %llu is larger than new size %llu",
		    (unsigned long long)m, (unsigned long long)n);
	if (m == 0 || m == n)
		return 0;
	return subproof(s, m, 0, n, true, path, len);
}

int
merkle_verify_inclusion(uint64_t index, uint64_t size, const merkle_hash leaf,
    const uint8_t *path, size_t len, const merkle_hash root)
{
	uint64_t fn = index, sn = size - 1;
	merkle_hash r;
	size_t i;

	if (index >= size)
		return error_msg("index %llu is outside a tree of size %llu",
		    (unsigned long long)index, (unsigned long long)size);
	memcpy(r, leaf, MERKLE_HASH_LEN);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			return error_msg(
			    "inclusion proof has %zu extra hashes", len - i);
		if ((fn & 1) || fn == sn) {
			if (merkle_node_hash(path + 32 * i, r, r) < 0)
				return -1;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (merkle_node_hash(r, path + 32 * i, r) < 0)
			return -1;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return error_msg("inclusion proof is too short");
	if (memcmp(r, root, MERKLE_HASH_LEN) != 0)
		return error_msg("inclusion proof does not lead to the root");
	return 0;
}

int
merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash r1,
    const merkle_hash r2, const uint8_t *path, size_t len)
{
	merkle_hash fr, sr;
	uint64_t fn, sn;
	size_t i = 0;

	if (m > n)
		return error_msg("old size %llu is larger than new size %llu",
		    (unsigned long long)m, (unsigned long long)n);
	if (m == 0 || m == n) {
		if (len != 0)
			return error_msg("consistency proof must be empty for "
			                 "sizes %llu -> %llu",
			    (unsigned long long)m, (unsigned long long)n);
		if (m == n && memcmp(r1, r2, MERKLE_HASH_LEN) != 0)
			return error_msg("same size %llu but different roots",
			    (unsigned long long)m);
		return 0;
	}
	if (len == 0)
		return error_msg("empty consistency proof");
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	if (is_pow2(m)) {
		memcpy(fr, r1, MERKLE_HASH_LEN);
	} else {
		memcpy(fr, path, MERKLE_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, MERKLE_HASH_LEN);
	for (; i < len; i++) {
		if (sn == 0)
			return error_msg("consistency proof has extra hashes");
		if ((fn & 1) || fn == sn) {
			if (merkle_node_hash(path + 32 * i, fr, fr) < 0 ||
			    merkle_node_hash(path + 32 * i, sr, sr) < 0)
				return -1;
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else if (merkle_node_hash(sr, path + 32 * i, sr) < 0)
			return -1;
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return error_msg("consistency proof is too short");
	if (memcmp(fr, r1, MERKLE_HASH_LEN) != 0)
		return error_msg(
		    "consistency proof does not match the old root");
	if (memcmp(sr, r2, MERKLE_HASH_LEN) != 0)
		return error_msg(
		    "consistency proof does not match the new root");
	return 0;
}

uint64_t
merkle_stored_index(unsigned level, uint64_t k)
{
	uint64_t i = 0;
	unsigned l;

	/* Level l's k-th hash follows level l-1's (2k+1)-th hash. */
	for (l = level; l > 0; l--)
		k = 2 * k + 1;
	for (; k > 0; k >>= 1)
		i += k;
	return i + level;
}

uint64_t
merkle_stored_count(uint64_t n)
{
	uint64_t c, i;

	if (n == 0)
		return 0;
	c = merkle_stored_index(0, n - 1) + 1;
	for (i = n - 1; i & 1; i >>= 1)
		c++;
	return c;
}

uint64_t
merkle_size_for_stored(uint64_t count)
{
	uint64_t lo = 0, hi = count, mid;

	/* stored_count(n) >= n, so the answer lies in [0, count]. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (merkle_stored_count(mid) <= count)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

void
merkle_stack_init(struct merkle_stack *st)
{
	memset(st, 0, sizeof(*st));
}

int
merkle_stack_push(struct merkle_stack *st, const merkle_hash leaf,
    merkle_hash out[65], unsigned *nout)
{
	uint64_t i = st->size;
	unsigned n = 0;

	memcpy(st->h[st->nh++], leaf, MERKLE_HASH_LEN);
	memcpy(out[n++], leaf, MERKLE_HASH_LEN);
	for (; i & 1; i >>= 1) {
		if (merkle_node_hash(st->h[st->nh - 2], st->h[st->nh - 1],
		        st->h[st->nh - 2]) < 0)
			return -1;
		st->nh--;
		memcpy(out[n++], st->h[st->nh - 1], MERKLE_HASH_LEN);
	}
	st->size++;
	*nout = n;
	return 0;
}

int
merkle_stack_root(const struct merkle_stack *st, merkle_hash out)
{
	merkle_hash r;
	unsigned j;

	if (st->nh == 0) {
		merkle_empty_root(out);
		return 0;
	}
	memcpy(r, st->h[st->nh - 1], MERKLE_HASH_LEN);
	for (j = st->nh - 1; j > 0; j--)
		if (merkle_node_hash(st->h[j - 1], r, r) < 0)
			return -1;
	memcpy(out, r, MERKLE_HASH_LEN);
	return 0;
}

static int
mem_node(void *ctx, unsigned level, uint64_t k, merkle_hash out)
{
	const struct merkle_mem *m = ctx;
	uint64_t width = (uint64_t)1 << level, lo = k * width;
	merkle_hash l, r;

	if (lo + width > m->n)
		return error_msg("node %u/%llu is outside the tree", level,
		    (unsigned long long)k);
	if (level == 0) {
		memcpy(out, m->leaves[lo], MERKLE_HASH_LEN);
		return 0;
	}
	if (mem_node(ctx, level - 1, 2 * k, l) < 0 ||
	    mem_node(ctx, level - 1, 2 * k + 1, r) < 0)
		return -1;
	return merkle_node_hash(l, r, out);
}

void
merkle_mem_src(struct merkle_mem *m, struct merkle_src *s)
{
	s->node = mem_node;
	s->ctx = m;
}
