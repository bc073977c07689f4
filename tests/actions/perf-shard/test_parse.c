/* perf-shard parsers: odd time values, JUnit variants, durations files. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "durations.h"
#include "junit.h"
#include "tmpdir.h"

struct got {
	struct strlist ids;
	int64_t us[64];
	unsigned flags[64];
	size_t n;
};

static int
collect(const struct tcase *c, void *ctx)
{
	struct got *g = ctx;
	char *id = xasprintf("%s|%s|%s", c->file ? c->file : "-",
	    c->classname ? c->classname : "-", c->name);

	strlist_push_owned(&g->ids, id);
	if (g->n < 64) {
		g->us[g->n] = c->us;
		g->flags[g->n] = c->flags;
	}
	g->n++;
	return 0;
}

static void
parse(const char *xml, struct got *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(
	    junit_parse_mem(xml, strlen(xml), "t.xml", "/ws", collect, g, NULL),
	    0);
}

static void
test_seconds(void **state)
{
	static const struct {
		const char *s;
		int64_t us;
	} ok[] = {
		{ "0.123", 123000 },
		{ "1,234.5", 1234500000 },
		{ "2,120.532", 2120532000 },
		{ "0,03", 30000 },
		{ "1,078", 1078000 },
		{ "1.0E-4", 100 },
		{ "3e2", 300000000 },
		{ " 2 ", 2000000 },
		{ "0.0000005", 1 },
		{ "0.0000004", 0 },
		{ "14,029.255", 14029255000 },
		{ "0.5007521999941673", 500752 },
		{ "1,234,567", 1234567000000 },
	};
	static const char *bad[] = { "", " ", "-1", "abc", "1..2", "NaN", "inf",
		"1e", "1e99", "1.5.5" };
	size_t i;
	int64_t us;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		us = -7;
		assert_int_equal(
		    tcase_parse_seconds(ok[i].s, strlen(ok[i].s), &us), 0);
		assert_true(us == ok[i].us);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(
		    tcase_parse_seconds(bad[i], strlen(bad[i]), &us), -1);
}

static void
test_normalize(void **state)
{
	char a[] = "./spec/./x_spec.rb", b[] = "/ws/src\\a.py", c[] = "./a//b",
	     d[] = "/other/a.py";

	(void)state;
	tcase_normalize_path(a, NULL);
	tcase_normalize_path(b, "/ws");
	tcase_normalize_path(c, NULL);
	tcase_normalize_path(d, "/ws");
	assert_string_equal(a, "spec/./x_spec.rb");
	assert_string_equal(b, "src/a.py");
	assert_string_equal(c, "a/b");
	assert_string_equal(d, "/other/a.py");
}

static void
test_nesting_and_file_inheritance(void **state)
{
	struct got g;

	(void)state;
	parse("<testsuites><testsuite name='outer' file='/ws/a.py'>"
	      "<testsuite name='inner'>"
	      "<testcase classname='C' name='t1' time='1.5'/>"
	      "<testcase name='t2' file='./b.py' time='0,25'/>"
	      "</testsuite></testsuite>"
	      "<testsuite name='S2'><testcase name='t3'/></testsuite>"
	      "</testsuites>",
	    &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids.items[0], "a.py|C|t1");
	assert_string_equal(g.ids.items[1], "b.py|inner|t2");
	assert_string_equal(g.ids.items[2], "-|S2|t3");
	assert_true(g.us[0] == 1500000);
	assert_true(g.us[1] == 250000);
	assert_true(g.us[2] == TC_UNKNOWN);
	strlist_release(&g.ids);
}

static void
test_bare_suite_time_child_reruns(void **state)
{
	struct got g;

	(void)state;
	parse("<?xml version='1.0'?><testsuite name='T'>"
	      "<properties><property name='x' value='y'/></properties>"
	      "<testcase name='a'><time>0.378</time></testcase>"
	      "<testcase name='b' time='0.1'><flakyFailure message='m'>"
	      "<stackTrace><![CDATA[<time>9</time>]]></stackTrace>"
	      "</flakyFailure></testcase>"
	      "<testcase name='c' time='0.2'><rerunFailure/></testcase>"
	      "<testcase name='d' time='0.3'><skipped/></testcase>"
	      "<time>0.9</time></testsuite>",
	    &g);
	assert_int_equal(g.n, 4);
	assert_true(g.us[0] == 378000);
	assert_true(g.flags[1] == TC_FLAKY);
	assert_true(g.us[1] == 100000);
	assert_true(g.flags[2] == TC_FAILED);
	assert_true(g.flags[3] == TC_SKIPPED);
	strlist_release(&g.ids);
}

static void
test_go_subtests(void **state)
{
	struct got g;

	(void)state;
	parse("<testsuites><testsuite name='p'>"
	      "<testcase classname='p' name='TestA/x' time='1'/>"
	      "<testcase classname='p' name='TestA' time='2'/>"
	      "<testcase classname='p' name='TestA/y/z' time='1'/>"
	      "<testcase classname='p' name='TestOrphan/k' time='4'/>"
	      "<testcase classname='q' name='TestA/x' time='8'/>"
	      "</testsuite></testsuites>",
	    &g);
	/* TestA keeps its own time; orphans count as their parent. */
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids.items[0], "-|p|TestA");
	assert_true(g.us[0] == 2000000);
	assert_string_equal(g.ids.items[1], "-|p|TestOrphan");
	assert_string_equal(g.ids.items[2], "-|q|TestA");
	strlist_release(&g.ids);
}

