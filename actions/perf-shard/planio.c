#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
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

static void
add_i64(cJSON *o, const char *k, int64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

int
planio_write(const struct plan *p, const char *unit, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *shards, *est, *unk, *sh;
	cJSON **arrs;
	size_t *counts;
	char ratio[32];
	char *txt;
	unsigned k;
	size_t i;
	int ret;

	cJSON_AddStringToObject(root, "format", PLAN_FORMAT);
	cJSON_AddStringToObject(root, "digest", p->digest);
	cJSON_AddStringToObject(root, "unit", unit);
	cJSON_AddNumberToObject(root, "shards", p->shards);
	cJSON_AddStringToObject(root, "method", p->method);
	add_i64(root, "items", (int64_t)p->nr);
	add_i64(root, "unknown", (int64_t)p->unknown);
	add_i64(root, "total_us", p->total);
	add_i64(root, "max_item_us", p->pmax);
	add_i64(root, "lower_bound_us", p->lb);
	add_i64(root, "makespan_us", p->makespan);
	plan_ratio_str(p->makespan, p->lb, ratio);
	cJSON_AddRawToObject(root, "makespan_lb_ratio", ratio);
	add_i64(root, "reference_makespan_us", p->ref_makespan);
	add_i64(root, "moved_from_seed", (int64_t)p->moved);
	shards = cJSON_AddArrayToObject(root, "shard");
	/* items are sorted by key: one pass fills every shard in order */
	arrs = xcalloc(p->shards, sizeof(*arrs));
	counts = xcalloc(p->shards, sizeof(*counts));
	for (k = 0; k < p->shards; k++) {
		cJSON *s = cJSON_CreateObject();

		cJSON_AddNumberToObject(s, "index", k + 1);
		add_i64(s, "predicted_us", p->load[k]);
		cJSON_AddItemToArray(shards, s);
		arrs[k] = cJSON_CreateArray();
	}
	for (i = 0; i < p->nr; i++) {
		cJSON_AddItemToArray(arrs[p->items[i].shard],
		    cJSON_CreateString(p->items[i].key));
		counts[p->items[i].shard]++;
	}
	k = 0;
	cJSON_ArrayForEach(sh, shards)
	{
		add_i64(sh, "count", (int64_t)counts[k]);
		cJSON_AddItemToObject(sh, "items", arrs[k]);
		k++;
	}
	free(arrs);
	free(counts);
	est = cJSON_AddObjectToObject(root, "estimates_us");
	unk = cJSON_AddArrayToObject(root, "unknown_items");
	for (i = 0; i < p->nr; i++) {
		add_i64(est, p->items[i].key, p->items[i].est);
		if (!p->items[i].known)
			cJSON_AddItemToArray(
			    unk, cJSON_CreateString(p->items[i].key));
	}
	txt = cJSON_Print(root);
	if (!txt) {
		cJSON_Delete(root);
		return error_msg("cannot serialise the plan: out of memory");
	}
	ret = buf_adds(out, txt);
	if (ret == 0)
		ret = buf_addch(out, '\n');
	free(txt);
	cJSON_Delete(root);
	return ret;
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
