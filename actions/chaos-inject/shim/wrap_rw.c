#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shim.h"

/*
 * File wrappers, data: read and write in every variant (plain, p-, v-),
 * and fsync/fdatasync. A read or write on a tracked socket counts as a
 * recv or send. With no rule for a call class the wrapper is one relaxed
 * load, one branch and a tail call.
 */
typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t write_fn(int, const void *, size_t);
typedef ssize_t pread_fn(int, void *, size_t, off_t);
typedef ssize_t pwrite_fn(int, const void *, size_t, off_t);
typedef ssize_t readv_fn(int, const struct iovec *, int);
typedef int fd_fn(int);

static read_fn *real_read;
static write_fn *real_write;
static pread_fn *real_pread, *real_pread64;
static pwrite_fn *real_pwrite, *real_pwrite64;
static readv_fn *real_readv, *real_writev;
static fd_fn *real_fsync, *real_fdatasync;

/* A read or write on a tracked socket counts as a recv or send. */
SHIM_SLOW static int
rw_before(
    const char *fn, uint32_t call, int fd, size_t *count, uint64_t *corrupt)
{
	if (shim_is_tracked_sock(fd))
		call = call == CHAOS_READ ? CHAOS_RECV : CHAOS_SEND;
	return shim_io_before(fn, call, fd, count, corrupt);
}

SHIM_SLOW static ssize_t
read_slow(int fd, void *buf, size_t count)
{
	uint64_t corrupt = 0;
	ssize_t n;

	if (rw_before("read", CHAOS_READ, fd, &count, &corrupt))
		return -1;
	n = real_read(fd, buf, count);
	shim_flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
read(int fd, void *buf, size_t count)
{
	SHIM_LOAD(read);
	if (SHIM_IO_SLOW(CHAOS_READ))
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
	shim_flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
pread(int fd, void *buf, size_t count, off_t off)
{
	SHIM_LOAD(pread);
	if (SHIM_IO_SLOW(CHAOS_READ))
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
	shim_flip(buf, n, corrupt);
	return n;
}

SHIM_EXPORT ssize_t
pread64(int fd, void *buf, size_t count, off_t off)
{
	SHIM_LOAD(pread64);
	if (SHIM_IO_SLOW(CHAOS_READ))
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
	SHIM_LOAD(readv);
	if (SHIM_IO_SLOW(CHAOS_READ))
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
	SHIM_LOAD(write);
	if (SHIM_IO_SLOW(CHAOS_WRITE))
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
	SHIM_LOAD(pwrite);
	if (SHIM_IO_SLOW(CHAOS_WRITE))
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
	SHIM_LOAD(pwrite64);
	if (SHIM_IO_SLOW(CHAOS_WRITE))
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
	SHIM_LOAD(writev);
	if (SHIM_IO_SLOW(CHAOS_WRITE))
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
	SHIM_LOAD(fsync);
	if (SHIM_IO_SLOW(CHAOS_FSYNC) && sync_common("fsync", fd) != 0)
		return -1;
	return real_fsync(fd);
}

SHIM_EXPORT int
fdatasync(int fd)
{
	SHIM_LOAD(fdatasync);
	if (SHIM_IO_SLOW(CHAOS_FSYNC) && sync_common("fdatasync", fd) != 0)
		return -1;
	return real_fdatasync(fd);
}
