#ifndef AUDIT_VERIFY_SCAN_INT_H
#define AUDIT_VERIFY_SCAN_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

/*
 * Shared by verify_scan.c (the parallel pass over the mapped files) and
 * verify_report.c (strict JSON checks, messages, the verify_scan entry
 * point); not for other callers.
 */
#define CHUNK_ENTRIES ((uint64_t)1 << 14)
#define MAX_THREADS 16

/* Kinds of problem, in the order a sequential pass meets them per entry. */
enum scan_kind {
	SCAN_OK,
	SCAN_FRAME,         /* no proper line at the expected offset */
	SCAN_OFFSETS_SHORT, /* offsets has no end for the entry */
	SCAN_OFFSET,        /* offsets disagrees with the line end */
	SCAN_HASHES_SHORT,  /* hashes has no k-th hash for the entry */
	SCAN_HASH,          /* k-th stored hash differs from the computed one */
	SCAN_ERROR          /* SHA-256 itself failed */
};

struct scan_fail {
	enum scan_kind kind;
	uint64_t chunk, i, at, avail, end, actual, pos;
	unsigned k;
	bool empty;
	merkle_hash stored, computed;
};

struct map {
	const uint8_t *p;
	size_t len;
};

struct scan {
	struct map ent, off, hash;
	uint64_t size, nchunks;
	atomic_uint_fast64_t next; /* next chunk to claim */
	atomic_uint_fast64_t stop; /* lowest failing chunk so far */
};

/* Maps a whole file read-only (m->p NULL for an empty file). */
int scan_map_fd(int fd, const char *name, struct map *m);
void scan_unmap(struct map *m);
/* Runs the workers; returns the first problem (kind SCAN_OK if none). */
void scan_all(struct scan *s, struct scan_fail *first);

#endif
