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

/*
 * Writes the index records (hashes, offsets) of n framed lines at p,
 * already durable in `entries`, and advances the size. No sync: the index
 * can be rebuilt from `entries`. leaf (if not NULL) receives n hashes.
 */
int log_index_lines(struct log_store *l, const char *p, size_t len, size_t n,
    merkle_hash *leaf);

#endif
