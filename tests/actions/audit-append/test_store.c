/* The on-disk log: round trips, torn-tail recovery, the signed-size floor,
 * kill -9 of writers mid-batch, and 16 concurrent appenders. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "log_store.h"
#include "merkle.h"
#include "verify.h"
#include "tmpdir.h"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/audit-store-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void
rmrf(const char *d)
{
	if (access(d, F_OK) == 0)
		tmpdir_remove(d);
}

static int
append1(struct log_store *l, const char *s, uint64_t *idx)
{
	size_t len = strlen(s);

	return log_store_append(l, s, &len, 1, idx, NULL);
}

static int
verify_ok(struct log_store *l, uint64_t *size)
{
	struct verify_opts vo = { 0 };
	struct verify_result r;
	int rc = log_verify(l, &vo, &r);

	if (size)
		*size = r.size;
	return rc;
}

static void
test_roundtrip(void **state)
{
	char *d = tmpdir(), path[600], e[64];
	struct log_store l = LOG_STORE_INIT;
	merkle_hash leaves[100], root, want;
	struct merkle_mem mem = { leaves, 0 };
	struct merkle_src src;
	struct buf b = BUF_INIT(0);
	uint64_t idx, off, i, want_off;

	(void)state;
	snprintf(path, sizeof(path), "%s/log", d);
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	for (i = 0; i < 100; i++) {
		snprintf(e, sizeof(e), "{\"n\":%llu}", (unsigned long long)i);
		assert_int_equal(append1(&l, e, &idx), 0);
		assert_int_equal(idx, i);
		assert_int_equal(merkle_leaf_hash(e, strlen(e), leaves[i]), 0);
	}
	log_store_close(&l);
	assert_int_equal(log_store_open(&l, path, 0), 0);
	assert_int_equal(l.size, 100);
	merkle_mem_src(&mem, &src);
	for (i = 0; i <= 100; i++) {
		mem.n = i;
		assert_int_equal(merkle_root(&src, i, want), 0);
		assert_int_equal(log_store_root(&l, i, root), 0);
		assert_memory_equal(root, want, 32);
	}
	assert_int_equal(log_store_entry(&l, 42, &b, &off), 0);
	assert_string_equal(b.data, "{\"n\":42}");
	for (want_off = 0, i = 0; i < 42; i++)
		want_off += (uint64_t)snprintf(e, sizeof(e), "{\"n\":%llu}",
		                (unsigned long long)i) +
		            1;
	assert_int_equal(off, want_off);
	assert_int_equal(verify_ok(&l, NULL), 0);
	/* Bad entries are refused and change nothing. */
	assert_int_equal(append1(&l, "a\nb", &idx), -1);
	assert_int_equal(append1(&l, "", &idx), -1);
	log_store_close(&l);
	buf_release(&b);
	rmrf(d);
	free(d);
}

static void
add_garbage(const char *dir, const char *name, const char *junk, size_t n)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, n), (ssize_t)n);
	close(fd);
}

static void
test_torn_tail(void **state)
{
	char *d = tmpdir(), path[600];
	struct log_store l = LOG_STORE_INIT;
	uint64_t idx, size;
	struct stat st;
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/log", d);
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(append1(&l, "{\"a\":1}", &idx), 0);
	log_store_close(&l);
	/* An interrupted append: entry bytes, half an offset, 40 hash bytes. */
	add_garbage(path, "entries", "{\"half", 6);
	add_garbage(path, "offsets", "\0\0\0", 3);
	add_garbage(
	    path, "hashes", "0123456789012345678901234567890123456789", 40);
	assert_int_equal(log_store_open(&l, path, 0), 0);
	assert_int_equal(l.size, 3);
	assert_true(l.torn_bytes > 0);
	log_store_close(&l);
	assert_int_equal(log_store_open(&l, path, LOG_WRITE), 0);
	assert_int_equal(l.size, 3);
	assert_int_equal(l.torn_bytes, 0);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/entries");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3 * 8);
	assert_int_equal(append1(&l, "{\"b\":2}", &idx), 0);
	assert_int_equal(idx, 3);
	assert_int_equal(verify_ok(&l, &size), 0);
	assert_int_equal(size, 4);
	log_store_close(&l);
	rmrf(d);
	free(d);
}

static void
test_signed_floor(void **state)
{
	char *d = tmpdir(), path[600], ck[700];
	struct log_store l = LOG_STORE_INIT;
	uint64_t idx;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/log", d);
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	assert_int_equal(append1(&l, "{}", &idx), 0);
	log_store_close(&l);
	/* A checkpoint claiming 5 entries: the writer must refuse to cut. */
	snprintf(ck, sizeof(ck), "%s/checkpoint", path);
	f = fopen(ck, "w");
	assert_non_null(f);
	fputs("o\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	      "\xe2\x80\x94 o AAAAAAAA\n",
	    f);
	fclose(f);
	assert_int_equal(log_store_open(&l, path, LOG_WRITE), -1);
	assert_int_equal(log_store_open(&l, path, LOG_LENIENT), 0);
	log_store_close(&l);
	rmrf(d);
	free(d);
}

static off_t
file_size(const char *dir, const char *name)
{
	char p[700];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}

/*
 * An append computes its index records before its fdatasync but writes
 * them only after it: when the computation fails (here the Merkle
 * frontier cannot be read), the commit fails and the index is untouched.
 * The unacknowledged line in `entries` is a complete commit, which the
 * next writer indexes.
 */
