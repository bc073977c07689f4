#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "jsonw.h"
#include "planio.h"
#include "timings.h"

#define PLAN_FORMAT "perf-shard-plan/1"
#define PLAN_MAX_BYTES ((size_t)1 << 30)

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
planio_shard_items(const struct plan *p, unsigned index, const char ***out)
{
	const char **v = xcalloc(p->nr + 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < p->nr; i++)
		if (p->items[i].shard == index)
			v[n++] = p->items[i].key;
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* One `"key":\tvalue,\n` member of the root object. */
static int
member_i64(struct buf *b, const char *key, int64_t v)
{
	if (jsonw_key(b, 1, key) < 0 || jsonw_i64(b, v) < 0)
		return -1;
	return buf_add(b, ",\n", 2);
}

static int
member_str(struct buf *b, const char *key, const char *v)
{
	if (jsonw_key(b, 1, key) < 0 || jsonw_str(b, v) < 0)
		return -1;
	return buf_add(b, ",\n", 2);
}

/* The items of shard k, given by[] = item indexes grouped by shard. */
static int
write_shard(struct buf *b, const struct plan *p, unsigned k, const size_t *by,
    size_t from, size_t to)
{
	size_t i;
	int r = 0;

	r |= buf_adds(b, k ? ", {\n" : "[{\n");
	r |= jsonw_key(b, 3, "index");
	r |= jsonw_i64(b, (int64_t)k + 1);
	r |= buf_add(b, ",\n", 2);
	r |= jsonw_key(b, 3, "predicted_us");
	r |= jsonw_i64(b, p->load[k]);
	r |= buf_add(b, ",\n", 2);
	r |= jsonw_key(b, 3, "count");
	r |= jsonw_i64(b, (int64_t)(to - from));
	r |= buf_add(b, ",\n", 2);
	r |= jsonw_key(b, 3, "items");
	r |= buf_addch(b, '[');
	for (i = from; i < to && !r; i++) {
		if (i > from)
			r |= buf_add(b, ", ", 2);
		r |= jsonw_str(b, p->items[by[i]].key);
	}
	r |= buf_adds(b, "]\n\t\t}");
	return r ? -1 : 0;
}

/*
 * Written as cJSON_Print would print the same tree (the format predates
 * this writer), but streamed: a tree of a million strings costs seconds.
 */
int
planio_write(const struct plan *p, const char *unit, struct buf *out)
{
	size_t *start = xcalloc((size_t)p->shards + 1, sizeof(*start));
	size_t *by = xcalloc(p->nr + 1, sizeof(*by));
	size_t *fill = xcalloc((size_t)p->shards + 1, sizeof(*fill));
	char ratio[32];
	size_t need = 4096;
	bool first = true;
	unsigned k;
	size_t i;
	int r = 0;

	/* items are sorted by key: a stable bucket pass keeps that order */
	for (i = 0; i < p->nr; i++)
		start[p->items[i].shard + 1]++;
	for (k = 0; k < p->shards; k++)
		start[k + 1] += start[k];
	memcpy(fill, start, p->shards * sizeof(*fill));
	for (i = 0; i < p->nr; i++)
		by[fill[p->items[i].shard]++] = i;
	/* size first: one allocation instead of thirty reallocs */
	for (i = 0; i < p->nr; i++)
		need += 2 * strlen(p->items[i].key) + 40;
	buf_grow(out, need);
	r |= buf_add(out, "{\n", 2);
	r |= member_str(out, "format", PLAN_FORMAT);
	r |= member_str(out, "digest", p->digest);
	r |= member_str(out, "unit", unit);
	r |= member_i64(out, "shards", p->shards);
	r |= member_str(out, "method", p->method);
	r |= member_i64(out, "items", (int64_t)p->nr);
	r |= member_i64(out, "unknown", (int64_t)p->unknown);
	r |= member_i64(out, "total_us", p->total);
	r |= member_i64(out, "max_item_us", p->pmax);
	r |= member_i64(out, "lower_bound_us", p->lb);
	r |= member_i64(out, "makespan_us", p->makespan);
	plan_ratio_str(p->makespan, p->lb, ratio);
	r |= jsonw_key(out, 1, "makespan_lb_ratio");
	r |= buf_adds(out, ratio);
	r |= buf_add(out, ",\n", 2);
	r |= member_i64(out, "reference_makespan_us", p->ref_makespan);
	r |= member_i64(out, "moved_from_seed", (int64_t)p->moved);
	r |= jsonw_key(out, 1, "shard");
	for (k = 0; k < p->shards && !r; k++)
		r |= write_shard(out, p, k, by, start[k], start[k + 1]);
	r |= buf_adds(out, p->shards ? "],\n" : "[],\n");
	r |= jsonw_key(out, 1, "estimates_us");
	r |= buf_add(out, "{\n", 2);
	for (i = 0; i < p->nr && !r; i++) {
		r |= jsonw_key(out, 2, p->items[i].key);
		r |= jsonw_i64(out, p->items[i].est);
		r |= buf_adds(out, i + 1 < p->nr ? ",\n" : "\n");
	}
	r |= buf_add(out, "\t},\n", 4);
	r |= jsonw_key(out, 1, "unknown_items");
	r |= buf_addch(out, '[');
	for (i = 0; i < p->nr && !r; i++) {
		if (p->items[i].known)
			continue;
		if (!first)
			r |= buf_add(out, ", ", 2);
		first = false;
		r |= jsonw_str(out, p->items[i].key);
	}
	r |= buf_add(out, "]\n}\n", 4);
	free(start);
	free(by);
	free(fill);
	return r ? -1 : 0;
}

void
planio_index(const struct plan *p, struct idmap *m)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		idmap_put(m, p->items[i].key, p->items[i].shard);
}

