#ifndef BULWARK_XALLOC_H
#define BULWARK_XALLOC_H

#include <stddef.h>
#include "common/compat.h"

/*
 * Allocators that never return NULL: on exhaustion they print one line and
 * exit 125 (RC_WRAPPER). This is the only place in common/ that exits; a tool
 * cannot do anything useful without memory. xmalloc(0) returns a unique
 * pointer. The caller owns every returned pointer and frees it with free().
 * xreallocarray/xcalloc die on size overflow too.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Grow *arr (of *cap elements of size sz) so that it holds at least n. */
void xgrow(void **arr, size_t *cap, size_t n, size_t sz);

#endif
