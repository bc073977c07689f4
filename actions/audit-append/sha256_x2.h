#ifndef AUDIT_SHA256_X2_H
#define AUDIT_SHA256_X2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 of two independent messages at once, for verify's millions of
 * short RFC 6962 hashes. With SHA-NI the two compressions are interleaved:
 * sha256rnds2 has a latency of several cycles, and one stream leaves the
 * unit idle in between. Without SHA-NI (other CPUs, other arches) it falls
 * back to sha256.c; callers with a faster fallback ask sha256_x2_fast().
 *
 * A message is up to three pieces hashed as their concatenation, so
 * 0x00 || entry and 0x01 || left || right need no copy. Pieces are
 * borrowed for the call; unused ones have n == 0.
 */
struct sha256_parts {
	const uint8_t *p[3];
	size_t n[3];
};

/* Whether this CPU runs the SHA-NI code (checked once, thread-safe;
 * BULWARK_NO_SIMD in the environment forces the portable code). */
bool sha256_x2_fast(void);

/* out_a = SHA-256(a), out_b = SHA-256(b). a and b may be the same. */
void sha256_x2(const struct sha256_parts *a, const struct sha256_parts *b,
    uint8_t out_a[32], uint8_t out_b[32]);

#endif