static int
read_shards(struct plan *p, const cJSON *shards, const cJSON *est,
    const cJSON *unk, const char *path)
{
	struct idmap unknown = IDMAP_INIT, seen = IDMAP_INIT;
	const cJSON *s, *x;
	unsigned k = 0;
	int ret = -1;

	cJSON_ArrayForEach(x, unk)
	{
		if (cJSON_IsString(x))
			idmap_put(&unknown, x->valuestring, 0);
	}
	cJSON_ArrayForEach(s, shards)
	{
		const cJSON *items =
		    cJSON_GetObjectItemCaseSensitive(s, "items");

		if (!cJSON_IsArray(items)) {
			error_msg(
			    "'%s': shard %u has no items list", path, k + 1);
			goto out;
		}
		cJSON_ArrayForEach(x, items)
		{
			const cJSON *e;
			int64_t us = 0;

			if (!cJSON_IsString(x)) {
				error_msg(
				    "'%s': shard %u: item is not a string",
				    path, k + 1);
				goto out;
			}
			if (idmap_get(&seen, x->valuestring, NULL)) {
				error_msg(
				    "'%s': '%s' is in more than one shard",
				    path, x->valuestring);
				goto out;
			}
			idmap_put(&seen, x->valuestring, 0);
			e = cJSON_GetObjectItemCaseSensitive(
			    est, x->valuestring);
			if (cJSON_IsNumber(e) && e->valuedouble >= 0 &&
			    e->valuedouble < 1e15)
				us = (int64_t)e->valuedouble;
			plan_add(p, x->valuestring, us,
			    !idmap_get(&unknown, x->valuestring, NULL));
			p->items[p->nr - 1].shard = k;
		}
		k++;
	}
	ret = 0;
out:
	idmap_release(&unknown);
	idmap_release(&seen);
	return ret;
}

int
planio_read(struct plan *p, const char *path, char **unit)
{
	cJSON *root = NULL;
	const cJSON *shards, *est, *unk;
	const char *fmt, *digest, *u;
	int64_t n;
	size_t i;
	int ret = -1;

	if (load_json(path, PLAN_MAX_BYTES, &root) < 0)
		return -1;
	fmt = json_opt_str(root, "format");
	digest = json_opt_str(root, "digest");
	u = json_opt_str(root, "unit");
	shards = cJSON_GetObjectItemCaseSensitive(root, "shard");
	est = cJSON_GetObjectItemCaseSensitive(root, "estimates_us");
	unk = cJSON_GetObjectItemCaseSensitive(root, "unknown_items");
	if (!fmt || strcmp(fmt, PLAN_FORMAT) || !digest ||
	    !cJSON_IsArray(shards) || json_get_int(root, "shards", &n) < 0) {
		error_msg("'%s': not a perf-shard plan (format '%s')", path,
		    PLAN_FORMAT);
		goto out;
	}
	if (n < 1 || n > 100000 || n != cJSON_GetArraySize(shards)) {
		error_msg(
		    "'%s': shard count %lld does not match its shard list",
		    path, (long long)n);
		goto out;
	}
	if (read_shards(p, shards, est, unk, path) < 0)
		goto out;
	p->shards = (unsigned)n;
	p->load = xcalloc(p->shards, sizeof(*p->load));
	for (i = 0; i < p->nr; i++) {
		p->load[p->items[i].shard] += p->items[i].est;
		p->total += p->items[i].est;
		p->unknown += !p->items[i].known;
	}
	plan_sort_items(p);
	plan_digest(p);
	if (strcmp(p->digest, digest) != 0) {
		error_msg("'%s': digest mismatch: the plan was edited or is "
		          "corrupt",
		    path);
		goto out;
	}
	if (unit)
		*unit = xstrdup(u ? u : "test");
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}
