#ifndef SIGN_CHECKSUMS_H
#define SIGN_CHECKSUMS_H

#include "common/buf.h"
#include "common/compat.h"
#include "digest.h"

/*
 * SHA256SUMS in coreutils format: "<64 hex>  <name>\n" (text mode, two
 * spaces), names as given so `sha256sum -c` run from the same directory
 * finds them. A name containing '\n' or '\\' is written in coreutils'
 * escaped form ("\\" prefix on the line). Appends to out.
 */
int checksums_format(
    const struct digest_item *items, size_t n, struct buf *out);

#endif
