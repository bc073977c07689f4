/*
 * config: YAML into a typed struct from a descriptor table; unknown keys
 * with file:line:col; type errors; size/depth/alias/expansion limits.
 */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/log.h"
#include "common/strlist.h"
#include "tmpdir.h"

struct cfg {
	bool enabled;
	const char *name;
	long attempts;
	int64_t timeout_ms;
	uint64_t max_size;
	struct strlist tags;
	const char *retry_mode;
	long retry_max;
	const char *deep;
	int nrules;
	char first_rule_where[64];
};

static int
rules_cb(const struct config_node *n, void *dst)
{
	int *count = dst;
	struct cfg *c =
	    (struct cfg *)(void *)((char *)dst - offsetof(struct cfg, nrules));
	size_t i;

	if (config_node_kind(n) != CONFIG_SEQUENCE)
		return error_msg("rules must be a list");
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *r = config_node_item(n, i);
		const struct config_node *m;
		if (config_node_kind(r) != CONFIG_MAPPING)
			return error_msg("rule must be a mapping");
		m = config_node_get(r, "match");
		if (m == NULL || config_node_scalar(m) == NULL)
			return error_msg("rule needs 'match'");
		if (i == 0)
			config_node_where(m, c->first_rule_where,
			    sizeof(c->first_rule_where));
		(*count)++;
	}
	return 0;
}

static const struct config_key keys[] = {
	{ "enabled", OPT_T_BOOL, offsetof(struct cfg, enabled), 0, 0, NULL },
	{ "name", OPT_T_STRING, offsetof(struct cfg, name), 0, 0, NULL },
	{ "attempts", OPT_T_INT, offsetof(struct cfg, attempts), 1, 10, NULL },
	{ "timeout", OPT_T_DURATION, offsetof(struct cfg, timeout_ms), 0, 0,
	    NULL },
	{ "max-size", OPT_T_SIZE, offsetof(struct cfg, max_size), 0, 0, NULL },
	{ "tags", OPT_T_LIST, offsetof(struct cfg, tags), 0, 0, NULL },
	{ "retry.mode", OPT_T_STRING, offsetof(struct cfg, retry_mode), 0, 0,
	    NULL },
	{ "retry.max-attempts", OPT_T_INT, offsetof(struct cfg, retry_max), 0,
	    0, NULL },
	{ "a.b.c", OPT_T_STRING, offsetof(struct cfg, deep), 0, 0, NULL },
	{ "rules", OPT_T_CALLBACK, offsetof(struct cfg, nrules), 0, 0,
	    rules_cb },
	CONFIG_KEY_END,
};

/* The last error message, to check what users would read. */
static char last_err[4096];

static void
sink(enum log_level l, const char *m, void *c)
{
	(void)c;
	if (l == LOG_ERROR)
		snprintf(last_err, sizeof(last_err), "%s", m);
}

static int
load(const char *yaml, struct cfg *c, struct config_doc *doc)
{
	last_err[0] = '\0';
	return config_load_mem(doc, "cfg.yml", yaml, strlen(yaml), keys, c);
}

static void
cfg_release(struct cfg *c, struct config_doc *doc)
{
	strlist_release(&c->tags);
	config_release(doc);
	memset(c, 0, sizeof(*c));
}

static void
test_typed_load(void **state)
{
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;
	const char *yaml = "# comment\n"
	                   "enabled: true\n"
	                   "name: \"hello world\"\n"
	                   "attempts: 3\n"
	                   "timeout: 1.5s\n"
	                   "max-size: 64k\n"
	                   "tags: [a, 'b c']\n"
	                   "retry:\n"
	                   "  mode: exponential\n"
	                   "  max-attempts: 7\n"
	                   "a: {b: {c: deep}}\n"
	                   "rules:\n"
	                   "  - match: 'ETIMEDOUT'\n"
	                   "    action: retry\n"
	                   "  - match: x\n";

	(void)state;
	assert_int_equal(load(yaml, &c, &doc), 0);
	assert_true(c.enabled);
	assert_string_equal(c.name, "hello world");
	assert_int_equal(c.attempts, 3);
	assert_int_equal(c.timeout_ms, 1500);
	assert_int_equal(c.max_size, 65536);
	assert_int_equal(c.tags.nr, 2);
	assert_string_equal(c.tags.items[0], "a");
	assert_string_equal(c.tags.items[1], "b c");
	assert_string_equal(c.retry_mode, "exponential");
	assert_int_equal(c.retry_max, 7);
	assert_string_equal(c.deep, "deep");
	assert_int_equal(c.nrules, 2);
	assert_string_equal(c.first_rule_where, "cfg.yml:13:12");
	cfg_release(&c, &doc);
}

