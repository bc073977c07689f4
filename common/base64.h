#ifndef BULWARK_BASE64_H
#define BULWARK_BASE64_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

/*
 * RFC 4648 base64, standard alphabet with padding (what signed notes,
 * Sigstore bundles and DSSE use), and the URL-safe unpadded variant (JWTs).
 * Decoding is strict: wrong length, bad characters or non-zero pad bits
 * are errors (-1 with a message); nothing is appended on error.
 */
int base64_encode(struct buf *out, const void *data, size_t len);
int base64_decode(struct buf *out, const char *s, size_t len);
int base64url_encode(struct buf *out, const void *data, size_t len);
int base64url_decode(struct buf *out, const char *s, size_t len);

#endif
