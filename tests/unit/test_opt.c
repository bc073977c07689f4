#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/log.h"
#include "common/opt.h"

static char last_err[4096];

static void
capture(enum log_level l, const char *m, void *c)
{
	(void)l;
	(void)c;
	snprintf(last_err, sizeof(last_err), "%s", m);
}

struct vals {
	bool flag;
	const char *name;
	long count;
	int64_t wait;
	uint64_t size;
	struct strlist fields;
};

static const char *const usage[] = { "tool [options] [--] args", NULL };

static int
parse(struct vals *v, int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_BOOL('f', "flag", &v->flag, "a flag"),
		OPT_STRING_ENV(
		    'n', "name", &v->name, "NAME", "BULWARK_T_NAME", "a name"),
		OPT_INT(0, "count", &v->count, "N", 1, 10, "a count"),
		OPT_DURATION(0, "wait", &v->wait, "a wait"),
		OPT_SIZE(0, "size", &v->size, "a size"),
		OPT_LIST(0, "field", &v->fields, "K=V", "repeatable"),
		OPT__VERBOSE,
		OPT_END(),
	};
	return opt_parse(argc, argv, opts, usage);
}

static void
test_parses_all_types(void **st)
{
	struct vals v = { 0 };
	char *argv[] = { "tool", "-f", "--name=x", "--count", "3", "--wait",
		"1.5s", "--size", "64k", "--field", "a=1", "--field", "b=2",
		"operand", "--flag-after", NULL };
	int idx;

	(void)st;
	idx = parse(&v, 15, argv);
	assert_int_equal(idx, 13);
	assert_string_equal(argv[idx], "operand");
	assert_true(v.flag);
	assert_string_equal(v.name, "x");
	assert_int_equal(v.count, 3);
	assert_int_equal(v.wait, 1500);
	assert_int_equal(v.size, 65536);
	assert_int_equal(v.fields.nr, 2);
	assert_string_equal(v.fields.items[1], "b=2");
	strlist_release(&v.fields);
}

static void
test_double_dash_and_negation(void **st)
{
	struct vals v = { 0 };
	char *argv[] = { "tool", "--flag", "--no-flag", "--", "-x", NULL };
	int idx;

	(void)st;
	idx = parse(&v, 5, argv);
	assert_int_equal(idx, 4);
	assert_string_equal(argv[idx], "-x");
	assert_false(v.flag);
}

static void
test_env_then_cli_precedence(void **st)
{
	struct vals v = { 0 };
	char *a1[] = { "tool", NULL };
	char *a2[] = { "tool", "--name", "cli", NULL };

	(void)st;
	setenv("BULWARK_T_NAME", "env", 1);
	assert_int_equal(parse(&v, 1, a1), 1);
	assert_string_equal(v.name, "env");
	assert_int_equal(parse(&v, 3, a2), 3);
	assert_string_equal(v.name, "cli");
	unsetenv("BULWARK_T_NAME");
}

static void
test_errors(void **st)
{
	struct vals v = { 0 };
	char *a1[] = { "tool", "--count", "11", NULL };
	char *a2[] = { "tool", "--bogus", NULL };
	char *a3[] = { "tool", "--wait", "soon", NULL };
	char *a4[] = { "tool", "--name", NULL };

	(void)st;
	log_set_sink(capture, NULL);
	assert_int_equal(parse(&v, 3, a1), OPT_ERROR);
	assert_non_null(strstr(last_err, "out of range"));
	assert_int_equal(parse(&v, 2, a2), OPT_ERROR);
	assert_non_null(strstr(last_err, "unknown option '--bogus'"));
	assert_int_equal(parse(&v, 3, a3), OPT_ERROR);
	assert_non_null(strstr(last_err, "not a duration"));
	assert_int_equal(parse(&v, 2, a4), OPT_ERROR);
	assert_non_null(strstr(last_err, "needs a value"));
	log_set_sink(NULL, NULL);
}

static void
test_help_lists_every_option(void **st)
{
	struct vals v = { 0 };
	char *argv[] = { "tool", "--help", NULL };
	const struct opt opts[] = {
		OPT_BOOL('f', "flag", &v.flag, "a flag"),
		OPT_DURATION(0, "wait", &v.wait, "a wait"),
		OPT_END(),
	};
	char *out = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&out, &len);

	(void)st;
	opt_print_help(fp, opts, usage);
	fclose(fp);
	assert_non_null(strstr(out, "usage: tool [options]"));
	assert_non_null(strstr(out, "--[no-]flag"));
	assert_non_null(strstr(out, "--wait DURATION"));
	assert_non_null(strstr(out, "--version"));
	free(out);
	/* --help short-circuits with OPT_DONE (stdout goes to the log). */
	assert_int_equal(opt_parse(2, argv, opts, usage), OPT_DONE);
}

static void
test_duration_and_size_parsers(void **st)
{
	int64_t ms;
	uint64_t b;

	(void)st;
	log_set_sink(capture, NULL);
	assert_int_equal(opt_parse_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(opt_parse_duration("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(opt_parse_duration("2", &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(opt_parse_duration("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	/* rounding half up, as llround, at the sub-millisecond edges */
	assert_int_equal(opt_parse_duration("0.4999ms", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(opt_parse_duration("0.5ms", &ms), 0);
	assert_int_equal(ms, 1);
	assert_int_equal(opt_parse_duration("1.0015s", &ms), 0);
	assert_int_equal(ms, 1002);
	assert_int_equal(opt_parse_duration("2.5ms", &ms), 0);
	assert_int_equal(ms, 3);
	assert_int_equal(opt_parse_duration("-1s", &ms), -1);
	assert_int_equal(opt_parse_duration("5x", &ms), -1);
	assert_int_equal(opt_parse_size("10M", &b), 0);
	assert_int_equal(b, 10 << 20);
	assert_int_equal(opt_parse_size("1GiB", &b), 0);
	assert_int_equal(b, 1 << 30);
	assert_int_equal(opt_parse_size("-5", &b), -1);
	assert_int_equal(opt_parse_size("99999999999999999999", &b), -1);
	log_set_sink(NULL, NULL);
}

static int
verb_a(int argc, char **argv)
{
	(void)argv;
	return 40 + argc;
}

static void
test_dispatch(void **st)
{
	const struct subcmd cmds[] = { { "a", verb_a, "does a" },
		{ NULL, NULL, NULL } };
	char *a1[] = { "tool", "a", "x", NULL };
	char *a2[] = { "tool", "nope", NULL };

	(void)st;
	log_set_sink(capture, NULL);
	assert_int_equal(opt_dispatch(3, a1, cmds, NULL), 42);
	assert_int_equal(opt_dispatch(2, a2, cmds, NULL), 2);
	assert_non_null(strstr(last_err, "unknown command 'nope'"));
	log_set_sink(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_all_types),
		cmocka_unit_test(test_double_dash_and_negation),
		cmocka_unit_test(test_env_then_cli_precedence),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_lists_every_option),
		cmocka_unit_test(test_duration_and_size_parsers),
		cmocka_unit_test(test_dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
