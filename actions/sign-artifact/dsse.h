#ifndef SIGN_DSSE_H
#define SIGN_DSSE_H

#include <stddef.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * DSSE v1. PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP
 * body, LEN the ASCII decimal byte count. The signature covers the PAE
 * bytes, so the payload type is bound to the signature.
 */
#define DSSE_INTOTO_TYPE "application/vnd.in-toto+json"

/* Appends PAE(type, body) to out. */
int dsse_pae(struct buf *out, const char *type, const void *body, size_t len);

/*
 * Parses a PAE blob back into its parts (used by the fuzzer and by tests to
 * check round trips). On success type/body point into `pae`. Strict:
 * decimal lengths without leading zeros, exact total length.
 */
int dsse_pae_parse(const void *pae, size_t len, const char **type,
    size_t *type_len, const char **body, size_t *body_len);

#endif
