/* The one-sync commit protocol: an index that lags behind `entries` after a
 * crash is rebuilt from it, commit framing keeps batches all-or-nothing, and
 * torn or zero-filled tails are cut. */
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
#include "log_tail.h"
#include "merkle.h"
#include "verify.h"
#include "tmpdir.h"

static uint64_t
fsize(const char *dir, const char *name)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

static void
cut(const char *dir, const char *name, uint64_t len)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(truncate(p, (off_t)len), 0);
}

static void
add(const char *dir, const char *name, const char *junk, size_t n)
{
	char p[1024];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, n), (ssize_t)n);
	close(fd);
}

/* A log with 3 single commits and one batch of 3: entries {"i":0}..5. */
static void
make(const char *path)
{
	struct log_store l = LOG_STORE_INIT;
	const char *batch = "{\"i\":3}{\"i\":4}{\"i\":5}";
	size_t lens[3] = { 7, 7, 7 };
	uint64_t first;
	char e[16];
	int i;

	assert_int_equal(log_store_open(&l, path, LOG_CREATE | LOG_WRITE), 0);
	for (i = 0; i < 3; i++) {
		snprintf(e, sizeof(e), "{\"i\":%d}", i);
		lens[0] = strlen(e);
		assert_int_equal(
		    log_store_append(&l, e, lens, 1, &first, NULL), 0);
		assert_int_equal(first, (uint64_t)i);
	}
	lens[0] = 7;
	assert_int_equal(log_store_append(&l, batch, lens, 3, &first, NULL), 0);
	assert_int_equal(first, 3);
	log_store_close(&l);
}

/* Opens path for writing and checks it holds {"i":0}..{"i":n-1}, verified. */
static void
check(const char *path, uint64_t n, uint64_t indexed)
{
	struct log_store l = LOG_STORE_INIT;
	struct verify_opts vo = { 0 };
	struct verify_result r;
	struct buf b = BUF_INIT(1 << 20);
	char want[32];
	uint64_t i;

	assert_int_equal(log_store_open(&l, path, LOG_WRITE), 0);
	assert_int_equal(l.size, n);
	assert_int_equal(l.indexed, indexed);
	for (i = 0; i < n; i++) {
		buf_reset(&b);
		assert_int_equal(log_store_entry(&l, i, &b, NULL), 0);
		snprintf(
		    want, sizeof(want), "{\"i\":%llu}", (unsigned long long)i);
		assert_string_equal(b.data, want);
	}
	vo.strict = true;
	assert_int_equal(log_verify(&l, &vo, &r), 0);
	assert_int_equal(r.size, n);
	log_store_close(&l);
	buf_release(&b);
}

static void
test_framing(void **state)
{
	char tmpl[] = "/tmp/audit-recover-XXXXXX", path[600];
	char *d = mkdtemp(tmpl);

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/log", d);
	make(path);
	/* 3 single lines of 8 bytes, then "{..} \n{..} \n{..}\n". */
	assert_int_equal(fsize(path, "entries"), 3 * 8 + 9 + 9 + 8);
	check(path, 6, 0);
	tmpdir_remove(d);
}

/* Power loss after acknowledged appends: the unsynced index lost any
 * suffix, even a partial record. The next writer rebuilds it. */
static void
test_lagging_index(void **state)
{
	char tmpl[] = "/tmp/audit-recover-XXXXXX", path[600];
	char *d = mkdtemp(tmpl);
	struct log_store l = LOG_STORE_INIT;
	uint64_t keep;

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/log", d);
	for (keep = 0; keep <= 6; keep++) {
		make(path);
		cut(path, "offsets", keep * 8 + (keep < 6 ? 3 : 0));
		cut(path, "hashes",
		    merkle_stored_count(keep) * MERKLE_HASH_LEN);
		/* A reader sees the indexed part only. */
		assert_int_equal(log_store_open(&l, path, 0), 0);
		assert_int_equal(l.size, keep);
		log_store_close(&l);
		check(path, 6, 6 - keep);
		check(path, 6, 0); /* nothing left to do */
		tmpdir_remove(path);
	}
	/* Index files deleted altogether: rebuilt from entries. */
	make(path);
	cut(path, "offsets", 0);
	cut(path, "hashes", 0);
	check(path, 6, 6);
	tmpdir_remove(d);
}

