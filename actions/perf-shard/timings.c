#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "timings.h"
#include "timings_int.h"

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

unsigned
timings_history_of(const struct timings *t)
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

/*
 * The id map is built on first need: a loaded store is sorted, so a plan
 * that only reads it never pays for a million-entry map. Until then
 * (map.nr < nr) lookups are a binary search.
 */
struct timing *
timings_find(const struct timings *t, const char *id)
{
	size_t i, lo = 0, hi = t->nr;

	if (t->map.nr == t->nr)
		return idmap_get(&t->map, id, &i) ? &t->v[i] : NULL;
	while (lo < hi) {
		int c;

		i = lo + (hi - lo) / 2;
		c = strcmp(t->v[i].id, id);
		if (c == 0)
			return &t->v[i];
		if (c < 0)
			lo = i + 1;
		else
			hi = i;
	}
	return NULL;
}

static void
index_all(struct timings *t)
{
	size_t i;

	idmap_release(&t->map);
	idmap_reserve(&t->map, t->nr + 1);
	for (i = 0; i < t->nr; i++)
		idmap_put(&t->map, t->v[i].id, i);
}

struct timing *
timings_append(struct timings *t, const char *id)
{
	struct timing *tm;

	xgrow((void **)&t->v, &t->alloc, t->nr + 1, sizeof(*t->v));
	tm = &t->v[t->nr++];
	memset(tm, 0, sizeof(*tm));
	tm->id = xstrdup(id);
	return tm;
}

struct timing *
timings_get(struct timings *t, const char *id)
{
	struct timing *tm;

	if (t->map.nr != t->nr)
		index_all(t);
	tm = timings_find(t, id);
	if (tm)
		return tm;
	tm = timings_append(t, id);
	idmap_put(&t->map, tm->id, t->nr - 1);
	return tm;
}

void
timings_push_sample(struct timings *t, struct timing *tm, int64_t us)
{
	if (tm->nus >= timings_history_of(t)) {
		unsigned drop = tm->nus - timings_history_of(t) + 1;

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

void
timings_set_str(char **dst, const char *s)
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
	timings_set_str(&tm->file, c->file);
	timings_set_str(&tm->klass, c->classname);
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

	/* A loaded store is sorted already: keep it (and its map). */
	for (i = 1; i < t->nr; i++)
		if (strcmp(t->v[i - 1].id, t->v[i].id) > 0)
			break;
	if (i >= t->nr && (t->map.nr == t->nr || t->map.nr == 0))
		return;
	if (t->nr > 1)
		qsort(t->v, t->nr, sizeof(*t->v), cmp_timing);
	idmap_release(&t->map); /* rebuilt on first timings_get */
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
			timings_push_sample(t, tm, tm->run_us);
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
		if (j != t->nr)
			idmap_release(&t->map);
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
