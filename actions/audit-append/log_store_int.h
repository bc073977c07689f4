#ifndef AUDIT_LOG_STORE_INT_H
#define AUDIT_LOG_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "log_store.h"

/*
 * Shared by log_store.c (open/close), log_recover.c (the index after a
 * crash) and log_append.c (reads and appends); not for other callers.
 */

/* Finds the indexed size; a writer brings the index up to date. */
int log_recover(struct log_store *l, bool write, bool lenient);

/* Index records of appended lines, computed before they are written. */
struct log_index {
	struct buf hashes, offs; /* records to append to each file */
	uint64_t end;            /* entries_end after the lines */
	size_t n;                /* lines */
	merkle_hash root;        /* new root, if root_ok */
	bool root_ok;
};
#define LOG_INDEX_INIT                                                         \
	{                                                                      \
		BUF_INIT(SIZE_MAX), BUF_INIT(SIZE_MAX), 0, 0, { 0 }, false     \
	}
void log_index_release(struct log_index *x);

/* Computes the records of n framed lines at p (reads and hashes only);
 * leaf (if not NULL) receives n leaf hashes. */
int log_index_prepare(struct log_store *l, const char *p, size_t len, size_t n,
    merkle_hash *leaf, struct log_index *x);
/* Writes them (the lines must be durable in `entries` already, no sync:
 * the index can be rebuilt from `entries`) and advances the size. */
int log_index_commit(struct log_store *l, const struct log_index *x);
/* Both, for lines that are already durable (recovery). */
int log_index_lines(struct log_store *l, const char *p, size_t len, size_t n,
    merkle_hash *leaf);

#endif
