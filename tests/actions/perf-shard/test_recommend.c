/* perf-shard shard-count recommendation: wall/cost model, the floor. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "recommend.h"

#define S 1000000LL

static void
add_n(struct plan *p, size_t n, int64_t us, const char *prefix)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char key[64];

		snprintf(key, sizeof(key), "%s%03zu", prefix, i);
		plan_add(p, key, us, true);
	}
}

/* 40 tests of 30 s = 20 min of work, 30 s overhead. */
static void
test_smallest_n_meeting_target(void **state)
{
	struct plan p;
	struct recommend r;
	struct buf md = BUF_INIT(0);
	size_t i;

	(void)state;
	plan_init(&p);
	recommend_init(&r);
	add_n(&p, 40, 30 * S, "t");
	/* wall(N) = 30 s + ceil(40/N) * 30 s; <= 5 min needs N >= 5 */
	assert_int_equal(recommend_run(&r, &p, 30 * S, 300 * S, 32), 0);
	assert_true(r.met);
	assert_false(r.impossible);
	assert_int_equal(r.best, 5);
	for (i = 0; i < r.nr; i++) {
		const struct rec_row *row = &r.rows[i];
		int64_t per = (40 + row->n - 1) / row->n;

		assert_true(row->makespan == per * 30 * S);
		assert_true(row->wall == 30 * S + row->makespan);
		if (row->n < r.best)
			assert_true(row->wall > 300 * S);
	}
	/* billed: N=1 is one job of 20.5 min -> 21 minutes */
	assert_true(r.rows[0].billed_min == 21);
	/* N=40: 40 jobs of 1 min each -> 40 */
	assert_true(r.nr == 32 && r.rows[31].billed_min >= 32);
	assert_int_equal(recommend_markdown(&r, 300 * S, 30 * S, &md), 0);
	assert_non_null(strstr(md.data, "| **5** |"));
	assert_non_null(strstr(md.data, "smallest count"));
	buf_release(&md);
	recommend_release(&r);
	plan_release(&p);
}

/* One 221 s item (pgmpy's shape): a 3-minute target cannot be met. */
static void
test_one_item_longer_than_target(void **state)
{
	struct plan p;
	struct recommend r;
	struct buf md = BUF_INIT(0);

	(void)state;
	plan_init(&p);
	recommend_init(&r);
	plan_add(&p, "huge", 221 * S, true);
	add_n(&p, 100, 3 * S, "s");
	assert_int_equal(recommend_run(&r, &p, 10 * S, 180 * S, 16), 0);
	assert_false(r.met);
	assert_true(r.impossible);
	assert_true(r.floor_us == 231 * S);
	/* the wall stops shrinking once the big item is alone: N = 3 */
	assert_int_equal(r.best, 3);
	assert_int_equal(recommend_markdown(&r, 180 * S, 10 * S, &md), 0);
	assert_non_null(strstr(md.data, "No shard count meets the target"));
	buf_release(&md);
	recommend_release(&r);
	plan_release(&p);
}

static void
test_max_shards_too_small(void **state)
{
	struct plan p;
	struct recommend r;

	(void)state;
	plan_init(&p);
	recommend_init(&r);
	add_n(&p, 64, 60 * S, "t");
	assert_int_equal(recommend_run(&r, &p, 0, 120 * S, 4), 0);
	assert_false(r.met);
	assert_false(r.impossible);
	assert_int_equal(r.best, 4);
	recommend_release(&r);
	plan_release(&p);
}

static void
test_fmt_duration(void **state)
{
	char b[32];

	(void)state;
	fmt_duration(850000, b);
	assert_string_equal(b, "850ms");
	fmt_duration(12300000, b);
	assert_string_equal(b, "12.3s");
	fmt_duration(245 * S, b);
	assert_string_equal(b, "4m 05s");
	fmt_duration(5580 * S, b);
	assert_string_equal(b, "1h 33m");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smallest_n_meeting_target),
		cmocka_unit_test(test_one_item_longer_than_target),
		cmocka_unit_test(test_max_shards_too_small),
		cmocka_unit_test(test_fmt_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