static void
test_scalar_list_and_false(void **state)
{
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;

	(void)state;
	c.enabled = true;
	assert_int_equal(load("enabled: FALSE\ntags: only\n", &c, &doc), 0);
	assert_false(c.enabled);
	assert_int_equal(c.tags.nr, 1);
	assert_string_equal(c.tags.items[0], "only");
	cfg_release(&c, &doc);
}

struct err_case {
	const char *yaml;
	const char *msg; /* substring of the error */
};

static const struct err_case err_cases[] = {
	{ "enabled: true\nbogus: 1\n", "cfg.yml:2:1: unknown key 'bogus'" },
	{ "retry:\n  mode: x\n  nope: 1\n",
	    "cfg.yml:3:3: unknown key 'retry.nope'" },
	{ "retry: 5\n", "cfg.yml:1:8: expected a mapping for 'retry'" },
	{ "a:\n  b:\n    x: 1\n", "cfg.yml:3:5: unknown key 'a.b.x'" },
	{ "enabled: maybe\n", "cfg.yml:1:10: expected true or false" },
	{ "enabled: yes\n", "expected true or false" },
	{ "attempts: abc\n", "cfg.yml:1:11: invalid integer for 'attempts'" },
	{ "attempts: 11\n", "invalid integer for 'attempts'" },
	{ "timeout: soon\n", "invalid duration for 'timeout'" },
	{ "max-size: -1\n", "invalid size" },
	{ "name: [a, b]\n", "cfg.yml:1:7: expected a single value for 'name'" },
	{ "name:\n", "missing value for 'name'" },
	{ "name: ~\n", "missing value for 'name'" },
	{ "tags: {a: 1}\n", "expected a list for 'tags'" },
	{ "tags: [a, [b]]\n", "cfg.yml:1:11: expected a list of strings" },
	{ "rules: {match: x}\n", "rules must be a list" },
	{ "name: a\nname: b\n", "cfg.yml:2:1: duplicate key 'name'" },
	{ "[a, b]\n", "top level must be a mapping" },
	{ "just text\n", "top level must be a mapping" },
	{ "? [a]\n: 1\n", "cfg.yml:1:3: mapping keys must be scalars" },
	{ "rules: {[a]: 1}\n", "mapping keys must be scalars" },
	{ "name: a\n---\nname: b\n", "cfg.yml:2:1: only one YAML document" },
	{ "name: [a\n", "cfg.yml:" },
	{ "name: *nope\n", "unknown anchor 'nope'" },
	{ "a: &x {b: *x}\n", "unknown anchor 'x'" }, /* no cycles */
};

static void
test_errors(void **state)
{
	size_t i;

	(void)state;
	log_set_sink(sink, NULL);
	for (i = 0; i < ARRAY_SIZE(err_cases); i++) {
		struct cfg c = { 0 };
		struct config_doc doc = CONFIG_DOC_INIT;
		if (load(err_cases[i].yaml, &c, &doc) != -1 ||
		    strstr(last_err, err_cases[i].msg) == NULL)
			fail_msg("case %zu %s: got '%s', want '%s'", i,
			    err_cases[i].yaml, last_err, err_cases[i].msg);
		cfg_release(&c, &doc);
	}
}