static void
test_index_after_commit(void **state)
{
	char *d = tmpdir(), path[600];
	struct log_store l = LOG_STORE_INIT;
	uint64_t idx, size;
	off_t offs, hashes, entries;
	int null_fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/log", d);
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	assert_int_equal(append1(&l, "{\"a\":1}", &idx), 0);
	assert_int_equal(append1(&l, "{\"a\":2}", &idx), 0);
	assert_int_equal(append1(&l, "{\"a\":3}", &idx), 0);
	offs = file_size(path, "offsets");
	hashes = file_size(path, "hashes");
	entries = file_size(path, "entries");
	null_fd = open("/dev/null", O_RDWR);
	assert_true(null_fd >= 0);
	assert_true(dup2(null_fd, l.hashes_fd) >= 0);
	close(null_fd);
	assert_int_equal(append1(&l, "{\"a\":4}", &idx), -1);
	assert_int_equal(l.size, 3);
	assert_int_equal(file_size(path, "offsets"), offs);
	assert_int_equal(file_size(path, "hashes"), hashes);
	assert_int_equal(file_size(path, "entries"), entries + 8);
	log_store_close(&l);
	assert_int_equal(log_store_open(&l, path, LOG_WRITE), 0);
	assert_int_equal(l.size, 4);
	assert_int_equal(l.indexed, 1);
	assert_int_equal(append1(&l, "{\"a\":5}", &idx), 0);
	assert_int_equal(idx, 4);
	assert_int_equal(verify_ok(&l, &size), 0);
	assert_int_equal(size, 5);
	log_store_close(&l);
	rmrf(d);
	free(d);
}

/*
 * Writer child: appends batches of `batch` entries "{"w":W,"s":S}" and
 * after each acknowledged commit writes the last sequence number to fd.
 */
static void
writer(const char *path, int w, int batch, int count, int fd)
{
	struct log_store l = LOG_STORE_INIT;
	char data[64 * 64];
	size_t lens[64], pos;
	uint64_t first;
	int s = 0, k, n;

	while (s < count) {
		pos = 0;
		for (k = 0; k < batch; k++) {
			n = snprintf(data + pos, sizeof(data) - pos,
			    "{\"s\":%d,\"w\":%d}", s + k, w);
			lens[k] = (size_t)n;
			pos += (size_t)n;
		}
		if (log_store_open(&l, path, LOG_CREATE | LOG_WRITE) < 0 ||
		    log_store_append(
		        &l, data, lens, (size_t)batch, &first, NULL) < 0)
			_exit(3);
		log_store_close(&l);
		s += batch;
		if (fd >= 0 && write(fd, &s, sizeof(s)) != sizeof(s))
			_exit(4);
	}
	_exit(0);
}

static void
test_kill9(void **state)
{
	char *d = tmpdir(), path[600];
	struct log_store l = LOG_STORE_INIT;
	struct buf b = BUF_INIT(0);
	struct timespec ts;
	int trial, p[2], acked, v, status, batch, nonempty = 0;
	uint64_t size, i;
	pid_t pid;
	char want[64];

	(void)state;
	srand(6962);
	snprintf(path, sizeof(path), "%s/log", d);
	for (trial = 0; trial < 50; trial++) {
		rmrf(path);
		batch = 1 + rand() % 40;
		assert_int_equal(pipe(p), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			writer(path, 0, batch, 1000 * batch, p[1]);
		}
		close(p[1]);
		/* Kill at a random moment after the first acknowledged commit,
		 * so every trial interrupts a running writer. */
		acked = 0;
		assert_int_equal(
		    read(p[0], &acked, sizeof(acked)), sizeof(acked));
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(rand() % 30000) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		while (read(p[0], &v, sizeof(v)) == sizeof(v))
			acked = v;
		close(p[0]);
		/* Recovery, then every acknowledged entry is there, the
		 * batch was atomic and the tree verifies. */
		assert_int_equal(
		    log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
		assert_true(l.size >= (uint64_t)acked);
		assert_int_equal(l.size % (uint64_t)batch, 0);
		for (i = 0; i < l.size; i++) {
			buf_reset(&b);
			assert_int_equal(log_store_entry(&l, i, &b, NULL), 0);
			snprintf(want, sizeof(want), "{\"s\":%llu,\"w\":0}",
			    (unsigned long long)i);
			assert_string_equal(b.data, want);
		}
		assert_int_equal(verify_ok(&l, &size), 0);
		assert_int_equal(size, l.size);
		nonempty += l.size > 0;
		log_store_close(&l);
	}
	assert_int_equal(nonempty, 50);
	buf_release(&b);
	rmrf(d);
	free(d);
}

static void
test_concurrent(void **state)
{
	char *d = tmpdir(), path[600];
	struct log_store l = LOG_STORE_INIT;
	struct buf b = BUF_INIT(0);
	static unsigned char seen[16][64];
	int w, status, s, ww;
	uint64_t i, size;
	pid_t pids[16];

	(void)state;
	snprintf(path, sizeof(path), "%s/log", d);
	for (w = 0; w < 16; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			writer(path, w, 1 + w % 3, 48, -1);
	}
	for (w = 0; w < 16; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(log_store_open(&l, path, 0), 0);
	assert_int_equal(l.size, 16 * 48);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < l.size; i++) {
		buf_reset(&b);
		assert_int_equal(log_store_entry(&l, i, &b, NULL), 0);
		assert_int_equal(
		    sscanf(b.data, "{\"s\":%d,\"w\":%d}", &s, &ww), 2);
		assert_true(ww >= 0 && ww < 16 && s >= 0 && s < 64);
		assert_int_equal(seen[ww][s], 0); /* no duplicates */
		seen[ww][s] = 1;
	}
	assert_int_equal(verify_ok(&l, &size), 0);
	assert_int_equal(size, 16 * 48);
	log_store_close(&l);
	buf_release(&b);
	rmrf(d);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_signed_floor),
		cmocka_unit_test(test_index_after_commit),
		cmocka_unit_test(test_kill9),
		cmocka_unit_test(test_concurrent),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
