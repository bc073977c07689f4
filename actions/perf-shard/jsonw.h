#ifndef PERF_SHARD_JSONW_H
#define PERF_SHARD_JSONW_H

#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * Pieces of JSON written straight into a buffer, byte-identical to what
 * cJSON_Print gives for the same value: strings escaped as cJSON does
 * (\" \\ \b \f \n \r \t, other control bytes as \u00XX, everything else
 * raw) and integers as cJSON prints a double. For big files (a plan of a
 * million tests) this avoids building a tree of a million nodes.
 * Every function returns 0, or -1 when the buffer's cap is reached.
 */
int jsonw_str(struct buf *b, const char *s);
/* An integer as cJSON prints (double)v. */
int jsonw_i64(struct buf *b, int64_t v);
/* n tabs. */
int jsonw_indent(struct buf *b, unsigned n);
/* `<depth tabs>"key":\t` */
int jsonw_key(struct buf *b, unsigned depth, const char *key);

#endif
