/* The run-log zip reader on a real archive (Python's zipfile wrote it)
 * and on damaged copies of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/xalloc.h"
#include "heal.h"
#include "tmpdir.h"

static unsigned char *zip;
static size_t zlen;

static int
setup(void **state)
{
	char *p;
	(void)state;
	assert_non_null(getenv("BULWARK_SRC"));
	p = xasprintf("%s/tests/actions/self-heal/scenarios/run-500-logs.zip",
	    getenv("BULWARK_SRC"));
	zip = (unsigned char *)tmpdir_read(p, &zlen);
	assert_non_null(zip);
	free(p);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(zip);
	return 0;
}

static void
test_list_and_extract(void **state)
{
	struct heal_zip z;
	struct buf out = BUF_INIT(0);
	size_t i;
	bool found = false;
	(void)state;
	assert_int_equal(heal_zip_list(zip, zlen, &z), 0);
	assert_int_equal(z.nr, 4);
	for (i = 0; i < z.nr; i++) {
		if (strcmp(z.v[i].name, "2_build (linux).txt"))
			continue;
		found = true;
		assert_int_equal(z.v[i].method, 8);
		assert_int_equal(
		    heal_zip_extract(zip, zlen, &z.v[i], 1 << 20, &out), 0);
		assert_int_equal(out.len, z.v[i].usize);
		assert_non_null(strstr(out.data, "npm error code ECONNRESET"));
		/* a cap below the size is an error, not a cut */
		buf_reset(&out);
		assert_int_equal(
		    heal_zip_extract(zip, zlen, &z.v[i], 10, &out), -1);
	}
	assert_true(found);
	buf_release(&out);
	heal_zip_release(&z);
}

static void
test_damaged(void **state)
{
	struct heal_zip z;
	unsigned char *copy = xmalloc(zlen);
	size_t i;
	(void)state;
	/* truncated: no end record */
	assert_int_equal(heal_zip_list(zip, zlen - 30, &z), -1);
	assert_int_equal(heal_zip_list(zip, 10, &z), -1);
	/* corrupt deflate data of every entry */
	memcpy(copy, zip, zlen);
	assert_int_equal(heal_zip_list(copy, zlen, &z), 0);
	for (i = 0; i < z.nr; i++) {
		struct buf out = BUF_INIT(0);
		size_t data = (size_t)z.v[i].local_off + 30 +
		              (size_t)(copy[z.v[i].local_off + 26] |
		                       copy[z.v[i].local_off + 27] << 8) +
		              (size_t)(copy[z.v[i].local_off + 28] |
		                       copy[z.v[i].local_off + 29] << 8);
		if (z.v[i].csize < 4)
			continue;
		memset(copy + data, 0xff, 4);
		assert_int_equal(
		    heal_zip_extract(copy, zlen, &z.v[i], 1 << 20, &out), -1);
		buf_release(&out);
	}
	/* an entry whose local header offset points past the end */
	z.v[0].local_off = zlen + 100;
	{
		struct buf out = BUF_INIT(0);
		assert_int_equal(
		    heal_zip_extract(copy, zlen, &z.v[0], 1 << 20, &out), -1);
		buf_release(&out);
	}
	heal_zip_release(&z);
	free(copy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_and_extract),
		cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