static void
test_mocha_root_suite_file(void **state)
{
	struct got g;

	(void)state;
	parse("<testsuites><testsuite name='Root Suite' file='cy/a.js' "
	      "tests='0'/><testsuite name='a'><testcase name='a a' "
	      "classname='a' time='0.519'/></testsuite></testsuites>",
	    &g);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.ids.items[0], "cy/a.js|a|a a");
	strlist_release(&g.ids);
}

static void
test_malformed_delivers_nothing(void **state)
{
	struct got g;
	static const char *bad[] = {
		"<testsuite><testcase name='a' time='1'/>",
		"<testsuite><testcase name='a'></testsuite>",
		"not xml",
		"",
	};
	size_t i;

	(void)state;
	log_set_sink(test_log_quiet, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&g, 0, sizeof(g));
		assert_int_equal(junit_parse_mem(bad[i], strlen(bad[i]), "x",
		                     NULL, collect, &g, NULL),
		    -1);
		assert_int_equal(g.n, 0);
	}
	log_set_sink(NULL, NULL);
}

/*
 * CDATA sections outside <time> are skipped before expat sees them; the
 * result must equal a plain parse: a <time> in CDATA still counts, a CDATA
 * marker inside a comment is not a section, '>' in an attribute does
 * not end its tag, failures inside
 * traces still mark the case, and an unterminated section is an error.
 */
static void
test_cdata_skipping(void **state)
{
	struct got g;
	static const char xml[] =
	    "<?xml version='1.0'?>\n<!-- <![CDATA[ not a section -->\n"
	    "<testsuite name='S' file='s.py'>\n"
	    "<testcase name='a' time='1.5'><failure><![CDATA[trace\n"
	    "<testcase name='fake' time='9'/>\n]]></failure></testcase>\n"
	    "<testcase name='b > x'><time><![CDATA[2.25]]>"
	    "</time></testcase>\n"
	    "<testcase name='c' time='0.5'><system-out><![CDATA[]]>"
	    "</system-out></testcase>\n</testsuite>\n";
	static const char bad[] =
	    "<testsuite><testcase name='a' time='1'><![CDATA[x</testcase>"
	    "</testsuite>";

	(void)state;
	parse(xml, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids.items[0], "s.py|S|a");
	assert_int_equal(g.us[0], 1500000);
	assert_true(g.flags[0] & TC_FAILED);
	assert_string_equal(g.ids.items[1], "s.py|S|b > x");
	assert_int_equal(g.us[1], 2250000);
	assert_int_equal(g.us[2], 500000);
	strlist_release(&g.ids);
	log_set_sink(test_log_quiet, NULL);
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    junit_parse_mem(bad, strlen(bad), "x", NULL, collect, &g, NULL),
	    -1);
	assert_int_equal(g.n, 0);
	log_set_sink(NULL, NULL);
}

static int
collect_ids(const struct tcase *c, void *ctx)
{
	struct got *g = ctx;

	strlist_push_owned(&g->ids,
	    xasprintf("%s|%s|%s|%lld|%u", c->id ? c->id : "-",
	        c->file ? c->file : "-", c->classname ? c->classname : "-",
	        (long long)c->us, c->flags));
	g->n++;
	return 0;
}

