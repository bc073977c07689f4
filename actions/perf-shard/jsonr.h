#ifndef PERF_SHARD_JSONR_H
#define PERF_SHARD_JSONR_H

#include <stddef.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * A pull reader over JSON text in memory, for the one file big enough to
 * matter (a timings store of a million tests): values are read in place,
 * no tree is built. Strict RFC 8259 syntax; nesting capped at
 * JSONR_MAX_DEPTH. Every function returns -1 after one error line naming
 * the file and the byte offset. The reader borrows the text; `str` is
 * scratch for the last string read (jsonr_string returns its data).
 */
#define JSONR_MAX_DEPTH 64

struct jsonr {
	const char *p, *start, *end;
	const char *what;
	struct buf str;
};

void jsonr_init(
    struct jsonr *r, const char *data, size_t len, const char *what);
void jsonr_release(struct jsonr *r);

/* Next significant byte without consuming it (0 at the end). */
char jsonr_peek(struct jsonr *r);
/* Consumes byte c (after whitespace) or fails. */
int jsonr_expect(struct jsonr *r, char c);
/*
 * Inside an object or array, after its first member: 1 if a ',' follows
 * (consumed), 0 if the closing byte follows (consumed), else -1.
 */
int jsonr_more(struct jsonr *r, char close);
/* A string value, unescaped (UTF-8); NULL on error. Valid until next call. */
const char *jsonr_string(struct jsonr *r);
/* A number value. */
int jsonr_number(struct jsonr *r, double *out);
/* Skips one value of any type. */
int jsonr_skip(struct jsonr *r);
/* Nothing but whitespace left. */
int jsonr_end(struct jsonr *r);
int jsonr_error(struct jsonr *r, const char *what);

#endif
