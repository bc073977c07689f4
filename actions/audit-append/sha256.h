#ifndef AUDIT_SHA256_H
#define AUDIT_SHA256_H

#include <stddef.h>
#include <stdint.h>

/*
 * A small portable SHA-256 (FIPS 180-4) for the few hashes one append or
 * proof needs: it spares those commands loading libcrypto, which costs
 * more than the fdatasync of an append. Bulk hashing (verify) uses
 * sha256_many.h (AVX-512, SHA-NI), or OpenSSL on CPUs without them; this
 * is also the last fallback of sha256_x2.
 */
struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t nbuf;
};

/* The FIPS 180-4 round constants, 64-byte aligned for SIMD loads. */
extern const uint32_t sha256_k[64];

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[32]);

#endif
