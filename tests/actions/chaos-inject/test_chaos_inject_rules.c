/*
 * The rule parser shared by the CLI and the shim, the toxic parser, and
 * the seeded draw that makes runs replayable.
 */
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chaos.h"
#include "rules.h"

static struct chaos_rules rs;
static char err[200];

static void
test_full_rule(void **s)
{
	const struct chaos_rule *r;

	(void)s;
	assert_int_equal(
	    chaos_rules_parse(&rs,
	        "open|read,path=/work/cache/,p=25%,errno=EIO,after=2,times=3",
	        err, sizeof(err)),
	    0);
	assert_int_equal(rs.n, 1);
	r = &rs.r[0];
	assert_int_equal(r->calls, CHAOS_OPEN | CHAOS_READ);
	assert_string_equal(r->path, "/work/cache/");
	assert_int_equal(r->err, EIO);
	assert_int_equal(r->after, 2);
	assert_int_equal(r->times, 3);
	assert_false(r->p_always);
	/* 25% of 2^64, within rounding */
	assert_true(r->p_threshold > 0x3fffffffffff0000ULL &&
	            r->p_threshold < 0x4000000000010000ULL);
}

static void
test_several_rules_and_defaults(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos_rules_parse(&rs,
	        "connect,host=127.0.0.1,port=5432;\n"
	        " send,host=::1,delay=200ms,jitter=20ms\n"
	        "dns,host=registry.npmjs.org,errno=EAI_AGAIN,nth=2;",
	        err, sizeof(err)),
	    0);
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.r[0].port, 5432);
	assert_int_equal(rs.r[0].naddrs, 1);
	assert_true(rs.r[0].p_always);
	assert_int_equal(rs.r[0].action, CHAOS_ACT_FAIL);
	assert_int_equal(chaos_default_errno(CHAOS_CONNECT), ECONNREFUSED);
	/* a delay without errno only delays */
	assert_int_equal(rs.r[1].action, CHAOS_ACT_DELAY);
	assert_int_equal(rs.r[1].delay_ns, 200000000ULL);
	assert_int_equal(rs.r[1].jitter_ns, 20000000ULL);
	assert_true(rs.r[2].host_is_name);
	assert_int_equal(rs.r[2].err, EAI_AGAIN);
	assert_int_equal(rs.r[2].nth, 2);
	assert_int_equal(
	    chaos_rules_calls(&rs), CHAOS_CONNECT | CHAOS_SEND | CHAOS_DNS);
}

static void
test_errno_must_make_sense(void **s)
{
	(void)s;
	/* libfiu's pick (EISDIR/EFAULT on read) is refused */
	assert_int_equal(
	    chaos_rules_parse(&rs, "read,errno=EISDIR", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown errno"));
	assert_int_equal(chaos_rules_parse(&rs, "read|connect,errno=ENOSPC",
	                     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "makes no sense for 'read'"));
	assert_int_equal(
	    chaos_rules_parse(&rs, "dns,errno=EIO", err, sizeof(err)), -1);
	assert_true(chaos_rule_errno_ok(CHAOS_WRITE, ENOSPC));
	assert_false(chaos_rule_errno_ok(CHAOS_CONNECT, ENOSPC));
}

static void
test_bad_rules(void **s)
{
	static const char *const bad[] = {
		"", /* empty is fine: checked below */
		"opne",
		"open,path=relative",
		"open,p=1.5",
		"open,p=abc",
		"connect,port=70000",
		"connect,path=/x",
		"open,host=1.2.3.4",
		"read,action=explode",
		"open,action=short",
		"open,delay=5parsecs",
		"open,nth=0",
		"open,color=red",
		"open,,p=1",
		"open,delay=2h",
	};
	size_t i;

	(void)s;
	assert_int_equal(chaos_rules_parse(&rs, bad[0], err, sizeof(err)), 0);
	assert_int_equal(rs.n, 0);
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (chaos_rules_parse(&rs, bad[i], err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_true(strncmp(err, "rule 1: ", 8) == 0);
	}
}

static void
test_too_many_rules(void **s)
{
	char text[2048] = "";
	int i;

	(void)s;
	for (i = 0; i < CHAOS_MAX_RULES + 1; i++)
		memcpy(text + 5 * i, "open;", 6);
	assert_int_equal(chaos_rules_parse(&rs, text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too many rules"));
}

static void
test_draw_is_a_pure_function(void **s)
{
	uint64_t a = chaos_draw(1, 2, 3, 4);

	(void)s;
	assert_true(a == chaos_draw(1, 2, 3, 4));
	assert_true(a != chaos_draw(2, 2, 3, 4));
	assert_true(a != chaos_draw(1, 3, 3, 4));
	assert_true(a != chaos_draw(1, 2, 4, 4));
	assert_true(a != chaos_draw(1, 2, 3, 5));
}

static void
test_probability_rate(void **s)
{
	unsigned n, hits = 0;

	(void)s;
	assert_int_equal(
	    chaos_rules_parse(&rs, "open,p=0.3", err, sizeof(err)), 0);
	for (n = 1; n <= 1000; n++)
		if (chaos_draw(42, 0, 0, n) < rs.r[0].p_threshold)
			hits++;
	/* 1000 draws at p=0.3: mean 300, sd 14.5; 6 sd either side */
	assert_true(hits > 213 && hits < 387);
}

static void
test_durations(void **s)
{
	uint64_t ns;

	(void)s;
	assert_int_equal(chaos_parse_duration_ns("1.5s", 4, &ns), 0);
	assert_int_equal(ns, 1500000000ULL);
	assert_int_equal(chaos_parse_duration_ns("250", 3, &ns), 0);
	assert_int_equal(ns, 250000000ULL);
	assert_int_equal(chaos_parse_duration_ns("10us", 4, &ns), 0);
	assert_int_equal(ns, 10000ULL);
	assert_int_equal(chaos_parse_duration_ns("x", 1, &ns), -1);
}

static void
test_toxics(void **s)
{
	struct chaos_toxic t;

	(void)s;
	assert_int_equal(
	    chaos_toxic_parse(
	        "latency:latency=200ms,jitter=10ms,stream=upstream,toxicity=0.5",
	        &t),
	    0);
	assert_int_equal(t.type, CHAOS_TOX_LATENCY);
	assert_int_equal(t.latency_ms, 200);
	assert_int_equal(t.jitter_ms, 10);
	assert_true(t.upstream);
	assert_true(t.toxicity > 0.49 && t.toxicity < 0.51);
	assert_int_equal(chaos_toxic_parse("bandwidth:rate=100", &t), 0);
	assert_int_equal(t.rate_kbps, 100);
	assert_false(t.upstream);
	assert_int_equal(
	    chaos_toxic_parse("slicer:average_size=64,delay=10us", &t), 0);
	assert_int_equal(t.delay_us, 10);
	assert_int_equal(chaos_toxic_parse("timeout:timeout=0", &t), 0);
	assert_int_equal(chaos_toxic_parse("limit_data:bytes=5", &t), 0);
	assert_int_equal(chaos_toxic_parse("nope", &t), -1);
	assert_int_equal(chaos_toxic_parse("bandwidth", &t), -1);
	assert_int_equal(chaos_toxic_parse("latency:toxicity=2", &t), -1);
	assert_int_equal(chaos_toxic_parse("latency:wat=1", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_several_rules_and_defaults),
		cmocka_unit_test(test_errno_must_make_sense),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_draw_is_a_pure_function),
		cmocka_unit_test(test_probability_rate),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_toxics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