static void
test_empty_and_anchor(void **state)
{
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;

	(void)state;
	c.attempts = 4;
	assert_int_equal(load("", &c, &doc), 0);
	assert_int_equal(load("# only a comment\n", &c, &doc), 0);
	assert_int_equal(load("---\n", &c, &doc), 0);
	assert_int_equal(c.attempts, 4);
	assert_int_equal(
	    load("name: &n shared\nretry:\n  mode: *n\n", &c, &doc), 0);
	assert_string_equal(c.retry_mode, "shared");
	cfg_release(&c, &doc);
}

static void
test_size_limit(void **state)
{
	size_t n = CONFIG_MAX_SIZE + 1;
	char *big = malloc(n + 1);
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;

	(void)state;
	memset(big, '#', n);
	big[n] = '\0';
	log_set_sink(sink, NULL);
	assert_int_equal(load(big, &c, &doc), -1);
	assert_non_null(strstr(last_err, "larger than"));
	big[n - 1] = '\0'; /* exactly at the limit: a comment, fine */
	assert_int_equal(load(big, &c, &doc), 0);
	cfg_release(&c, &doc);
	free(big);
}

static void
test_depth_limit(void **state)
{
	struct buf y = BUF_INIT(0);
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;
	int i;

	(void)state;
	buf_adds(&y, "name: ");
	for (i = 0; i < CONFIG_MAX_DEPTH + 5; i++)
		buf_addch(&y, '[');
	for (i = 0; i < CONFIG_MAX_DEPTH + 5; i++)
		buf_addch(&y, ']');
	log_set_sink(sink, NULL);
	assert_int_equal(load(y.data, &c, &doc), -1);
	assert_non_null(strstr(last_err, "nesting deeper than"));
	cfg_release(&c, &doc);
	buf_release(&y);
}

static void
test_billion_laughs(void **state)
{
	static const char laughs[] =
	    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\","
	    "\"lol\"]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
	    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct buf y = BUF_INIT(0);
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;
	int i;

	(void)state;
	log_set_sink(sink, NULL);
	/* The classic: too many alias uses, or too large an expansion. */
	assert_int_equal(load(laughs, &c, &doc), -1);
	assert_true(strstr(last_err, "aliases") != NULL ||
	            strstr(last_err, "expands") != NULL);
	cfg_release(&c, &doc);

	/* Few aliases (2 per level), 2^30 expansion: the node cap stops it. */
	buf_adds(&y, "l0: &l0 [x, x]\n");
	for (i = 1; i <= 30; i++)
		buf_addf(&y, "l%d: &l%d [*l%d, *l%d]\n", i, i, i - 1, i - 1);
	assert_int_equal(load(y.data, &c, &doc), -1);
	assert_non_null(strstr(last_err, "expands to more than"));
	cfg_release(&c, &doc);

	/* Alias count limit on its own. */
	buf_reset(&y);
	buf_adds(&y, "name: &n v\ntags: [");
	for (i = 0; i <= CONFIG_MAX_ALIASES; i++)
		buf_adds(&y, "*n, ");
	buf_adds(&y, "x]\n");
	assert_int_equal(load(y.data, &c, &doc), -1);
	assert_non_null(strstr(last_err, "more than 64 aliases"));
	cfg_release(&c, &doc);
	buf_release(&y);
}

static void
test_load_file(void **state)
{
	char *dir = tmpdir_make();
	char *path = tmpdir_write(dir, "c.yml", "name: from-file\nbad: 1\n");
	char *missing = tmpdir_path(dir, "none.yml");
	struct cfg c = { 0 };
	struct config_doc doc = CONFIG_DOC_INIT;
	char *want = NULL;

	(void)state;
	log_set_sink(sink, NULL);
	assert_int_equal(config_load(&doc, path, keys, &c), -1);
	assert_true(asprintf(&want, "%s:2:1: unknown key 'bad'", path) > 0);
	assert_string_equal(last_err, want);
	/* The value set before the error is still valid memory. */
	assert_string_equal(c.name, "from-file");
	assert_int_equal(config_load(&doc, missing, keys, &c), -1);
	cfg_release(&c, &doc);
	free(want);
	tmpdir_remove(dir);
	free(path);
	free(missing);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_load),
		cmocka_unit_test(test_scalar_list_and_false),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_empty_and_anchor),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_load_file),
	};

	log_set_sink(sink, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
