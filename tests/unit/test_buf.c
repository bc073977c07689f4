#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/strlist.h"
#include "tmpdir.h"

static void
test_init_is_empty_string(void **st)
{
	struct buf b = BUF_INIT(0);

	(void)st;
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	buf_release(&b);
	assert_non_null(b.data);
}

static void
test_add_and_format(void **st)
{
	struct buf b = BUF_INIT(0);
	int i;

	(void)st;
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(buf_addch(&b, '-'), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "%d,", i), 0);
	assert_true(strncmp(b.data, "abc-0,1,2,", 10) == 0);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(strlen(b.data), b.len);
	buf_consume(&b, 4);
	assert_true(strncmp(b.data, "0,1,", 4) == 0);
	buf_truncate(&b, 2);
	assert_string_equal(b.data, "0,");
	buf_release(&b);
}

static void
test_cap_refuses_and_keeps_content(void **st)
{
	struct buf b = BUF_INIT(8);

	(void)st;
	log_set_sink(test_log_quiet, NULL);
	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_addch(&b, 'x'), -1);
	assert_int_equal(buf_addf(&b, "%s", "toolong"), -1);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	log_set_sink(NULL, NULL);
	buf_release(&b);
}

static void
test_detach_transfers_ownership(void **st)
{
	struct buf b = BUF_INIT(0);
	size_t len;
	char *p;

	(void)st;
	buf_adds(&b, "hello");
	p = buf_detach(&b, &len);
	assert_string_equal(p, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	free(p);
	p = buf_detach(&b, &len); /* empty buffer still gives a heap string */
	assert_string_equal(p, "");
	free(p);
}

static void
test_binary_data(void **st)
{
	struct buf b = BUF_INIT(0);
	const char raw[] = { 'a', 0, 'b', 0 };

	(void)st;
	buf_add(&b, raw, sizeof(raw));
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, raw, 4);
	buf_release(&b);
}

static void
test_strlist(void **st)
{
	struct strlist l = STRLIST_INIT;

	(void)st;
	strlist_split(&l, "b,a,,b,c", ',', 1);
	assert_int_equal(l.nr, 4);
	strlist_sort(&l);
	strlist_uniq(&l);
	assert_int_equal(l.nr, 3);
	assert_string_equal(l.items[0], "a");
	assert_string_equal(l.items[2], "c");
	assert_null(l.items[3]);
	strlist_release(&l);
	strlist_split(&l, ",x,", ',', 0);
	assert_int_equal(l.nr, 3);
	assert_string_equal(l.items[0], "");
	assert_string_equal(l.items[1], "x");
	strlist_release(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_string),
		cmocka_unit_test(test_add_and_format),
		cmocka_unit_test(test_cap_refuses_and_keeps_content),
		cmocka_unit_test(test_detach_transfers_ownership),
		cmocka_unit_test(test_binary_data),
		cmocka_unit_test(test_strlist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
