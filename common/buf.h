#ifndef BULWARK_BUF_H
#define BULWARK_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "common/compat.h"

/*
 * A growable byte buffer with a hard cap (git strbuf + curl dynbuf).
 *
 * Invariants: `data` is never NULL and always NUL-terminated (data[len] ==
 * 0), so it can be used as a C string when it holds text. `max` is the cap on
 * `len` (0 means BUF_MAX_DEFAULT). Every buffer filled from outside input
 * must have a deliberate cap.
 *
 * Adding past the cap returns -1 with an error message and leaves the buffer
 * unchanged. Allocation failure dies (xalloc).
 *
 * Ownership: the struct owns `data`. buf_release frees it and re-initialises
 * the buffer; buf_detach hands `data` to the caller (who free()s it) and
 * resets the buffer.
 */
#define BUF_MAX_DEFAULT ((size_t)64 << 20)

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

extern char buf_empty[];
#define BUF_INIT(m)                                                            \
	{                                                                      \
		buf_empty, 0, 0, (m)                                           \
	}

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
char *buf_detach(struct buf *b, size_t *len);

int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addbuf(struct buf *b, const struct buf *other);
int buf_addf(struct buf *b, const char *fmt, ...) ATTR_PRINTF(2, 3);
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

/* Ensure room for `extra` more bytes; -1 if that would pass the cap. */
int buf_grow(struct buf *b, size_t extra);
/* Shorten to `len` (<= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Remove the first n bytes. */
void buf_consume(struct buf *b, size_t n);

#endif
