#ifndef AUDIT_MERKLE_H
#define AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/*
 * RFC 6962 / RFC 9162 Merkle trees over SHA-256 (research/tlog.md §1):
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right),
 * empty tree = SHA-256("").
 *
 * Hashes of perfect subtrees come from a `struct merkle_src`: node(level, k)
 * is the root of leaves [k*2^level, (k+1)*2^level). The on-disk log serves
 * them from its stored-hash file (Go tlog order, see merkle_stored_index),
 * tests from memory. Every proof or root needs O(log n) node reads.
 *
 * Proofs are arrays of MERKLE_MAX_PATH hashes at most (a 2^64 tree); the
 * caller owns them. All functions return 0 or -1 with a message; the
 * verify functions return -1 without touching errno semantics.
 */
#define MERKLE_HASH_LEN 32
#define MERKLE_MAX_PATH 128

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

struct merkle_src {
	int (*node)(void *ctx, unsigned level, uint64_t k, merkle_hash out);
	void *ctx;
};

int merkle_leaf_hash(const void *data, size_t len, merkle_hash out);
int merkle_node_hash(const merkle_hash l, const merkle_hash r, merkle_hash out);
void merkle_empty_root(merkle_hash out);

/* MTH(D[lo:hi]) for a range the RFC recursion produces (lo aligned). */
int merkle_range_root(
    const struct merkle_src *s, uint64_t lo, uint64_t hi, merkle_hash out);
int merkle_root(const struct merkle_src *s, uint64_t size, merkle_hash out);

/* PATH(index, D[size]) and PROOF(m, D[n]); *len receives the count. */
int merkle_inclusion_proof(const struct merkle_src *s, uint64_t index,
    uint64_t size, merkle_hash *path, size_t *len);
int merkle_consistency_proof(const struct merkle_src *s, uint64_t m, uint64_t n,
    merkle_hash *path, size_t *len);

/* RFC 9162 §2.1.3.2 and §2.1.4.2; 0 if the proof holds, -1 otherwise
 * (with a message saying why). */
int merkle_verify_inclusion(uint64_t index, uint64_t size,
    const merkle_hash leaf, const uint8_t *path, size_t len,
    const merkle_hash root);
int merkle_verify_consistency(uint64_t m, uint64_t n, const merkle_hash r1,
    const merkle_hash r2, const uint8_t *path, size_t len);

/*
 * Stored-hash order (Go x/mod/sumdb/tlog): appending leaf i writes its leaf
 * hash followed by the roots of the perfect subtrees it completes, lowest
 * first. merkle_stored_index gives the position of node(level, k);
 * merkle_stored_count the number of hashes a tree of n leaves stores.
 */
uint64_t merkle_stored_index(unsigned level, uint64_t k);
uint64_t merkle_stored_count(uint64_t n);
/* Largest n with merkle_stored_count(n) <= count. */
uint64_t merkle_size_for_stored(uint64_t count);

/*
 * Streaming builder: feed leaf hashes in order; after each merkle_stack_push
 * `out`/`nout` hold the hashes the stored order appends for that leaf
 * (1 + trailing ones of the index). Holds at most 64 pending roots.
 */
struct merkle_stack {
	merkle_hash h[64];
	unsigned nh;
	uint64_t size;
};
void merkle_stack_init(struct merkle_stack *st);
int merkle_stack_push(struct merkle_stack *st, const merkle_hash leaf,
    merkle_hash out[65], unsigned *nout);
/* Root of everything pushed so far. */
int merkle_stack_root(const struct merkle_stack *st, merkle_hash out);

/* In-memory source over an array of leaf hashes (tests, small trees). */
struct merkle_mem {
	merkle_hash *leaves; /* borrowed */
	uint64_t n;
};
void merkle_mem_src(struct merkle_mem *m, struct merkle_src *s);

#endif
