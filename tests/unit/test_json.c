#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "common/log.h"

static char last_err[4096];

static void
capture(enum log_level l, const char *m, void *c)
{
	(void)l;
	(void)c;
	snprintf(last_err, sizeof(last_err), "%s", m);
}

static int
setup(void **st)
{
	(void)st;
	last_err[0] = '\0';
	log_set_sink(capture, NULL);
	return 0;
}

static int
teardown(void **st)
{
	(void)st;
	log_set_sink(NULL, NULL);
	return 0;
}

static char *
canon(const char *in)
{
	cJSON *v = NULL;
	struct buf b = BUF_INIT(0);

	if (json_parse(in, strlen(in), "test", &v) < 0)
		return NULL;
	if (json_canonical(v, &b) < 0) {
		cJSON_Delete(v);
		buf_release(&b);
		return NULL;
	}
	cJSON_Delete(v);
	return buf_detach(&b, NULL);
}

static void
test_parse_errors_name_offset(void **st)
{
	cJSON *v = (cJSON *)1;

	(void)st;
	assert_int_equal(json_parse("{\"a\": }", 7, "x.json", &v), -1);
	assert_null(v);
	assert_non_null(strstr(last_err, "x.json"));
	assert_non_null(strstr(last_err, "byte 6"));
	assert_int_equal(json_parse("{} junk", 7, "y", &v), -1);
	assert_non_null(strstr(last_err, "after JSON value"));
	assert_int_equal(json_parse("[1, 2]\n ", 8, "z", &v), 0);
	assert_int_equal(cJSON_GetArraySize(v), 2);
	cJSON_Delete(v);
}

static void
test_depth_limit(void **st)
{
	char deep[400];
	cJSON *v = NULL;
	int i;

	(void)st;
	for (i = 0; i < 100; i++)
		deep[i] = '[';
	for (i = 0; i < 100; i++)
		deep[100 + i] = ']';
	assert_int_equal(json_parse(deep, 200, "deep", &v), -1);
	assert_non_null(strstr(last_err, "nested deeper"));
	/* Brackets inside strings do not count. */
	memset(deep, 0, sizeof(deep));
	deep[0] = '"';
	for (i = 1; i < 200; i++)
		deep[i] = '[';
	deep[200] = '"';
	assert_int_equal(json_parse(deep, 201, "str", &v), 0);
	cJSON_Delete(v);
}

static void
test_getters(void **st)
{
	const char *doc = "{\"s\":\"x\",\"i\":42,\"f\":1.5,\"b\":true,"
	                  "\"big\":1e300}";
	cJSON *v;
	const char *s;
	int64_t i;
	bool b;

	(void)st;
	assert_int_equal(json_parse(doc, strlen(doc), "t", &v), 0);
	assert_int_equal(json_get_str(v, "s", &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(json_get_int(v, "i", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(json_get_int(v, "f", &i), -1);
	assert_non_null(strstr(last_err, "'f': expected an integer"));
	assert_int_equal(json_get_int(v, "big", &i), -1);
	assert_int_equal(json_get_bool(v, "b", &b), 0);
	assert_true(b);
	assert_int_equal(json_get_str(v, "i", &s), -1);
	assert_int_equal(json_get_str(v, "missing", &s), -1);
	assert_null(json_opt_str(v, "i"));
	cJSON_Delete(v);
}

static void
test_canonical_sorting_and_escapes(void **st)
{
	char *c;

	(void)st;
	/* RFC 8785 §3.2.3 ordering example: keys sorted by UTF-16 units. */
	c = canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
	          "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
	          "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
	          "\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O "
	          "With Diaeresis\"}");
	assert_non_null(c);
	assert_string_equal(c,
	    "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":"
	    "\"Control\",\"\xc3\xb6\":\"Latin Small Letter O With "
	    "Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":"
	    "\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet "
	    "With Dagesh\"}");
	free(c);
	c = canon("{ \"b\" : [1, -0, true, null, \"a\\u0001\\\"\\/\"], "
	          "\"a\" : {} }");
	assert_string_equal(c, "{\"a\":{},\"b\":[1,0,true,null,"
	                       "\"a\\u0001\\\"/\"]}");
	free(c);
}

static void
test_canonical_rejects(void **st)
{
	(void)st;
	assert_null(canon("{\"a\":1.5}"));
	assert_non_null(strstr(last_err, "not an integer"));
	assert_null(canon("{\"a\":1,\"a\":2}"));
	assert_non_null(strstr(last_err, "duplicate key 'a'"));
	assert_null(canon("[10000000000000000]"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_parse_errors_name_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getters, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_canonical_sorting_and_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_canonical_rejects, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
