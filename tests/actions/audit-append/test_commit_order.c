/*
 * The commit protocol as seen from the system calls: an append writes its
 * lines to `entries`, syncs `entries` once, and only then writes the index
 * (hashes before offsets); an fdatasync error fails the append with the
 * index untouched. pwrite, fdatasync and sync_file_range of the library
 * are wrapped at link time (-Wl,--wrap, see CMakeLists.txt) to record
 * their order.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "log_store.h"
#include "tmpdir.h"

enum op {
	OP_WRITE,
	OP_SYNC,
	OP_HINT
};

struct call {
	enum op op;
	int fd;
};

static struct call calls[64];
static size_t ncalls;
static int fail_sync; /* errno for the next fdatasync, 0 for none */

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __real_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags);

static void
record(enum op op, int fd)
{
	assert_true(ncalls < sizeof(calls) / sizeof(calls[0]));
	calls[ncalls].op = op;
	calls[ncalls].fd = fd;
	ncalls++;
}

ssize_t
__wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	record(OP_WRITE, fd);
	return __real_pwrite(fd, buf, n, off);
}

int
__wrap_fdatasync(int fd)
{
	record(OP_SYNC, fd);
	if (fail_sync != 0) {
		errno = fail_sync;
		fail_sync = 0;
		return -1;
	}
	return __real_fdatasync(fd);
}

int
__wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	record(OP_HINT, fd);
	return __real_sync_file_range(fd, off, n, flags);
}

static off_t
size_of(const char *dir, const char *name)
{
	char *p = tmpdir_path(dir, name);
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_size;
}

/* Checks one append's calls: entries written, (hinted,) synced once, then
 * hashes and offsets written, nothing else. */
static void
check_one_commit(const struct log_store *l)
{
	size_t i = 0;

	assert_true(ncalls >= 4);
	assert_int_equal(calls[i].op, OP_WRITE);
	assert_int_equal(calls[i].fd, l->entries_fd);
	for (i = 1; i < ncalls && calls[i].op == OP_WRITE &&
	            calls[i].fd == l->entries_fd;
	     i++)
		; /* a short write is retried */
	if (i < ncalls && calls[i].op == OP_HINT) {
		assert_int_equal(calls[i].fd, l->entries_fd);
		i++;
	}
	assert_true(i < ncalls);
	assert_int_equal(calls[i].op, OP_SYNC);
	assert_int_equal(calls[i].fd, l->entries_fd);
	i++;
	assert_true(i + 2 == ncalls);
	assert_int_equal(calls[i].op, OP_WRITE);
	assert_int_equal(calls[i].fd, l->hashes_fd);
	assert_int_equal(calls[i + 1].op, OP_WRITE);
	assert_int_equal(calls[i + 1].fd, l->offsets_fd);
}

static void
test_order(void **state)
{
	char *d = tmpdir_make(), *path = tmpdir_path(d, "log");
	const char batch[] = "{\"b\":1}{\"b\":22}{\"b\":333}";
	const size_t lens[] = { 7, 8, 9 };
	struct log_store l = LOG_STORE_INIT;
	uint64_t first;
	size_t one;
	int i;

	(void)state;
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	for (i = 0; i < 5; i++) {
		ncalls = 0;
		one = 7;
		assert_int_equal(
		    log_store_append(&l, "{\"a\":1}", &one, 1, &first, NULL),
		    0);
		assert_int_equal(first, (uint64_t)i);
		check_one_commit(&l);
	}
	ncalls = 0;
	assert_int_equal(log_store_append(&l, batch, lens, 3, &first, NULL), 0);
	assert_int_equal(first, 5);
	check_one_commit(&l);
	assert_int_equal(l.size, 8);
	log_store_close(&l);
	tmpdir_remove(d);
	free(path);
	free(d);
}

static void
test_sync_error(void **state)
{
	char *d = tmpdir_make(), *path = tmpdir_path(d, "log");
	struct log_store l = LOG_STORE_INIT;
	uint64_t first = 99;
	off_t offs, hashes;
	size_t one = 7, i;

	(void)state;
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	assert_int_equal(
	    log_store_append(&l, "{\"a\":1}", &one, 1, &first, NULL), 0);
	offs = size_of(path, "offsets");
	hashes = size_of(path, "hashes");
	ncalls = 0;
	fail_sync = EIO;
	assert_int_equal(
	    log_store_append(&l, "{\"a\":2}", &one, 1, &first, NULL), -1);
	assert_int_equal(l.size, 1);
	assert_int_equal(size_of(path, "offsets"), offs);
	assert_int_equal(size_of(path, "hashes"), hashes);
	/* Not retried, and nothing written after the failed sync. */
	for (i = 0; i < ncalls; i++)
		if (calls[i].op == OP_SYNC)
			break;
	assert_true(i + 1 == ncalls);
	log_store_close(&l);
	tmpdir_remove(d);
	free(path);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_sync_error),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
