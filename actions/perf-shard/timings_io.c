#include "common/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "jsonr.h"
#include "timings.h"
#include "timings_int.h"

#define TIMINGS_FORMAT "perf-shard-timings/1"
#define TIMINGS_MAX_BYTES ((size_t)1 << 30)

/* The timings file: perf-shard-timings/1 JSON, read and written. */

/*
 * A pytest-style id "file::Class::name" implies its file (before the first
 * "::") and class (before the last); the store leaves those out.
 */
static char *
derive(const char *id, bool klass)
{
	const char *first = strstr(id, "::"), *last = first, *p;

	if (!first)
		return NULL;
	for (p = first; p; p = strstr(p + 2, "::"))
		last = p;
	return xstrndup(id, (size_t)((klass ? last : first) - id));
}

static bool
same_as_derived(const char *v, const char *id, bool klass)
{
	char *d = derive(id, klass);
	bool same = d && !strcmp(d, v);

	free(d);
	return same;
}

/* A small non-negative integer (or odd: untouched) into *out. */
static int
read_uint(struct jsonr *r, unsigned *out)
{
	double d;

	if (jsonr_peek(r) != '-' &&
	    (jsonr_peek(r) < '0' || jsonr_peek(r) > '9'))
		return jsonr_skip(r);
	if (jsonr_number(r, &d) < 0)
		return -1;
	if (d >= 0 && d < (double)(1 << 30))
		*out = (unsigned)d;
	return 0;
}

static int
read_us(struct jsonr *r, struct timings *t, struct timing *tm)
{
	double d;
	int m;

	if (jsonr_expect(r, '[') < 0)
		return -1;
	if (jsonr_peek(r) == ']') {
		r->p++;
		return 0;
	}
	do {
		char c = jsonr_peek(r);

		if ((c != '-' && (c < '0' || c > '9')) ||
		    jsonr_number(r, &d) < 0 || d < 0 || d > 1e15 ||
		    d != (double)(int64_t)d)
			return error_msg("'%s': test '%s': durations must be "
			                 "integer microseconds",
			    r->what, tm->id);
		timings_push_sample(t, tm, (int64_t)d);
	} while ((m = jsonr_more(r, ']')) == 1);
	return m;
}

/* One test record; the id is in r->str. */
static int
read_test(struct jsonr *r, struct timings *t)
{
	struct timing *tm;
	int m;

	/* in key order (as saved): append without a lookup */
	if (t->map.nr == 0 &&
	    (t->nr == 0 || strcmp(t->v[t->nr - 1].id, r->str.data) < 0))
		tm = timings_append(t, r->str.data);
	else
		tm = timings_get(t, r->str.data);
	tm->seen = t->runs;
	if (jsonr_expect(r, ':') < 0)
		return -1;
	if (jsonr_peek(r) != '{')
		return error_msg(
		    "'%s': test '%s' is not a timings record", r->what, tm->id);
	r->p++;
	if (jsonr_peek(r) == '}') {
		r->p++;
		goto derived;
	}
	do {
		const char *k = jsonr_string(r);
		int which;

		if (!k || jsonr_expect(r, ':') < 0)
			return -1;
		which = !strcmp(k, "file") ? 1 : !strcmp(k, "class") ? 2 : 0;
		if (which && jsonr_peek(r) == '"') {
			if (!jsonr_string(r))
				return -1;
			timings_set_str(
			    which == 1 ? &tm->file : &tm->klass, r->str.data);
		} else if (!strcmp(k, "us")) {
			if (jsonr_peek(r) != '[')
				return error_msg(
				    "'%s': test '%s' is not a timings record",
				    r->what, tm->id);
			if (read_us(r, t, tm) < 0)
				return -1;
		} else if (!strcmp(k, "failures")) {
			if (read_uint(r, &tm->failures) < 0)
				return -1;
		} else if (!strcmp(k, "flaky")) {
			if (read_uint(r, &tm->flaky) < 0)
				return -1;
		} else if (!strcmp(k, "seen")) {
			if (read_uint(r, &tm->seen) < 0)
				return -1;
		} else if (jsonr_skip(r) < 0) {
			return -1;
		}
	} while ((m = jsonr_more(r, '}')) == 1);
	if (m < 0)
		return -1;
derived:
	if (!tm->file)
		tm->file = derive(tm->id, false);
	if (!tm->klass)
		tm->klass = derive(tm->id, true);
	return 0;
}

static int
read_tests(struct jsonr *r, struct timings *t)
{
	int m;

	if (jsonr_peek(r) != '{')
		return 1; /* not an object: not a timings file */
	r->p++;
	if (jsonr_peek(r) == '}') {
		r->p++;
		return 0;
	}
	do {
		if (!jsonr_string(r) || read_test(r, t) < 0)
			return -1;
	} while ((m = jsonr_more(r, '}')) == 1);
	return m;
}

