#ifndef SIGN_DIGEST_H
#define SIGN_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "common/hash.h"

/*
 * SHA-256 of many files at once: a small pool of pthreads takes files from a
 * shared index, each hashed with hash_file's large reads. The caller owns
 * the array; `path` is borrowed. On return every entry has `ok` set or
 * `err` holding the errno-style reason (the message is logged once).
 */
struct digest_item {
	const char *path;
	uint8_t sha256[HASH_SHA256_LEN];
	uint64_t size;
	bool ok;
};

/* threads <= 0: one per online CPU (at most n). Returns -1 if any failed. */
int digest_files(struct digest_item *items, size_t n, int threads);

#endif
