/* perf-shard timings store: per-run sums, history, failures, estimates. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "tmpdir.h"
#include "timings.h"

static void
add(struct timings *t, const char *file, const char *name, int64_t us,
    unsigned flags)
{
	struct tcase c = { NULL, file, NULL, name, us, flags };

	assert_int_equal(timings_run_add(&c, t), 0);
}

static void
test_run_sums_duplicates_and_skips_failures(void **state)
{
	struct timings t;
	struct timing *a, *b, *u;

	(void)state;
	timings_init(&t, 3);
	timings_run_begin(&t);
	/* pytest: call failure + teardown error are two cases of one test */
	add(&t, "a.py", "t1", 1000, 0);
	add(&t, "a.py", "t1", 500, 0);
	add(&t, "a.py", "t2", 7000, TC_FAILED);
	add(&t, "a.py", "t3", TC_UNKNOWN, 0);
	assert_int_equal(timings_run_end(&t, 0), 1);
	a = timings_find(&t, "a.py::t1");
	b = timings_find(&t, "a.py::t2");
	u = timings_find(&t, "a.py::t3");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(u);
	assert_int_equal(a->nus, 1);
	assert_true(a->us[0] == 1500);
	assert_int_equal(b->nus, 0);
	assert_int_equal(b->failures, 1);
	assert_int_equal(u->nus, 0);
	assert_true(timing_estimate(u, EST_MEDIAN) == -1);
	timings_release(&t);
}

static void
test_history_median_ema(void **state)
{
	static const int64_t runs[] = { 100, 900, 200, 300, 50000, 400 };
	struct timings t;
	struct timing *a;
	size_t i;

	(void)state;
	timings_init(&t, 5);
	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		timings_run_begin(&t);
		add(&t, "f", "x", runs[i], i == 1 ? TC_FLAKY : 0);
		timings_run_end(&t, 0);
	}
	a = timings_find(&t, "f::x");
	assert_int_equal(a->nus, 5); /* the oldest (100) dropped */
	assert_true(a->us[0] == 900 && a->us[4] == 400);
	assert_int_equal(a->flaky, 1);
	/* median of 900 200 300 50000 400 = 400: one outlier is ignored */
	assert_true(timing_estimate(a, EST_MEDIAN) == 400);
	assert_true(timing_estimate(a, EST_EMA) > 400);
	timings_release(&t);
}

static void
test_save_load_roundtrip_and_prune(void **state)
{
	char *dir = tmpdir_make(), *p = tmpdir_path(dir, "t.json");
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	struct timings t, u;

	(void)state;
	timings_init(&t, 4);
	timings_run_begin(&t);
	add(&t, "z.py", "b [1] \"q\" \xc3\xa9", 10, 0);
	add(&t, "a.py", "gone", 20, 0);
	timings_run_end(&t, 0);
	timings_run_begin(&t);
	add(&t, "z.py", "b [1] \"q\" \xc3\xa9", 30, 0);
	timings_run_end(&t, 2);
	assert_int_equal(t.nr, 2);
	timings_run_begin(&t);
	add(&t, "z.py", "b [1] \"q\" \xc3\xa9", 30, 0);
	timings_run_end(&t, 2);
	assert_int_equal(t.nr, 1); /* a.py::gone not seen for 2 runs */
	assert_int_equal(timings_save(&t, p), 0);
	timings_init(&u, 0);
	assert_int_equal(timings_load(&u, p, false), 0);
	assert_int_equal(u.history, 4);
	assert_int_equal(u.runs, 3);
	assert_int_equal(timings_dump(&t, &a), 0);
	assert_int_equal(timings_dump(&u, &b), 0);
	assert_string_equal(a.data, b.data);
	timings_release(&u);
	timings_init(&u, 0);
	assert_int_equal(timings_load(&u, "/nonexistent/x", true), 0);
	assert_int_equal(u.nr, 0);
	log_set_sink(test_log_quiet, NULL);
	assert_int_equal(timings_load(&u, "/nonexistent/x", false), -1);
	free(p);
	p = tmpdir_write(
	    dir, "bad.json", "{\"format\":\"other\",\"tests\":{}}");
	assert_int_equal(timings_load(&u, p, false), -1);
	free(tmpdir_write(dir, "bad.json",
	    "{\"format\":\"perf-shard-timings/1\",\"tests\":{\"a\":{\"us\":"
	    "[1.5]}}}"));
	assert_int_equal(timings_load(&u, p, false), -1);
	log_set_sink(NULL, NULL);
	timings_release(&u);
	timings_release(&t);
	buf_release(&a);
	buf_release(&b);
	free(p);
	tmpdir_remove(dir);
	free(dir);
}