int
load_json(const char *path, size_t max, cJSON **out)
{
	/* Not json_load_file: its buffer is capped at 64 MiB whatever max is.
	 */
	struct buf b = BUF_INIT(max + 1);
	int ret = -1;

	*out = NULL;
	if (fs_read_file(path, max, &b) == 0)
		ret = json_parse(b.data, b.len, path, out);
	buf_release(&b);
	return ret;
}

/*
 * Streamed (jsonr), not through a cJSON tree: a store of a million tests
 * is 40 MB, and the tree alone cost a second. Members are read in any
 * order; "tests" before "runs" is fine as `seen` defaults are fixed up.
 */
int
timings_load(struct timings *t, const char *path, bool may_be_missing)
{
	struct buf b = BUF_INIT(TIMINGS_MAX_BYTES + 1);
	int ret = -1;

	if (may_be_missing && !fs_exists(path))
		return 0;
	if (fs_read_file(path, TIMINGS_MAX_BYTES, &b) == 0)
		ret = timings_load_mem(t, b.data, b.len, path);
	buf_release(&b);
	return ret;
}

int
timings_load_mem(
    struct timings *t, const char *data, size_t len, const char *path)
{
	struct jsonr r;
	bool format_ok = false, have_tests = false;
	unsigned runs = 0;
	size_t first = t->nr, i;
	int m, ret = -1;

	jsonr_init(&r, data, len, path);
	if (jsonr_expect(&r, '{') < 0)
		goto out;
	if (jsonr_peek(&r) == '}')
		goto bad;
	do {
		const char *k = jsonr_string(&r);

		if (!k || jsonr_expect(&r, ':') < 0)
			goto out;
		if (!strcmp(k, "format") && jsonr_peek(&r) == '"') {
			if (!jsonr_string(&r))
				goto out;
			format_ok = !strcmp(r.str.data, TIMINGS_FORMAT);
		} else if (!strcmp(k, "history") && t->history == 0) {
			if (read_uint(&r, &t->history) < 0)
				goto out;
		} else if (!strcmp(k, "runs")) {
			if (read_uint(&r, &runs) < 0)
				goto out;
		} else if (!strcmp(k, "tests") && !have_tests) {
			t->runs = runs;
			m = read_tests(&r, t);
			if (m < 0)
				goto out;
			have_tests = m == 0;
		} else if (jsonr_skip(&r) < 0) {
			goto out;
		}
	} while ((m = jsonr_more(&r, '}')) == 1);
	if (m < 0 || jsonr_end(&r) < 0)
		goto out;
bad:
	if (!format_ok || !have_tests) {
		error_msg("'%s': not a perf-shard timings file (format '%s')",
		    path, TIMINGS_FORMAT);
		goto out;
	}
	/* "runs" after "tests": records without "seen" were seen last run */
	for (i = first; runs != t->runs && i < t->nr; i++)
		if (t->v[i].seen == t->runs)
			t->v[i].seen = runs;
	t->runs = runs;
	if (t->history > TIMINGS_HISTORY_MAX)
		t->history = TIMINGS_HISTORY_MAX;
	timings_sort(t);
	ret = 0;
out:
	jsonr_release(&r);
	return ret;
}

int
timings_dump(struct timings *t, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *tests, *o, *us;
	char *txt;
	size_t i;
	unsigned k;
	int ret;

	timings_sort(t);
	cJSON_AddStringToObject(root, "format", TIMINGS_FORMAT);
	cJSON_AddNumberToObject(root, "history", timings_history_of(t));
	cJSON_AddNumberToObject(root, "runs", t->runs);
	tests = cJSON_AddObjectToObject(root, "tests");
	for (i = 0; i < t->nr; i++) {
		struct timing *tm = &t->v[i];

		o = cJSON_CreateObject();
		if (tm->file && !same_as_derived(tm->file, tm->id, false))
			cJSON_AddStringToObject(o, "file", tm->file);
		if (tm->klass && !same_as_derived(tm->klass, tm->id, true))
			cJSON_AddStringToObject(o, "class", tm->klass);
		us = cJSON_AddArrayToObject(o, "us");
		for (k = 0; k < tm->nus; k++)
			cJSON_AddItemToArray(
			    us, cJSON_CreateNumber((double)tm->us[k]));
		if (tm->failures)
			cJSON_AddNumberToObject(o, "failures", tm->failures);
		if (tm->flaky)
			cJSON_AddNumberToObject(o, "flaky", tm->flaky);
		if (tm->seen != t->runs)
			cJSON_AddNumberToObject(o, "seen", tm->seen);
		/* ids are unique here (the map), so no duplicate keys. */
		cJSON_AddItemToObject(tests, tm->id, o);
	}
	txt = json_print(root);
	ret = buf_adds(out, txt);
	if (ret == 0)
		ret = buf_addch(out, '\n');
	free(txt);
	cJSON_Delete(root);
	return ret;
}

int
timings_save(struct timings *t, const char *path)
{
	struct buf b = BUF_INIT(TIMINGS_MAX_BYTES);
	int ret = -1;

	if (timings_dump(t, &b) < 0)
		goto out;
	ret = fs_write_atomic(path, b.data, b.len, 0644);
out:
	buf_release(&b);
	return ret;
}