static void
test_pytest_durations(void **state)
{
	const char *js = "{\"t/a.py::TestX::test_y[a b]\": 1.5,"
	                 " \"./t/b.py::test_z\": 0.0005615720001515001,"
	                 " \"t/c.py\": 2}";
	const char *old = "[[\"t/a.py::test_q\", 0.25]]";
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    durations_parse_pytest(js, strlen(js), "d", collect_ids, &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids.items[0],
	    "t/a.py::TestX::test_y[a b]|t/a.py|t/a.py::TestX|1500000|0");
	assert_string_equal(
	    g.ids.items[1], "./t/b.py::test_z|t/b.py|./t/b.py|562|0");
	assert_string_equal(g.ids.items[2], "t/c.py|t/c.py|t/c.py|2000000|0");
	assert_int_equal(
	    durations_parse_pytest(old, strlen(old), "d", collect_ids, &g), 0);
	assert_int_equal(g.n, 4);
	log_set_sink(test_log_quiet, NULL);
	assert_int_equal(
	    durations_parse_pytest("{\"a\": -1}", 9, "d", collect_ids, &g), -1);
	assert_int_equal(
	    durations_parse_pytest("{\"a\": \"x\"}", 10, "d", collect_ids, &g),
	    -1);
	assert_int_equal(
	    durations_parse_pytest("[1]", 3, "d", collect_ids, &g), -1);
	log_set_sink(NULL, NULL);
	strlist_release(&g.ids);
}

static void
test_go_json(void **state)
{
	const char *js =
	    "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}\n"
	    "# build noise\n"
	    "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA/sub\","
	    "\"Elapsed\":0.5}\n"
	    "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\","
	    "\"Elapsed\":1.25}\r\n"
	    "{\"Action\":\"fail\",\"Package\":\"p\",\"Test\":\"TestB\","
	    "\"Elapsed\":0.1}\n"
	    "{\"Action\":\"skip\",\"Package\":\"q\",\"Test\":\"TestC\"}\n"
	    "{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":3}";
	struct got g;

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(
	    durations_parse_gojson(js, strlen(js), "g", collect_ids, &g), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.ids.items[0], "-|p|p|1250000|0");
	assert_string_equal(g.ids.items[1], "-|p|p|100000|1");
	assert_string_equal(g.ids.items[2], "-|q|q|-1|2");
	strlist_release(&g.ids);
}

static void
test_every_fixture_parses(void **state)
{
	static const char *files[] = {
		"go-junit-report/001-report.xml",
		"go-junit-report/102-report.xml",
		"go-junit-report/103-report.xml",
		"go-junit-report/109-report.xml",
		"gotestsum/junitxml-report.golden.xml",
		"maven-surefire/TEST-AntUnit.xml",
		"maven-surefire/TEST-NoTimeTestCaseTest.xml",
		"maven-surefire/TEST-org.acme.FlakyTest.xml",
		"maven-surefire/TEST-surefire.MyTest-nestedClass.xml",
		"mtsmfm-split-test/cypress-mocha-report.xml",
		"mtsmfm-split-test/minitest-TEST-a.xml",
		"mtsmfm-split-test/rspec-report.xml",
	};
	const char *src = getenv("BULWARK_SRC");
	size_t i;

	(void)state;
	if (!src)
		skip();
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *p =
		    xasprintf("%s/../shared/perf-shard-data/junit-fixtures/%s",
		        src, files[i]);
		struct junit_stats st;
		struct got g;

		memset(&st, 0, sizeof(st));
		memset(&g, 0, sizeof(g));
		assert_int_equal(
		    junit_parse_file(p, NULL, collect, &g, &st), 0);
		/* Counts and totals are checked against Python in
		 * check_fixtures.py; here: every file yields cases. */
		assert_true(g.n > 0);
		assert_int_equal(g.n, st.cases);
		strlist_release(&g.ids);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_nesting_and_file_inheritance),
		cmocka_unit_test(test_bare_suite_time_child_reruns),
		cmocka_unit_test(test_go_subtests),
		cmocka_unit_test(test_mocha_root_suite_file),
		cmocka_unit_test(test_malformed_delivers_nothing),
		cmocka_unit_test(test_cdata_skipping),
		cmocka_unit_test(test_pytest_durations),
		cmocka_unit_test(test_go_json),
		cmocka_unit_test(test_every_fixture_parses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
