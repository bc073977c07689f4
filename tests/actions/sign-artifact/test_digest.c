#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "checksums.h"
#include "common/hash.h"
#include "digest.h"

#define NF 9

static char dir[] = "/tmp/test_digest_XXXXXX";
static char paths[NF][64];

static int
setup(void **state)
{
	size_t i, j;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	for (i = 0; i < NF; i++) {
		FILE *f;

		snprintf(paths[i], sizeof(paths[i]), "%s/f%zu", dir, i);
		f = fopen(paths[i], "wb");
		/* sizes 0 .. ~3 MiB, across read-buffer boundaries */
		for (j = 0; j < i * i * 40000; j++)
			fputc((int)((j * 31 + i) & 0xff), f);
		fclose(f);
	}
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NF; i++)
		unlink(paths[i]);
	rmdir(dir);
	return 0;
}

static void
test_parallel_matches_serial(void **state)
{
	struct digest_item a[NF], b[NF];
	uint8_t d[32];
	size_t i;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	for (i = 0; i < NF; i++)
		a[i].path = b[i].path = paths[i];
	assert_int_equal(digest_files(a, NF, 4), 0);
	assert_int_equal(digest_files(b, NF, 1), 0);
	for (i = 0; i < NF; i++) {
		assert_true(a[i].ok);
		assert_memory_equal(a[i].sha256, b[i].sha256, 32);
		assert_int_equal(a[i].size, i * i * 40000);
		assert_int_equal(hash_file(paths[i], d, NULL), 0);
		assert_memory_equal(a[i].sha256, d, 32);
	}
	/* SHA-256 of the empty file. */
	assert_int_equal(a[0].sha256[0], 0xe3);
	assert_int_equal(a[0].sha256[31], 0x55);
}

static void
test_missing_file(void **state)
{
	struct digest_item it[2];

	(void)state;
	memset(it, 0, sizeof(it));
	it[0].path = paths[1];
	it[1].path = "/nonexistent/file";
	assert_int_equal(digest_files(it, 2, 0), -1);
	assert_true(it[0].ok);
	assert_false(it[1].ok);
}

static void
test_checksums_format(void **state)
{
	struct digest_item it[2];
	struct buf out = BUF_INIT(0);

	(void)state;
	memset(it, 0, sizeof(it));
	it[0].path = "dist/a b.txt";
	it[0].sha256[0] = 0xab;
	it[1].path = "we\\ird\nname";
	assert_int_equal(checksums_format(it, 2, &out), 0);
	assert_string_equal(out.data,
	    "ab00000000000000000000000000000000000000000000000000000000000000"
	    "  dist/a b.txt\n"
	    "\\0000000000000000000000000000000000000000000000000000000000000000"
	    "  we\\\\ird\\nname\n");
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_matches_serial),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_checksums_format),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
