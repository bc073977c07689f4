#ifndef BULWARK_HASH_H
#define BULWARK_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "common/compat.h"

/*
 * SHA-256 through OpenSSL EVP (uses SHA-NI/AVX2 where the CPU has them).
 * hash_ctx owns an EVP context: hash_release frees it (safe on a zeroed or
 * released struct). Errors return -1 with a message.
 */
#define HASH_SHA256_LEN 32

struct hash_ctx {
	void *md; /* EVP_MD_CTX */
};
#define HASH_CTX_INIT                                                          \
	{                                                                      \
		NULL                                                           \
	}

int hash_init(struct hash_ctx *c);
int hash_update(struct hash_ctx *c, const void *data, size_t len);
/* Finalises; the context can be re-initialised with hash_init. */
int hash_final(struct hash_ctx *c, uint8_t out[HASH_SHA256_LEN]);
void hash_release(struct hash_ctx *c);

int hash_sha256(const void *data, size_t len, uint8_t out[HASH_SHA256_LEN]);
/*
 * Hashes a whole file with large reads (1 MiB, posix_fadvise sequential).
 * *size (if non-NULL) receives the byte count.
 */
int hash_file(const char *path, uint8_t out[HASH_SHA256_LEN], uint64_t *size);
int hash_fd(int fd, uint8_t out[HASH_SHA256_LEN], uint64_t *size);

/* out must hold 2n+1 bytes; lowercase. */
void hash_hex(const uint8_t *d, size_t n, char *out);
/* Exactly 2n hex digits (either case) -> n bytes; -1 otherwise. */
int hash_from_hex(const char *hex, uint8_t *out, size_t n);
/* Constant-time in n: no early exit on the first difference. */
bool hash_equal(const void *a, const void *b, size_t n);

#endif
