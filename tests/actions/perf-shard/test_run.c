/* perf-shard run/split: status pass-through, empty shard, formats. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "run.h"
#include "tmpdir.h"

static void
test_status_passes_through(void **state)
{
	static const char *items[] = { "a b", "c" };
	char *ok[] = { "sh", "-c", "test \"$1\" = 'a b' && test \"$2\" = c",
		"sh", "{}", NULL };
	char *three[] = { "sh", "-c", "exit 3", NULL };
	char *sig[] = { "sh", "-c", "kill -9 $$", NULL };
	char *missing[] = { "/nonexistent/perf-shard-cmd", NULL };

	(void)state;
	assert_int_equal(run_items(ok, 5, items, 2, false), 0);
	assert_int_equal(run_items(three, 3, items, 2, false), 3);
	assert_int_equal(run_items(sig, 3, items, 2, false), 137);
	assert_int_equal(run_items(missing, 1, items, 2, false), 127);
}

static void
test_items_appended_without_placeholder(void **state)
{
	static const char *items[] = { "x", "y z" };
	char *cmd[] = { "sh", "-c", "test $# = 2 && test \"$2\" = 'y z'", "sh",
		NULL };

	(void)state;
	assert_int_equal(run_items(cmd, 4, items, 2, false), 0);
}

static void
test_empty_shard_does_not_run(void **state)
{
	char *cmd[] = { "sh", "-c", "exit 5", NULL };

	(void)state;
	/* pytest exits 5 when it collects nothing; we never call it */
	assert_int_equal(run_items(cmd, 3, NULL, 0, false), 0);
}

static void
test_list_file(void **state)
{
	static const char *items[] = { "t::a [1]", "t::b" };
	char *cmd[] = { "sh", "-c",
		"test \"$(cat \"$1\")\" = \"$(printf 't::a [1]\\nt::b')\"",
		"sh", "{@}", NULL };

	(void)state;
	assert_int_equal(run_items(cmd, 5, items, 2, false), 0);
}

static void
test_long_list_goes_through_file(void **state)
{
	size_t n = 20000, i;
	const char **items = xcalloc(n, sizeof(*items));
	char **owned = xcalloc(n, sizeof(*owned));
	char *cmd[] = { "sh", "-c",
		"case \"$1\" in @*) test $(wc -l < \"${1#@}\") = 20000;; "
		"*) exit 9;; esac",
		"sh", "{}", NULL };

	(void)state;
	for (i = 0; i < n; i++)
		items[i] = owned[i] = xasprintf("tests/t_%05zu.py::test", i);
	assert_int_equal(run_items(cmd, 5, items, n, false), 0);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(items);
}

static void
test_formats(void **state)
{
	static const char *items[] = { "p::TestA", "p::Test.B", "it's" };
	struct buf b = BUF_INIT(0);
	enum fmt f;

	(void)state;
	assert_int_equal(fmt_items(FMT_LINES, items, 3, &b), 0);
	assert_string_equal(b.data, "p::TestA\np::Test.B\nit's\n");
	buf_reset(&b);
	assert_int_equal(fmt_items(FMT_ARGS, items, 3, &b), 0);
	assert_string_equal(b.data, "p::TestA p::Test.B 'it'\\''s'\n");
	buf_reset(&b);
	assert_int_equal(fmt_items(FMT_GO, items, 2, &b), 0);
	assert_string_equal(b.data, "^(TestA|Test\\.B)$\n");
	buf_reset(&b);
	assert_int_equal(fmt_items(FMT_JEST, items, 1, &b), 0);
	assert_string_equal(b.data, "^(p::TestA)$\n");
	assert_int_equal(fmt_parse("pytest", &f), 0);
	assert_int_equal(f, FMT_PYTEST);
	assert_int_equal(fmt_parse("nope", &f), -1);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_passes_through),
		cmocka_unit_test(test_items_appended_without_placeholder),
		cmocka_unit_test(test_empty_shard_does_not_run),
		cmocka_unit_test(test_list_file),
		cmocka_unit_test(test_long_list_goes_through_file),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
