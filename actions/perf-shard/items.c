#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "idmap.h"
#include "items.h"
#include "recommend.h"

struct agg {
	const char *key; /* borrowed from the store or the list */
	char *owned;
	int64_t sum;
	size_t n;
};

struct aggs {
	struct agg *v;
	size_t nr, alloc;
	struct idmap map;
};

static const char *const unit_names[] = { "test", "file", "class" };

int
unit_parse(const char *s, enum unit *u)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unit_names); i++)
		if (!strcmp(s, unit_names[i])) {
			*u = (enum unit)i;
			return 0;
		}
	if (!strcmp(s, "package")) {
		*u = UNIT_FILE;
		return 0;
	}
	return error_msg("unknown unit '%s' (test, file, class)", s);
}

const char *
unit_name(enum unit u)
{
	return unit_names[u];
}

int
unknown_parse(const char *s, enum unknown_mode *m)
{
	static const char *const names[] = { "file-mean", "mean", "median",
		"zero" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*m = (enum unknown_mode)i;
			return 0;
		}
	return error_msg("unknown estimate '%s' (file-mean, mean, median)", s);
}

static const char *
unit_key(const struct timing *tm, enum unit u)
{
	if (u == UNIT_FILE)
		return tm->file ? tm->file : tm->klass ? tm->klass : tm->id;
	if (u == UNIT_CLASS)
		return tm->klass ? tm->klass : tm->file ? tm->file : tm->id;
	return tm->id;
}

static struct agg *
agg_get(struct aggs *a, const char *key, bool copy)
{
	size_t i;

	if (idmap_get(&a->map, key, &i))
		return &a->v[i];
	xgrow((void **)&a->v, &a->alloc, a->nr + 1, sizeof(*a->v));
	memset(&a->v[a->nr], 0, sizeof(a->v[0]));
	if (copy) {
		a->v[a->nr].owned = xstrdup(key);
		key = a->v[a->nr].owned;
	}
	a->v[a->nr].key = key;
	idmap_put(&a->map, key, a->nr);
	return &a->v[a->nr++];
}

static void
aggs_release(struct aggs *a)
{
	size_t i;

	for (i = 0; i < a->nr; i++)
		free(a->v[i].owned);
	free(a->v);
	idmap_release(&a->map);
}

/* The key's part before "::" (its file for pytest/JUnit ids). */
static char *
group_of(const char *key)
{
	const char *c = strstr(key, "::");

	return c ? xstrndup(key, (size_t)(c - key)) : xstrdup(key);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t
global_estimate(const struct aggs *u, enum unknown_mode m)
{
	int64_t sum = 0, *v, med;
	size_t i;

	if (u->nr == 0)
		return 1000000;
	if (m == UNK_ZERO)
		return 0;
	if (m != UNK_MEDIAN) {
		for (i = 0; i < u->nr; i++)
			sum += u->v[i].sum;
		return (sum + (int64_t)u->nr / 2) / (int64_t)u->nr;
	}
	v = xcalloc(u->nr, sizeof(*v));
	for (i = 0; i < u->nr; i++)
		v[i] = u->v[i].sum;
	qsort(v, u->nr, sizeof(*v), cmp_i64);
	med = v[u->nr / 2];
	free(v);
	return med;
}

int
items_build(struct plan *p, const struct timings *t, const struct items_opts *o)
{
	struct aggs units = { NULL, 0, 0, IDMAP_INIT };
	struct aggs groups = { NULL, 0, 0, IDMAP_INIT };
	struct idmap seen = IDMAP_INIT;
	int64_t gest;
	size_t i;
	bool per_group =
	    o->list && o->unknown == UNK_GROUP_MEAN && o->unit == UNIT_TEST;

	if (!o->list && o->unit == UNIT_TEST) {
		/* store ids are unique: no aggregation, no map */
		for (i = 0; i < t->nr; i++) {
			int64_t e = timing_estimate(&t->v[i], o->est);

			if (e >= 0)
				plan_add(p, t->v[i].id, e, true);
		}
		return 0;
	}
	for (i = 0; i < t->nr; i++) {
		const struct timing *tm = &t->v[i];
		int64_t e = timing_estimate(tm, o->est);
		struct agg *a;
		char *g;

		if (e < 0)
			continue;
		a = agg_get(&units, unit_key(tm, o->unit), false);
		a->sum += e;
		a->n++;
		if (!per_group)
			continue;
		g = group_of(tm->id);
		a = agg_get(&groups, g, true);
		a->sum += e;
		a->n++;
		free(g);
	}
	gest = global_estimate(&units, o->unknown);
	if (!o->list) {
		for (i = 0; i < units.nr; i++)
			plan_add(p, units.v[i].key, units.v[i].sum, true);
		goto out;
	}
	for (i = 0; i < o->list->nr; i++) {
		const char *key = o->list->items[i];
		size_t j;
		int64_t e = gest;

		if (!*key || idmap_get(&seen, key, NULL))
			continue;
		idmap_put(&seen, key, 0);
		if (idmap_get(&units.map, key, &j)) {
			plan_add(p, key, units.v[j].sum, true);
			continue;
		}
		if (o->unknown == UNK_GROUP_MEAN && o->unit == UNIT_TEST) {
			char *g = group_of(key);

			if (idmap_get(&groups.map, g, &j) && groups.v[j].n)
				e = (groups.v[j].sum +
				        (int64_t)groups.v[j].n / 2) /
				    (int64_t)groups.v[j].n;
			free(g);
		}
		plan_add(p, key, e, false);
	}
out:
	idmap_release(&seen);
	aggs_release(&units);
	aggs_release(&groups);
	return 0;
}

size_t
items_split_big(struct plan *p, const struct timings *t,
    const struct items_opts *o, unsigned shards)
{
	int64_t total = 0;
	size_t i, j, n, split = 0, nr = p->nr;

	if (o->unit == UNIT_TEST || shards < 2)
		return 0;
	for (i = 0; i < nr; i++)
		total += p->items[i].est;
	for (i = 0; i < nr; i++) {
		struct plan_item *it = &p->items[i];
		char a[32], b[32];

		if (!it->known || it->est * (int64_t)shards <= total)
			continue;
		for (j = n = 0; j < t->nr; j++)
			n += timing_estimate(&t->v[j], o->est) >= 0 &&
			     !strcmp(unit_key(&t->v[j], o->unit), it->key);
		if (n < 2)
			continue;
		fmt_duration(it->est, a);
		fmt_duration((total + shards - 1) / shards, b);
		warn_msg("'%s' (%s) is longer than the fair share of %u "
		         "shards (%s): split into its %zu tests",
		    it->key, a, shards, b, n);
		for (j = 0; j < t->nr; j++) {
			int64_t e = timing_estimate(&t->v[j], o->est);

			if (e >= 0 && !strcmp(unit_key(&t->v[j], o->unit),
			                  p->items[i].key))
				plan_add(p, t->v[j].id, e, true);
		}
		p->items[i].est = -1; /* removed below */
		split++;
	}
	for (i = j = 0; split && i < p->nr; i++) {
		if (i < nr && p->items[i].est < 0) {
			free(p->items[i].key);
			continue;
		}
		p->items[j++] = p->items[i];
	}
	if (split)
		p->nr = j;
	return split;
}
