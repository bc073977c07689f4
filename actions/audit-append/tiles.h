#ifndef AUDIT_TILES_H
#define AUDIT_TILES_H

#include <stdint.h>

#include "common/buf.h"
#include "log_store.h"

/*
 * C2SP tlog-tiles static export of the first `size` entries:
 *   <out>/checkpoint                 the signed checkpoint (given)
 *   <out>/tile/<L>/<N>[.p/<W>]       256 hashes per full tile; level L holds
 *                                    tree nodes of height 8L
 *   <out>/tile/entries/<N>[.p/<W>]   entry bundles: u16 BE length + bytes
 * N is written in 3-digit groups, "x"-prefixed except the last
 * (1234067 -> x001/x234/067). Files are written atomically; existing full
 * tiles are immutable and left alone.
 */
int tiles_path(struct buf *out, const char *level, uint64_t n, unsigned w);
int tiles_export(struct log_store *l, uint64_t size, const char *note,
    size_t note_len, const char *out, uint64_t *files);

#endif
