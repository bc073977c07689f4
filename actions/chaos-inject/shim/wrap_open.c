#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "shim.h"

/*
 * File wrappers, opening and the fd's life: every open variant real
 * programs use is covered (chaos.md §2: cat calls open, python/node/sh
 * call open64, grep calls openat, fortified builds call __open_2), and
 * close/dup keep the fd-to-path tracking right. With no rule for a call
 * class the wrapper is one relaxed load, one branch and a tail call.
 * Reads, writes and syncs are in wrap_rw.c.
 */
typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef FILE *fopen_fn(const char *, const char *);
typedef int fd_fn(int);

static open_fn *real_open, *real_open64;
static openat_fn *real_openat, *real_openat64;
static fopen_fn *real_fopen, *real_fopen64;
static fd_fn *real_close, *real_dup;
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);

/* Before an open: may fail it. Returns -1 with errno set to inject. */
SHIM_SLOW static int
open_before(const char *fn, int dirfd, const char *path, char *abs,
    size_t abslen, const char **absp)
{
	struct shim_target t = { fn, NULL, -1, NULL, NULL };
	struct shim_fire f;

	*absp = shim_abspath(dirfd, path, abs, abslen);
	if (!shim_on(CHAOS_OPEN))
		return 0;
	t.path = *absp;
	if (shim_decide(CHAOS_OPEN, &t, &f) && f.action == CHAOS_ACT_FAIL) {
		errno = f.err;
		return -1;
	}
	return 0;
}

SHIM_SLOW static int
open_after(int fd, const char *abspath)
{
	if (fd >= 0 && shim_on(SHIM_TRACK_OPEN))
		shim_track_open(fd, abspath);
	return fd;
}

static mode_t
mode_arg(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

/* The slow path of every open variant, out of line so that the fast path
 * carries no PATH_MAX buffer (and no stack probe) at all. */
SHIM_SLOW static int
open_slow(const char *fn, int dirfd, const char *path, int flags, mode_t mode,
    open_fn *ro, openat_fn *rao)
{
	char abs[PATH_MAX];
	const char *absp;
	int fd;

	if (open_before(fn, dirfd, path, abs, sizeof(abs), &absp) != 0)
		return -1;
	fd = ro != NULL ? ro(path, flags, mode) : rao(dirfd, path, flags, mode);
	return open_after(fd, absp);
}

#define OPEN_SLOW()                                                            \
	(SHIM_UNLIKELY(shim_on(CHAOS_OPEN | SHIM_TRACK_OPEN)) && !shim_busy)

SHIM_EXPORT int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	SHIM_LOAD(open);
	if (OPEN_SLOW())
		return open_slow(
		    "open", AT_FDCWD, path, flags, mode, real_open, NULL);
	return real_open(path, flags, mode);
}

SHIM_EXPORT int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	SHIM_LOAD(open64);
	if (OPEN_SLOW())
		return open_slow(
		    "open64", AT_FDCWD, path, flags, mode, real_open64, NULL);
	return real_open64(path, flags, mode);
}

SHIM_EXPORT int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	SHIM_LOAD(openat);
	if (OPEN_SLOW())
		return open_slow(
		    "openat", dirfd, path, flags, mode, NULL, real_openat);
	return real_openat(dirfd, path, flags, mode);
}

SHIM_EXPORT int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	SHIM_LOAD(openat64);
	if (OPEN_SLOW())
		return open_slow(
		    "openat64", dirfd, path, flags, mode, NULL, real_openat64);
	return real_openat64(dirfd, path, flags, mode);
}

/* Fortified callers (_FORTIFY_SOURCE) reach these instead of open. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

SHIM_EXPORT int
__open_2(const char *path, int flags)
{
	return open(path, flags);
}

SHIM_EXPORT int
__open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

SHIM_SLOW static FILE *
fopen_common(const char *fn, fopen_fn *real, const char *path, const char *mode)
{
	char abs[PATH_MAX];
	const char *absp;
	FILE *fp;

	if (open_before(fn, AT_FDCWD, path, abs, sizeof(abs), &absp) != 0)
		return NULL;
	fp = real(path, mode);
	if (fp != NULL)
		open_after(fileno(fp), absp);
	return fp;
}

SHIM_EXPORT FILE *
fopen(const char *path, const char *mode)
{
	SHIM_LOAD(fopen);
	if (SHIM_UNLIKELY(shim_on(CHAOS_OPEN | SHIM_TRACK_OPEN)) && !shim_busy)
		return fopen_common("fopen", real_fopen, path, mode);
	return real_fopen(path, mode);
}

SHIM_EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	SHIM_LOAD(fopen64);
	if (SHIM_UNLIKELY(shim_on(CHAOS_OPEN | SHIM_TRACK_OPEN)) && !shim_busy)
		return fopen_common("fopen64", real_fopen64, path, mode);
	return real_fopen64(path, mode);
}

SHIM_EXPORT int
close(int fd)
{
	SHIM_LOAD(close);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)))
		shim_track_close(fd);
	return real_close(fd);
}

/* dd and shells open a file and dup2 it onto 0/1: the tracking follows. */
SHIM_EXPORT int
dup(int fd)
{
	int n;

	SHIM_LOAD(dup);
	n = real_dup(fd);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}

SHIM_EXPORT int
dup2(int fd, int to)
{
	int n;

	SHIM_LOAD(dup2);
	n = real_dup2(fd, to);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}

SHIM_EXPORT int
dup3(int fd, int to, int flags)
{
	int n;

	SHIM_LOAD(dup3);
	n = real_dup3(fd, to, flags);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}
