#ifndef AUDIT_SHA256_MANY_H
#define AUDIT_SHA256_MANY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256_x2.h"

/*
 * SHA-256 of many independent short messages, for verify. Where the CPU
 * has AVX-512, messages of exactly two blocks (56..119 bytes: RFC 6962
 * nodes and most leaves) are hashed sixteen at a time, one per 32-bit
 * lane; that is about twice SHA-NI's rate per block on this kind of CPU,
 * whose sha256rnds2 is bound by throughput, not latency. The rest go
 * through sha256_x2 in pairs.
 */

/* Whether sha256_many beats one OpenSSL call per message (SIMD present). */
bool sha256_many_fast(void);

/* out[i] = SHA-256(m[i]) for i < n; messages are borrowed for the call. */
void sha256_many(const struct sha256_parts *m, size_t n, uint8_t (*out)[32]);

#endif
