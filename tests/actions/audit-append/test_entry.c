/* Entries: context from the environment, fields, canonical bytes, limits,
 * timestamps; and the proof file format round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/log.h"
#include "entry.h"
#include "log_store.h"
#include "proof.h"
#include "tmpdir.h"

static void
test_time(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(entry_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(entry_parse_time("2026-01-02T03:04:05Z", &t), 0);
	assert_int_equal(t, 1767323045);
	assert_int_equal(
	    entry_parse_time("2026-01-02T04:04:05.123+01:00", &t), 0);
	assert_int_equal(t, 1767323045);
	assert_int_equal(entry_parse_time("2000-02-29T12:00:00Z", &t), 0);
	assert_int_equal(t, 951825600);
	assert_int_equal(entry_parse_time("2026-13-02T03:04:05Z", &t), -1);
	assert_int_equal(entry_parse_time("2026-01-02 03:04:05", &t), -1);
	assert_int_equal(entry_parse_time("2026-01-02T03:04:05Zjunk", &t), -1);
	assert_int_equal(entry_parse_time("", &t), -1);
}

static void
test_build(void **state)
{
	struct strlist f = STRLIST_INIT;
	struct entry_opts o = { "deploy", "2026-01-02T03:04:05Z", &f,
		"{\"z\":1,\"a\":[true,null]}", false };
	struct buf b = BUF_INIT(0);
	cJSON *obj = NULL;

	(void)state;
	setenv("GITHUB_REPOSITORY", "octo/demo", 1);
	setenv("GITHUB_SHA", "abc", 1);
	unsetenv("GITHUB_ACTOR");
	strlist_push(&f, "env=prod");
	strlist_push(&f, "note=a=b");
	assert_int_equal(entry_build(&o, &obj), 0);
	assert_int_equal(entry_encode(obj, &b), 0);
	assert_string_equal(b.data,
	    "{\"data\":{\"a\":[true,null],\"z\":1},\"event\":\"deploy\","
	    "\"fields\":{\"env\":\"prod\",\"note\":\"a=b\"},\"github\":"
	    "{\"repository\":\"octo/demo\",\"sha\":\"abc\"},\"time\":"
	    "\"2026-01-02T03:04:05Z\"}");
	cJSON_Delete(obj);
	obj = NULL;

	/* Duplicate field, bad field, bad event, bad time, bad data. */
	strlist_push(&f, "env=dev");
	assert_int_equal(entry_build(&o, &obj), -1);
	strlist_release(&f);
	strlist_push(&f, "=x");
	assert_int_equal(entry_build(&o, &obj), -1);
	strlist_release(&f);
	o.event = "Deploy";
	assert_int_equal(entry_build(&o, &obj), -1);
	o.event = "deploy";
	o.time = "yesterday";
	assert_int_equal(entry_build(&o, &obj), -1);
	o.time = NULL;
	o.data = "{\"a\":1.5}";
	assert_int_equal(entry_build(&o, &obj), 0);
	buf_reset(&b);
	assert_int_equal(entry_encode(obj, &b), -1); /* not an integer */
	assert_int_equal(b.len, 0);
	cJSON_Delete(obj);
	strlist_release(&f);
	buf_release(&b);
}

static void
test_oversize(void **state)
{
	struct entry_opts o = { "deploy", NULL, NULL, NULL, true };
	struct buf b = BUF_INIT(0);
	char *big = malloc(LOG_ENTRY_MAX + 16);
	cJSON *obj = NULL;

	(void)state;
	memset(big, 'a', LOG_ENTRY_MAX + 15);
	big[0] = '"';
	big[LOG_ENTRY_MAX + 14] = '"';
	big[LOG_ENTRY_MAX + 15] = 0;
	o.data = big;
	assert_int_equal(entry_build(&o, &obj), 0);
	assert_int_equal(entry_encode(obj, &b), -1);
	assert_int_equal(b.len, 0);
	cJSON_Delete(obj);
	free(big);
	buf_release(&b);
}

static void
test_batch_complete(void **state)
{
	struct entry_opts o = { NULL, "2026-01-02T03:04:05Z", NULL, NULL,
		true };
	cJSON *obj = cJSON_Parse("{\"n\":1}");

	(void)state;
	/* No event anywhere: refused. */
	assert_int_equal(entry_complete(obj, &o), -1);
	o.event = "ci-run";
	assert_int_equal(entry_complete(obj, &o), 0);
	assert_string_equal(
	    cJSON_GetObjectItem(obj, "event")->valuestring, "ci-run");
	cJSON_Delete(obj);
	obj = cJSON_Parse("{\"event\":\"BAD EVENT\"}");
	assert_int_equal(entry_complete(obj, &o), -1);
	cJSON_Delete(obj);
	obj = cJSON_Parse("[1]");
	assert_int_equal(entry_complete(obj, &o), -1);
	cJSON_Delete(obj);
}

static void
test_proof_format(void **state)
{
	static const char incl[] =
	    "c2sp.org/tlog-proof@v1\nextra QEFCQw==\nindex 5\n"
	    "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=\n"
	    "yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=\n\n"
	    "o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n"
	    "\xe2\x80\x94 o AAAA\n";
	static const char cons[] =
	    "old 6\n"
	    "DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=\n\nckpt\n";
	static const char *bad[] = {
		"c2sp.org/tlog-proof@v2\nindex 1\n\nx\n",
		"c2sp.org/tlog-proof@v1\nindex 01\n\nx\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nnot base64!\n\nx\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nQEFCQw==\n\nx\n",
		"c2sp.org/tlog-proof@v1\n\nx\n",
		"old x\n\nx\n",
		"old 1\n",
		"c2sp.org/tlog-proof@v1\nindex 1\n\n",
	};
	struct proof p;
	struct buf out = BUF_INIT(0);
	size_t i;

	(void)state;
	proof_init(&p);
	assert_int_equal(proof_parse("t", incl, strlen(incl), &p), 0);
	assert_true(p.has_index);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.len, 2);
	assert_int_equal(p.extra.len, 4);
	assert_memory_equal(p.extra.data, "@ABC", 4);
	assert_int_equal(proof_format(&p, &out), 0);
	assert_string_equal(out.data, incl);
	assert_int_equal(proof_parse("t", cons, strlen(cons), &p), 0);
	assert_false(p.has_index);
	assert_int_equal(p.n, 6);
	assert_int_equal(p.len, 1);
	buf_reset(&out);
	assert_int_equal(proof_format(&p, &out), 0);
	assert_string_equal(out.data, cons);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    proof_parse("t", bad[i], strlen(bad[i]), &p), -1);
	proof_release(&p);
	buf_release(&out);
}

/* The tz-free formatter against gmtime_r + strftime, incl. leap days,
 * century years and the end of 9999. */
static void
test_format_time(void **state)
{
	static const int64_t fixed[] = { 0, 59, 951782400, 951868799, 951868800,
		4107542400, 253402300799, 1767225599 };
	char got[32], want[32];
	struct tm tm;
	time_t tt;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < 20000 + sizeof(fixed) / sizeof(fixed[0]); i++) {
		t = i < 20000 ? (int64_t)i * 12676543 + (int64_t)(i % 86400)
		              : fixed[i - 20000];
		if (t > 253402300799)
			continue;
		tt = (time_t)t;
		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		entry_format_time(t, got);
		assert_string_equal(got, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_batch_complete),
		cmocka_unit_test(test_proof_format),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
