/* verify over a log of several chunks (so the parallel scan really runs in
 * threads): the root matches an independent computation and the reported
 * problem is always the first one, whatever thread finds what first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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
#include "merkle.h"
#include "verify.h"
#include "tmpdir.h"

#define N 50000 /* more than three scan chunks of 16384 */

static char last_error[1024];

static void
capture(enum log_level lvl, const char *msg, void *ctx)
{
	(void)ctx;
	if (lvl == LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

static size_t
entry_text(uint64_t i, char *out, size_t cap)
{
	return (size_t)snprintf(out, cap, "{\"n\":%llu,\"pad\":\"%.*s\"}",
	    (unsigned long long)i, (int)(i % 23), "xxxxxxxxxxxxxxxxxxxxxxx");
}

/* A log of N entries in dir; root receives its independent tree root. */
static void
make_log(const char *path, merkle_hash root)
{
	struct log_store l = LOG_STORE_INIT;
	struct merkle_stack st;
	merkle_hash leaf, out[65];
	char *data = malloc((size_t)N * 64), *p = data;
	size_t *lens = malloc(N * sizeof(*lens));
	uint64_t i, first;
	unsigned nout;

	assert_non_null(data);
	assert_non_null(lens);
	merkle_stack_init(&st);
	for (i = 0; i < N; i++) {
		lens[i] = entry_text(i, p, 64);
		assert_int_equal(merkle_leaf_hash(p, lens[i], leaf), 0);
		assert_int_equal(merkle_stack_push(&st, leaf, out, &nout), 0);
		p += lens[i];
	}
	assert_int_equal(merkle_stack_root(&st, root), 0);
	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	assert_int_equal(log_store_append(&l, data, lens, N, &first, NULL), 0);
	assert_int_equal(first, 0);
	log_store_close(&l);
	free(data);
	free(lens);
}

static int
verify(const char *path, bool strict, struct verify_result *r)
{
	struct log_store l = LOG_STORE_INIT;
	struct verify_opts vo = { 0 };
	int rc;

	vo.strict = strict;
	last_error[0] = 0;
	assert_int_equal(log_store_open(&l, path, LOG_LENIENT), 0);
	rc = log_verify(&l, &vo, r);
	log_store_close(&l);
	return rc;
}

/* Flips the bits of mask in one byte of dir/name at off. */
static void
poke(const char *dir, const char *name, uint64_t off, unsigned char mask)
{
	char path[600];
	unsigned char c;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= mask;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

/* make_log writes one commit: every line but the last ends in " \n". */
static uint64_t
entry_offset(uint64_t i)
{
	char e[64];
	uint64_t off = 0, k;

	for (k = 0; k < i; k++)
		off += entry_text(k, e, sizeof(e)) + (k + 1 < N ? 2 : 1);
	return off;
}

static void
test_verify_chunks(void **state)
{
	char tmpl[] = "/tmp/audit-verify-XXXXXX", path[600], want[256];
	char *d = mkdtemp(tmpl);
	struct verify_result r;
	merkle_hash root;
	int run;

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/log", d);
	make_log(path, root);
	for (run = 0; run < 2; run++) {
		assert_int_equal(verify(path, run == 1, &r), 0);
		assert_int_equal(r.size, N);
		assert_int_equal(r.bytes, entry_offset(N));
		assert_memory_equal(r.root, root, MERKLE_HASH_LEN);
	}

	/* Damage in the last chunk, then also in the second: the second
	 * one must be reported, every time. '"' -> ' ' keeps the length. */
	poke(path, "entries", entry_offset(45000) + 1, 0x02);
	assert_int_equal(verify(path, false, &r), 1);
	assert_non_null(strstr(last_error, "entry 45000 at byte"));
	poke(path, "entries", entry_offset(20000) + 1, 0x02);
	snprintf(want, sizeof(want),
	    "entry 20000 at byte %llu of 'entries': content does not match",
	    (unsigned long long)entry_offset(20000));
	for (run = 0; run < 8; run++) {
		assert_int_equal(verify(path, false, &r), 1);
		assert_non_null(strstr(last_error, want));
	}
	/* With --strict the entry is not JSON at all: that comes before
	 * the hash check of the same entry. */
	assert_int_equal(verify(path, true, &r), 1);
	assert_non_null(strstr(last_error, "entry 20000 at byte"));
	assert_non_null(strstr(last_error, "not a canonical JSON object"));

	/* A stored interior node in the first chunk wins over both. Node
	 * (1, 5) is completed by entry 11 and is stored right after its
	 * leaf. */
	poke(path, "hashes", merkle_stored_index(1, 5) * MERKLE_HASH_LEN + 7,
	    0x10);
	for (run = 0; run < 4; run++) {
		assert_int_equal(verify(path, false, &r), 1);
		assert_non_null(
		    strstr(last_error, "tree node 1/5 (completed by "
		                       "entry 11)"));
	}
	/* A broken end offset of entry 3 comes first of all. */
	poke(path, "offsets", 3 * 8 + 7, 0x40);
	assert_int_equal(verify(path, false, &r), 1);
	assert_non_null(strstr(last_error, "entry 3 at byte"));
	assert_non_null(strstr(last_error, "'offsets' (byte 24)"));
	tmpdir_remove(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_chunks),
	};

	log_set_sink(capture, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
