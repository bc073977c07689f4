#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

/*
 * File wrappers. Every variant real programs use is covered (chaos.md §2:
 * cat calls open, python/node/sh call open64, grep calls openat, fortified
 * builds call __open_2). With no rule for a call class the wrapper is one
 * relaxed load, one branch and a tail call.
 */
#define LOAD(name)                                                             \
	do {                                                                   \
		if (SHIM_UNLIKELY(real_##name == NULL)) {                      \
			void *p_ = shim_real(#name);                           \
			memcpy(&real_##name, &p_, sizeof(p_));                 \
		}                                                              \
	} while (0)

typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef FILE *fopen_fn(const char *, const char *);
typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t pread_fn(int, void *, size_t, off_t);
typedef ssize_t pwrite_fn(int, const void *, size_t, off_t);
typedef ssize_t readv_fn(int, const struct iovec *, int);
typedef int fd_fn(int);

static open_fn *real_open, *real_open64;
static openat_fn *real_openat, *real_openat64;
static fopen_fn *real_fopen, *real_fopen64;
static read_fn *real_read;
static write_fn *real_write;
static pread_fn *real_pread, *real_pread64;
static pwrite_fn *real_pwrite, *real_pwrite64;
static readv_fn *real_readv, *real_writev;
static fd_fn *real_fsync, *real_fdatasync, *real_close, *real_dup;
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
	LOAD(open);
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
	LOAD(open64);
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
	LOAD(openat);
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
	LOAD(openat64);
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
	LOAD(fopen);
	if (SHIM_UNLIKELY(shim_on(CHAOS_OPEN | SHIM_TRACK_OPEN)) && !shim_busy)
		return fopen_common("fopen", real_fopen, path, mode);
	return real_fopen(path, mode);
}

SHIM_EXPORT FILE *
fopen64(const char *path, const char *mode)
{
	LOAD(fopen64);
	if (SHIM_UNLIKELY(shim_on(CHAOS_OPEN | SHIM_TRACK_OPEN)) && !shim_busy)
		return fopen_common("fopen64", real_fopen64, path, mode);
	return real_fopen64(path, mode);
}

/*
 * Shared slow path of every read/write variant. Returns 1 if the call must
 * fail now (errno set), else 0 with *count possibly reduced and *corrupt
 * set when the data read must get a flipped bit.
 */
SHIM_SLOW static int
rw_before(
    const char *fn, uint32_t call, int fd, size_t *count, uint64_t *corrupt)
{
	struct shim_target t = { fn, NULL, fd, NULL, NULL };
	struct shim_fire f;

	if (shim_is_tracked_sock(fd))
		call = call == CHAOS_READ ? CHAOS_RECV : CHAOS_SEND;
	if (!shim_decide(call, &t, &f))
		return 0;
	switch (f.action) {
	case CHAOS_ACT_FAIL:
		errno = f.err;
		return 1;
	case CHAOS_ACT_SHORT:
		if (count != NULL && *count > 1)
			*count /= 2;
		return 0;
	case CHAOS_ACT_CORRUPT:
		*corrupt = f.draw | 1;
		return 0;
	default:
		return 0;
	}
}

static void
flip(void *buf, ssize_t got, uint64_t corrupt)
{
	unsigned char *b = buf;

	if (corrupt == 0 || got <= 0)
		return;
	b[(corrupt >> 8) % (uint64_t)got] ^=
	    (unsigned char)(1u << ((corrupt >> 3) & 7));
}

#define RW_SLOW(bit) (SHIM_UNLIKELY(shim_on(bit)) && !shim_busy)

SHIM_SLOW static ssize_t
read_slow(int fd, void *buf, size_t count)
{
	uint64_t corrupt = 0;
	ssize_t n;

	if (rw_before("read", CHAOS_READ, fd, &count, &corrupt))
		return -1;
	n = real_read(fd, buf, count);
	flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
read(int fd, void *buf, size_t count)
{
	LOAD(read);
	if (RW_SLOW(CHAOS_READ))
		return read_slow(fd, buf, count);
	return real_read(fd, buf, count);
}

SHIM_SLOW static ssize_t
pread_slow(int fd, void *buf, size_t count, off_t off)
{
	uint64_t corrupt = 0;
	ssize_t n;

	if (rw_before("pread", CHAOS_READ, fd, &count, &corrupt))
		return -1;
	n = real_pread(fd, buf, count, off);
	flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
pread(int fd, void *buf, size_t count, off_t off)
{
	LOAD(pread);
	if (RW_SLOW(CHAOS_READ))
		return pread_slow(fd, buf, count, off);
	return real_pread(fd, buf, count, off);
}

SHIM_SLOW static ssize_t
pread64_slow(int fd, void *buf, size_t count, off_t off)
{
	uint64_t corrupt = 0;
	ssize_t n;

	if (rw_before("pread64", CHAOS_READ, fd, &count, &corrupt))
		return -1;
	n = real_pread64(fd, buf, count, off);
	flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
pread64(int fd, void *buf, size_t count, off_t off)
{
	LOAD(pread64);
	if (RW_SLOW(CHAOS_READ))
		return pread64_slow(fd, buf, count, off);
	return real_pread64(fd, buf, count, off);
}

SHIM_SLOW static ssize_t
readv_slow(int fd, const struct iovec *iov, int cnt)
{
	uint64_t corrupt = 0;

	if (rw_before("readv", CHAOS_READ, fd, NULL, &corrupt))
		return -1;
	return real_readv(fd, iov, cnt);
}

SHIM_EXPORT ssize_t
readv(int fd, const struct iovec *iov, int cnt)
{
	LOAD(readv);
	if (RW_SLOW(CHAOS_READ))
		return readv_slow(fd, iov, cnt);
	return real_readv(fd, iov, cnt);
}

SHIM_SLOW static ssize_t
write_slow(int fd, const void *buf, size_t count)
{
	uint64_t corrupt = 0;

	if (rw_before("write", CHAOS_WRITE, fd, &count, &corrupt))
		return -1;
	return real_write(fd, buf, count);
}

SHIM_EXPORT ssize_t
write(int fd, const void *buf, size_t count)
{
	LOAD(write);
	if (RW_SLOW(CHAOS_WRITE))
		return write_slow(fd, buf, count);
	return real_write(fd, buf, count);
}

SHIM_SLOW static ssize_t
pwrite_slow(int fd, const void *buf, size_t count, off_t off)
{
	uint64_t corrupt = 0;

	if (rw_before("pwrite", CHAOS_WRITE, fd, &count, &corrupt))
		return -1;
	return real_pwrite(fd, buf, count, off);
}

SHIM_EXPORT ssize_t
pwrite(int fd, const void *buf, size_t count, off_t off)
{
	LOAD(pwrite);
	if (RW_SLOW(CHAOS_WRITE))
		return pwrite_slow(fd, buf, count, off);
	return real_pwrite(fd, buf, count, off);
}

SHIM_SLOW static ssize_t
pwrite64_slow(int fd, const void *buf, size_t count, off_t off)
{
	uint64_t corrupt = 0;

	if (rw_before("pwrite64", CHAOS_WRITE, fd, &count, &corrupt))
		return -1;
	return real_pwrite64(fd, buf, count, off);
}

SHIM_EXPORT ssize_t
pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	LOAD(pwrite64);
	if (RW_SLOW(CHAOS_WRITE))
		return pwrite64_slow(fd, buf, count, off);
	return real_pwrite64(fd, buf, count, off);
}

SHIM_SLOW static ssize_t
writev_slow(int fd, const struct iovec *iov, int cnt)
{
	uint64_t corrupt = 0;

	if (rw_before("writev", CHAOS_WRITE, fd, NULL, &corrupt))
		return -1;
	return real_writev(fd, iov, cnt);
}

SHIM_EXPORT ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	LOAD(writev);
	if (RW_SLOW(CHAOS_WRITE))
		return writev_slow(fd, iov, cnt);
	return real_writev(fd, iov, cnt);
}

SHIM_SLOW static int
sync_common(const char *fn, int fd)
{
	struct shim_target t = { fn, NULL, fd, NULL, NULL };
	struct shim_fire f;

	if (shim_decide(CHAOS_FSYNC, &t, &f) && f.action == CHAOS_ACT_FAIL) {
		errno = f.err;
		return -1;
	}
	return 0;
}

SHIM_EXPORT int
fsync(int fd)
{
	LOAD(fsync);
	if (RW_SLOW(CHAOS_FSYNC) && sync_common("fsync", fd) != 0)
		return -1;
	return real_fsync(fd);
}

SHIM_EXPORT int
fdatasync(int fd)
{
	LOAD(fdatasync);
	if (RW_SLOW(CHAOS_FSYNC) && sync_common("fdatasync", fd) != 0)
		return -1;
	return real_fdatasync(fd);
}

SHIM_EXPORT int
close(int fd)
{
	LOAD(close);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)))
		shim_track_close(fd);
	return real_close(fd);
}

/* dd and shells open a file and dup2 it onto 0/1: the tracking follows. */
SHIM_EXPORT int
dup(int fd)
{
	int n;

	LOAD(dup);
	n = real_dup(fd);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}

SHIM_EXPORT int
dup2(int fd, int to)
{
	int n;

	LOAD(dup2);
	n = real_dup2(fd, to);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}

SHIM_EXPORT int
dup3(int fd, int to, int flags)
{
	int n;

	LOAD(dup3);
	n = real_dup3(fd, to, flags);
	if (SHIM_UNLIKELY(shim_on(SHIM_TRACK_CLOSE)) && n >= 0)
		shim_track_dup(fd, n);
	return n;
}
