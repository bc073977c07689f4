#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"

char buf_empty[1];

void
buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void
buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
}

char *
buf_detach(struct buf *b, size_t *len)
{
	char *p = b->cap ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

static size_t
buf_limit(const struct buf *b)
{
	return b->max ? b->max : BUF_MAX_DEFAULT;
}

int
buf_grow(struct buf *b, size_t extra)
{
	size_t want, ncap;

	if (extra > buf_limit(b) || b->len > buf_limit(b) - extra)
		return error_msg(
		    "buffer limit of %zu bytes reached", buf_limit(b));
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (b->cap == 0) {
		b->data = xmalloc(ncap);
		b->data[0] = '\0';
	} else {
		b->data = xrealloc(b->data, ncap);
	}
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addch(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_addbuf(struct buf *b, const struct buf *other)
{
	return buf_add(b, other->data, other->len);
}

int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return error_msg("bad format string");
	if (buf_grow(b, (size_t)n) < 0)
		return -1;
	(void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