/* Tails that are no complete commit are cut; complete ones are kept. */
static void
test_torn_tails(void **state)
{
	static const struct {
		const char *tail;
		size_t len;
		uint64_t size;
	} cases[] = {
		{ "{\"i\":6}", 7, 6 },                 /* no newline */
		{ "{\"i\":6} \n{\"i\":7} \n", 18, 6 }, /* unclosed batch */
		{ "{\"i\":6} \n{\"i\":7}", 17, 6 },    /* batch cut short */
		{ "\0\0\0\0\0\0\0\n", 8, 6 },          /* lost page */
		{ "\0\0\0\0\0\0\0\n{\"i\":7}\n", 16, 6 },
		{ "{\"i\":6}\n{\"i\"\0\0}\n", 16, 7 }, /* second one torn */
		{ "{\"i\":6} \n{\"i\":7}\n{\"i", 21, 8 },
		{ "\n", 1, 6 },
		{ " \n", 2, 6 },
	};
	char tmpl[] = "/tmp/audit-recover-XXXXXX", path[600];
	char *d = mkdtemp(tmpl);
	uint64_t before;
	size_t i;

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/log", d);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make(path);
		before = fsize(path, "entries");
		add(path, "entries", cases[i].tail, cases[i].len);
		check(path, cases[i].size, cases[i].size - 6);
		if (cases[i].size == 6)
			assert_int_equal(fsize(path, "entries"), before);
		tmpdir_remove(path);
	}
	tmpdir_remove(d);
}

static void
test_tail_scan(void **state)
{
	size_t n, end;

	(void)state;
	log_tail_scan("", 0, &n, &end);
	assert_int_equal(n, 0);
	assert_int_equal(end, 0);
	log_tail_scan("{}\n{} \n{}\n{} \n", 14, &n, &end);
	assert_int_equal(n, 3);
	assert_int_equal(end, 10);
	log_tail_scan("{}  \n", 5, &n, &end); /* two spaces: not an entry */
	assert_int_equal(n, 0);
	log_tail_scan("{\x01}\n", 4, &n, &end);
	assert_int_equal(n, 0);
	log_tail_scan("[]\n", 3, &n, &end);
	assert_int_equal(n, 0);
	assert_int_equal(log_line_entry_len("{} ", 3), 2);
	assert_int_equal(log_line_entry_len("{}", 2), 2);
}

/* Torn below the signed size is refused, not cut. */
static void
test_floor(void **state)
{
	char tmpl[] = "/tmp/audit-recover-XXXXXX", path[600], ck[700];
	char *d = mkdtemp(tmpl);
	struct log_store l = LOG_STORE_INIT;
	FILE *f;

	(void)state;
	assert_non_null(d);
	snprintf(path, sizeof(path), "%s/log", d);
	make(path);
	snprintf(ck, sizeof(ck), "%s/checkpoint", path);
	f = fopen(ck, "w");
	assert_non_null(f);
	fputs("o\n8\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	      "\xe2\x80\x94 o AAAAAAAA\n",
	    f);
	fclose(f);
	add(path, "entries", "{\"i\":6} \n{\"i", 12);
	assert_int_equal(log_store_open(&l, path, LOG_WRITE), -1);
	assert_int_equal(fsize(path, "entries"), 3 * 8 + 9 + 9 + 8 + 12);
	tmpdir_remove(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_lagging_index),
		cmocka_unit_test(test_torn_tails),
		cmocka_unit_test(test_tail_scan),
		cmocka_unit_test(test_floor),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