/*
 * The streaming store reader: members in any order ("tests" before "runs"),
 * escapes and surrogate pairs, unknown members skipped at any depth, a
 * store out of key order (hand-edited) sorted; and the errors.
 */
static void
test_load_stream(void **state)
{
	static const char ok[] =
	    "{\"tests\": {\"z.py::b\": {\"us\": [30, 10, 20]},\n"
	    " \"a.py::t \\\"\\u00e9\\ud83d\\ude00\": {\"x\": [{\"y\": [1, "
	    "{}]}, null, true], \"us\": [], \"failures\": 2},\n"
	    " \"m\": {\"file\": \"m/f.py\", \"us\": [5]}},\n"
	    " \"runs\": 4, \"format\": \"perf-shard-timings/1\", "
	    "\"history\": 3}";
	static const char *const bad[] = {
		"",
		"[]",
		"{\"format\": \"perf-shard-timings/1\"}",
		"{\"format\": \"x\", \"tests\": {}}",
		"{\"format\": \"perf-shard-timings/1\", \"tests\": {\"a\": "
		"{\"us\": [1.5]}}}",
		"{\"format\": \"perf-shard-timings/1\", \"tests\": {\"a\": "
		"[1]}}",
		"{\"format\": \"perf-shard-timings/1\", \"tests\": {}} x",
		"{\"format\": \"perf-shard-timings/1\", \"tests\": {\"a\": "
		"{\"us\": [1,]}}}",
		"{\"format\": \"perf-shard-timings/1\", \"tests\": {\"a\": "
		"{\"us\": [1]}}",
	};
	struct timings t;
	struct timing *x;
	size_t i;

	(void)state;
	timings_init(&t, 0);
	assert_int_equal(timings_load_mem(&t, ok, strlen(ok), "ok.json"), 0);
	assert_int_equal(t.nr, 3);
	assert_int_equal(t.runs, 4);
	assert_int_equal(t.history, 3);
	/* sorted by id, found by id */
	assert_string_equal(t.v[0].id, "a.py::t \"\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(t.v[2].id, "z.py::b");
	x = timings_find(&t, "z.py::b");
	assert_non_null(x);
	assert_true(timing_estimate(x, EST_MEDIAN) == 20);
	assert_int_equal(x->seen, 4); /* "runs" came after "tests" */
	assert_string_equal(x->file, "z.py");
	x = timings_find(&t, "m");
	assert_non_null(x);
	assert_string_equal(x->file, "m/f.py");
	assert_int_equal(t.v[0].failures, 2);
	assert_int_equal(t.v[0].nus, 0);
	timings_release(&t);
	log_set_sink(test_log_quiet, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		timings_init(&t, 0);
		assert_int_equal(
		    timings_load_mem(&t, bad[i], strlen(bad[i]), "bad"), -1);
		timings_release(&t);
	}
	log_set_sink(NULL, NULL);
}

static void
test_case_id(void **state)
{
	struct tcase c = { NULL, "f.py", "C", "t", 0, 0 };
	char *id;

	(void)state;
	id = timings_case_id(&c);
	assert_string_equal(id, "f.py::t");
	free(id);
	c.file = NULL;
	id = timings_case_id(&c);
	assert_string_equal(id, "C::t");
	free(id);
	c.name = "";
	id = timings_case_id(&c);
	assert_string_equal(id, "C");
	free(id);
	c.id = "given";
	id = timings_case_id(&c);
	assert_string_equal(id, "given");
	free(id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_sums_duplicates_and_skips_failures),
		cmocka_unit_test(test_history_median_ema),
		cmocka_unit_test(test_save_load_roundtrip_and_prune),
		cmocka_unit_test(test_case_id),
		cmocka_unit_test(test_load_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
