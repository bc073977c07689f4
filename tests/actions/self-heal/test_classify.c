/* Pure logic of the classifier: line cleaning, the automaton, class
 * priority, `near` context, status rules, wait hints, user rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "heal.h"

static struct heal_rules rules;

static int
setup(void **state)
{
	(void)state;
	memset(&rules, 0, sizeof(rules));
	rules.max_run_attempts = 3;
	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	heal_rules_release(&rules);
	return 0;
}

static void
classify(struct heal_rules *rs, const char *text, long code, int sig,
    struct heal_match *m)
{
	struct heal_scan s;
	heal_scan_init(&s, rs);
	s.now_s = 1700000000;
	heal_scan_feed(&s, text, strlen(text));
	heal_scan_result(&s, code, sig, m);
	heal_scan_release(&s);
}

static void
test_clean_line(void **state)
{
	struct buf b = BUF_INIT(0);
	const char *l = "2024-10-18T23:27:40.6602932Z \x1b[31mnpm error\x1b[0m "
	                "code \x1b]8;;http://x\x07"
	                "ECONNRESET";
	(void)state;
	heal_clean_line(l, strlen(l), &b);
	assert_string_equal(b.data, "npm error code ECONNRESET");
	buf_reset(&b);
	heal_clean_line("50%\r100% done", 13, &b);
	assert_string_equal(b.data, "100% done");
	buf_reset(&b);
	heal_clean_line("\x1b(Bplain\x1b[K", 12, &b);
	assert_string_equal(b.data, "plain");
	buf_reset(&b);
	/* not a timestamp: kept */
	heal_clean_line("2024-10-18 not a stamp", 22, &b);
	assert_string_equal(b.data, "2024-10-18 not a stamp");
	buf_release(&b);
}

static void
test_evidence_copy(void **state)
{
	char dst[8];
	(void)state;
	heal_evidence_copy(dst, sizeof(dst), "  a\tb\x01", 6);
	assert_string_equal(dst, "a?b?");
	/* "héllo" cut inside the é must not leave half a sequence */
	heal_evidence_copy(dst, 3, "h\xc3\xa9llo", 6);
	assert_string_equal(dst, "h");
}

static int
count_hit(size_t pat, void *ctx)
{
	size_t *hits = ctx;
	hits[pat]++;
	return 0;
}

static void
test_aho_corasick(void **state)
{
	const char *pats[] = { "he", "she", "his", "hers", "" };
	size_t hits[5] = { 0 };
	struct heal_ac *ac = heal_ac_build(pats, 5);
	(void)state;
	heal_ac_scan(ac, "uSHErs and HIS", 14, count_hit, hits);
	assert_int_equal(hits[0], 1); /* he (in sHErs) */
	assert_int_equal(hits[1], 1);
	assert_int_equal(hits[2], 1);
	assert_int_equal(hits[3], 1);
	assert_int_equal(hits[4], 0);
	heal_ac_free(ac);
}

static void
test_network(void **state)
{
	struct heal_match m;
	(void)state;
	classify(&rules,
	    "2024-10-18T23:27:40.6602932Z ##[group]Run npm ci\n"
	    "2024-10-18T23:27:41.0000000Z npm error code ECONNRESET\n"
	    "2024-10-18T23:27:41.0000000Z npm error network aborted\n",
	    1, 0, &m);
	assert_int_equal(m.cls, HEAL_NETWORK);
	assert_string_equal(m.rule_id, "econnreset");
	assert_int_equal(m.line, 2);
	assert_string_equal(m.evidence, "npm error code ECONNRESET");
}

/* npm's E404 is "code E404"; a digest that happens to contain e404 is
 * no reason to veto the retry of a network failure. */
