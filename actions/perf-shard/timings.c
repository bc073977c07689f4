#include "common/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "timings.h"

#define TIMINGS_FORMAT "perf-shard-timings/1"
#define TIMINGS_MAX_BYTES ((size_t)1 << 30)

void
timings_init(struct timings *t, unsigned history)
{
	memset(t, 0, sizeof(*t));
	t->history = history;
	idmap_init(&t->map);
}

void
timings_release(struct timings *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++) {
		free(t->v[i].id);
		free(t->v[i].file);
		free(t->v[i].klass);
		free(t->v[i].us);
	}
	free(t->v);
	idmap_release(&t->map);
	timings_init(t, t->history);
}

static unsigned
history_of(const struct timings *t)
{
	return t->history ? t->history : TIMINGS_HISTORY_DEFAULT;
}

char *
timings_case_id(const struct tcase *c)
{
	const char *pre = c->file && *c->file ? c->file : c->classname;

	if (c->id)
		return xstrdup(c->id);
	if (!pre || !*pre)
		return xstrdup(c->name);
	if (!*c->name)
		return xstrdup(pre);
	return xasprintf("%s::%s", pre, c->name);
}

struct timing *
timings_find(const struct timings *t, const char *id)
{
	size_t i;

	return idmap_get(&t->map, id, &i) ? &t->v[i] : NULL;
}

struct timing *
timings_get(struct timings *t, const char *id)
{
	struct timing *tm = timings_find(t, id);

	if (tm)
		return tm;
	xgrow((void **)&t->v, &t->alloc, t->nr + 1, sizeof(*t->v));
	tm = &t->v[t->nr];
	memset(tm, 0, sizeof(*tm));
	tm->id = xstrdup(id);
	idmap_put(&t->map, tm->id, t->nr);
	t->nr++;
	return tm;
}

static void
push_sample(struct timings *t, struct timing *tm, int64_t us)
{
	if (tm->nus >= history_of(t)) {
		unsigned drop = tm->nus - history_of(t) + 1;

		memmove(
		    tm->us, tm->us + drop, (tm->nus - drop) * sizeof(*tm->us));
		tm->nus -= drop;
	}
	xgrow((void **)&tm->us, &tm->cap, tm->nus + 1, sizeof(*tm->us));
	tm->us[tm->nus++] = us;
}

void
timings_run_begin(struct timings *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++) {
		t->v[i].run_us = 0;
		t->v[i].run_flags = 0;
		t->v[i].run_seen = t->v[i].run_timed = false;
	}
}

static void
set_str(char **dst, const char *s)
{
	if (!s || !*s || (*dst && !strcmp(*dst, s)))
		return;
	free(*dst);
	*dst = xstrdup(s);
}

int
timings_run_add(const struct tcase *c, void *ctx)
{
	struct timings *t = ctx;
	char *id = timings_case_id(c);
	struct timing *tm = timings_get(t, id);

	free(id);
	set_str(&tm->file, c->file);
	set_str(&tm->klass, c->classname);
	tm->run_seen = true;
	tm->run_flags |= c->flags;
	if (c->us != TC_UNKNOWN) {
		tm->run_us += c->us;
		tm->run_timed = true;
	}
	return 0;
}

static int
cmp_timing(const void *a, const void *b)
{
	return strcmp(
	    ((const struct timing *)a)->id, ((const struct timing *)b)->id);
}

void
timings_sort(struct timings *t)
{
	size_t i;

	if (t->nr > 1)
		qsort(t->v, t->nr, sizeof(*t->v), cmp_timing);
	idmap_release(&t->map);
	for (i = 0; i < t->nr; i++)
		idmap_put(&t->map, t->v[i].id, i);
}