static void
test_digest_is_not_e404(void **state)
{
	struct heal_match m;
	(void)state;
	classify(&rules,
	    "#12 writing image sha256:51e4042df722eb3165f40dc5f4bf33d0197ecb07 "
	    "done\n"
	    "npm error code ECONNRESET\n",
	    1, 0, &m);
	assert_int_equal(m.cls, HEAL_NETWORK);
	assert_string_equal(m.rule_id, "econnreset");
	classify(
	    &rules, "npm ERR! code E404\nnpm ERR! 404 Not Found\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_DETERMINISTIC);
	assert_string_equal(m.rule_id, "npm-e404");
	assert_int_equal(m.line, 1);
}

static void
test_deterministic_wins(void **state)
{
	struct heal_match m;
	(void)state;
	/* an i/o timeout first, then the checksum SECURITY ERROR: never
	 * retried whatever the order */
	classify(&rules,
	    "go: downloading x v1\n"
	    "dial tcp 1.2.3.4:443: i/o timeout\n"
	    "verifying example.com/m@v1.0.0: checksum mismatch\n"
	    "SECURITY ERROR\n",
	    1, 0, &m);
	assert_int_equal(m.cls, HEAL_DETERMINISTIC);
	assert_false(heal_class_transient(m.cls));
	assert_int_equal(m.line, 3);
}

static void
test_near_context(void **state)
{
	struct heal_match m;
	(void)state;
	/* a refused connection to a local database is not the network */
	classify(
	    &rules, "Error: connect ECONNREFUSED 127.0.0.1:5432\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NONE);
	/* the same near a registry URL is */
	classify(&rules,
	    "GET https://registry.npmjs.org/left-pad\n"
	    "x\nconnect ECONNREFUSED 104.16.0.1:443\n",
	    1, 0, &m);
	assert_int_equal(m.cls, HEAL_NETWORK);
	assert_int_equal(m.line, 3);
	/* context after the line counts too */
	classify(&rules, "connection refused\ndocker pull alpine\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NETWORK);
	assert_int_equal(m.line, 1);
	/* ... but not outside the window */
	classify(
	    &rules, "connection refused\n1\n2\n3\n4\ndocker pull\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NONE);
}

static void
test_status_rules(void **state)
{
	struct heal_match m;
	(void)state;
	classify(&rules, "building...\n", 137, 9, &m);
	assert_int_equal(m.cls, HEAL_OOM);
	assert_int_equal(m.line, 0);
	assert_string_equal(m.evidence, "killed by signal 9");
	classify(&rules, "sh: 1: nosuch: not found\n", 127, 0, &m);
	assert_int_equal(m.cls, HEAL_DETERMINISTIC);
	classify(&rules, "all good but exit 1\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NONE);
}

static void
test_wait_hint(void **state)
{
	struct heal_match m;
	(void)state;
	classify(&rules, "HTTP/1.1 429 Too Many Requests\nRetry-After: 7\n", 1,
	    0, &m);
	assert_int_equal(m.cls, HEAL_RATE_LIMIT);
	assert_true(m.have_wait);
	assert_int_equal(m.wait_ms, 7000);
	classify(&rules,
	    "API rate limit exceeded\nx-ratelimit-reset: 1700000042\n", 1, 0,
	    &m);
	assert_int_equal(m.cls, HEAL_RATE_LIMIT);
	assert_int_equal(m.wait_ms, 42000);
	classify(
	    &rules, "secondary rate limit, try again in 2 minutes\n", 1, 0, &m);
	assert_int_equal(m.wait_ms, 120000);
	classify(&rules, "nothing here\n", 1, 0, &m);
	assert_false(m.have_wait);
}

static void
test_feed_chunking(void **state)
{
	const char *text = "line one\nnpm ERR! code EAI_AGAIN\nlast";
	struct heal_scan s;
	struct heal_match a, b;
	size_t i;
	(void)state;
	classify(&rules, text, 1, 0, &a);
	heal_scan_init(&s, &rules);
	for (i = 0; text[i]; i++)
		heal_scan_feed(&s, text + i, 1);
	heal_scan_result(&s, 1, 0, &b);
	assert_int_equal(s.lineno, 3);
	heal_scan_release(&s);
	assert_int_equal(a.cls, HEAL_NETWORK);
	assert_int_equal(a.cls, b.cls);
	assert_int_equal(a.line, b.line);
	assert_string_equal(a.evidence, b.evidence);
}

static void
test_user_rules(void **state)
{
	struct heal_rules rs = HEAL_RULES_INIT;
	struct heal_match m;
	static const char yaml[] =
	    "defaults: {max_run_attempts: 5}\n"
	    "classes:\n  network: {limit: 1}\n"
	    "rules:\n"
	    "  - {id: flaky-e2e, class: flaky_test, contains: 'Timed out waiting for selector', job_name: e2e}\n"
	    "  - {id: econnreset, class: deterministic, contains: ECONNRESET}\n"
	    "  - id: gha-shutdown-signal\n    disabled: true\n"
	    "  - {id: exit-3, class: infra, exit_code: 3}\n"
	    "  - {id: near-re, class: network, regex: 'boom [0-9]+', near: ['^ctx$'], window: 2}\n";
	(void)state;
	heal_rules_builtin(&rs);
	assert_int_equal(
	    heal_rules_load_mem(&rs, "t.yml", yaml, strlen(yaml)), 0);
	assert_int_equal(heal_rules_compile(&rs), 0);
	assert_int_equal(rs.max_run_attempts, 5);
	assert_int_equal(rs.limit[HEAL_NETWORK], 1);
	/* overridden in place */
	classify(&rs, "npm error code ECONNRESET\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_DETERMINISTIC);
	assert_string_equal(m.rule_id, "econnreset");
	/* disabled */
	classify(&rs, "The runner has received a shutdown signal.\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NONE);
	classify(&rs, "whatever\n", 3, 0, &m);
	assert_int_equal(m.cls, HEAL_INFRA);
	classify(&rs, "ctx\nboom 12\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NETWORK);
	assert_string_equal(m.rule_id, "near-re");
	/* job_name condition: without the job it does not match */
	classify(&rs, "Timed out waiting for selector #x\n", 1, 0, &m);
	assert_int_equal(m.cls, HEAL_NONE);
	{
		struct heal_scan s;
		const char *t = "Timed out waiting for selector #x\n";
		heal_scan_init(&s, &rs);
		s.job_name = "E2E (chrome)";
		heal_scan_feed(&s, t, strlen(t));
		heal_scan_result(&s, 1, 0, &m);
		heal_scan_release(&s);
		assert_int_equal(m.cls, HEAL_FLAKY_TEST);
	}
	heal_rules_release(&rs);
}

static void
test_bad_rules(void **state)
{
	static const char *bad[] = {
		"rules:\n  - {id: x, class: nope, contains: a}\n",
		"rules:\n  - {class: network, contains: a}\n",
		"rules:\n  - {id: x, class: network, colour: red}\n",
		"rules: 3\n",
		"unknown_top: 1\n",
		"rules:\n  - {id: x, class: network, exit_code: 999}\n",
	};
	static const char *bad_re[] = {
		"rules:\n  - {id: br, class: network, regex: '(a)\\1'}\n",
		"rules:\n  - {id: br, class: network, regex: '(unclosed'}\n",
	};
	size_t i;
	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct heal_rules rs = HEAL_RULES_INIT;
		assert_int_equal(
		    heal_rules_load_mem(&rs, "bad.yml", bad[i], strlen(bad[i])),
		    -1);
		heal_rules_release(&rs);
	}
	for (i = 0; i < sizeof(bad_re) / sizeof(bad_re[0]); i++) {
		struct heal_rules rs = HEAL_RULES_INIT;
		assert_int_equal(heal_rules_load_mem(&rs, "re.yml", bad_re[i],
		                     strlen(bad_re[i])),
		    0);
		assert_int_equal(heal_rules_compile(&rs), -1);
		heal_rules_release(&rs);
	}
}

static void
test_builtin_regexes_compile(void **state)
{
	struct heal_rules rs = HEAL_RULES_INIT;
	size_t i;
	(void)state;
	heal_rules_builtin(&rs);
	assert_true(rs.nr >= 100);
	assert_int_equal(heal_rules_check(&rs), 0);
	for (i = 0; i < rs.nr; i++) {
		assert_true(rs.v[i].prepared);
		/* the automaton needs a literal for all but status rules */
		assert_true(rs.v[i].contains || rs.v[i].exit_code >= 0 ||
		            rs.v[i].signal);
	}
	heal_rules_release(&rs);
}

static void
test_class_names(void **state)
{
	enum heal_class c;
	int i;
	(void)state;
	for (i = 1; i < HEAL_CLASS_MAX; i++) {
		assert_int_equal(
		    heal_class_parse(heal_class_name((enum heal_class)i), &c),
		    0);
		assert_int_equal(c, i);
	}
	assert_int_equal(heal_class_parse("bogus", &c), -1);
	assert_true(heal_class_priority(HEAL_DETERMINISTIC) >
	            heal_class_priority(HEAL_NETWORK));
	assert_true(heal_class_transient(HEAL_NETWORK));
	assert_false(heal_class_transient(HEAL_DEPENDENCY));
}

static void
test_markdown(void **state)
{
	struct buf b = BUF_INIT(0);
	(void)state;
	heal_md_code(&b, "a `b` | c");
	assert_string_equal(b.data, "`` a `b` \\| c ``");
	buf_reset(&b);
	heal_md_fence(&b, "x\n````\ny");
	assert_non_null(strstr(b.data, "`````text\n"));
	assert_non_null(strstr(b.data, "\n`````\n"));
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_line),
		cmocka_unit_test(test_evidence_copy),
		cmocka_unit_test(test_aho_corasick),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_deterministic_wins),
		cmocka_unit_test(test_near_context),
		cmocka_unit_test(test_status_rules),
		cmocka_unit_test(test_wait_hint),
		cmocka_unit_test(test_feed_chunking),
		cmocka_unit_test(test_user_rules),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_builtin_regexes_compile),
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_digest_is_not_e404),
		cmocka_unit_test(test_markdown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