size_t
timings_run_end(struct timings *t, unsigned prune_after)
{
	size_t i, j, added = 0;

	t->runs++;
	for (i = 0; i < t->nr; i++) {
		struct timing *tm = &t->v[i];

		if (!tm->run_seen)
			continue;
		tm->seen = t->runs;
		if (tm->run_flags & TC_FAILED) {
			tm->failures++;
			continue;
		}
		if (tm->run_flags & TC_FLAKY)
			tm->flaky++;
		if (tm->run_timed) {
			push_sample(t, tm, tm->run_us);
			added++;
		}
	}
	if (prune_after) {
		for (i = j = 0; i < t->nr; i++) {
			struct timing *tm = &t->v[i];

			if (t->runs - tm->seen >= prune_after) {
				free(tm->id);
				free(tm->file);
				free(tm->klass);
				free(tm->us);
				continue;
			}
			t->v[j++] = *tm;
		}
		t->nr = j;
	}
	timings_sort(t);
	return added;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
timing_estimate(const struct timing *tm, enum timings_estimator e)
{
	int64_t s[TIMINGS_HISTORY_MAX], v;
	unsigned i, n = tm->nus;

	if (!n)
		return -1;
	if (e == EST_EMA) {
		v = tm->us[0];
		for (i = 1; i < n; i++)
			v = (7 * v + 3 * tm->us[i] + 5) / 10;
		return v;
	}
	memcpy(s, tm->us, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_i64);
	if (n % 2)
		return s[n / 2];
	return s[n / 2 - 1] + (s[n / 2] - s[n / 2 - 1]) / 2;
}

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

/* Optional small non-negative integer member; absent or odd = untouched. */
static void
opt_uint(const cJSON *o, const char *key, unsigned *out)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsNumber(x) && x->valuedouble >= 0 &&
	    x->valuedouble < (double)(1 << 30))
		*out = (unsigned)x->valuedouble;
}

static int
load_one(struct timings *t, const cJSON *o, const char *path)
{
	const cJSON *us = cJSON_GetObjectItemCaseSensitive(o, "us"), *x;
	struct timing *tm;

	if (!cJSON_IsObject(o) || (us && !cJSON_IsArray(us)))
		return error_msg(
		    "'%s': test '%s' is not a timings record", path, o->string);
	tm = timings_get(t, o->string);
	set_str(&tm->file, json_opt_str(o, "file"));
	set_str(&tm->klass, json_opt_str(o, "class"));
	if (!tm->file)
		tm->file = derive(o->string, false);
	if (!tm->klass)
		tm->klass = derive(o->string, true);
	tm->seen = t->runs;
	opt_uint(o, "failures", &tm->failures);
	opt_uint(o, "flaky", &tm->flaky);
	opt_uint(o, "seen", &tm->seen);
	cJSON_ArrayForEach(x, us)
	{
		if (!cJSON_IsNumber(x) || x->valuedouble < 0 ||
		    x->valuedouble > 1e15 ||
		    x->valuedouble != (double)(int64_t)x->valuedouble)
			return error_msg("'%s': test '%s': durations must be "
			                 "integer microseconds",
			    path, o->string);
		push_sample(t, tm, (int64_t)x->valuedouble);
	}
	return 0;
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

int
timings_load(struct timings *t, const char *path, bool may_be_missing)
{
	cJSON *root = NULL;
	const cJSON *tests, *o;
	const char *fmt;
	int ret = -1;

	if (may_be_missing && !fs_exists(path))
		return 0;
	if (load_json(path, TIMINGS_MAX_BYTES, &root) < 0)
		return -1;
	fmt = json_opt_str(root, "format");
	tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
	if (!fmt || strcmp(fmt, TIMINGS_FORMAT) || !cJSON_IsObject(tests)) {
		error_msg("'%s': not a perf-shard timings file (format '%s')",
		    path, TIMINGS_FORMAT);
		goto out;
	}
	if (t->history == 0)
		opt_uint(root, "history", &t->history);
	if (t->history > TIMINGS_HISTORY_MAX)
		t->history = TIMINGS_HISTORY_MAX;
	opt_uint(root, "runs", &t->runs);
	cJSON_ArrayForEach(o, tests)
	{
		if (load_one(t, o, path) < 0)
			goto out;
	}
	timings_sort(t);
	ret = 0;
out:
	cJSON_Delete(root);
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
	cJSON_AddNumberToObject(root, "history", history_of(t));
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
