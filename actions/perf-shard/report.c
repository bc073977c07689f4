#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "junit.h"
#include "recommend.h"
#include "report.h"
#include "timings.h"

struct actual {
	int64_t us;
	size_t files; /* report files that mention the item */
	size_t last_file;
	bool seen;
};

struct rctx {
	const struct plan *p;
	struct idmap *index; /* key -> item */
	struct actual *act;
	enum unit unit;
	size_t file_no;
	size_t unplanned;
};

char *
report_case_key(const struct tcase *c, enum unit unit)
{
	const char *f = c->file && *c->file ? c->file : NULL;
	const char *k = c->classname && *c->classname ? c->classname : NULL;

	if (unit == UNIT_FILE && (f || k))
		return xstrdup(f ? f : k);
	if (unit == UNIT_CLASS && (f || k))
		return xstrdup(k ? k : f);
	return timings_case_id(c);
}

static int
on_case(const struct tcase *c, void *ctx)
{
	struct rctx *r = ctx;
	char *key = report_case_key(c, r->unit);
	size_t i;
	bool found = idmap_get(r->index, key, &i);

	if (!found && r->unit != UNIT_TEST) {
		/* a file longer than the fair share was planned as its tests */
		free(key);
		key = timings_case_id(c);
		found = idmap_get(r->index, key, &i);
	}
	if (!found) {
		r->unplanned++;
	} else {
		struct actual *a = &r->act[i];

		if (!a->seen || a->last_file != r->file_no)
			a->files++;
		a->seen = true;
		a->last_file = r->file_no;
		if (c->us > 0)
			a->us += c->us;
	}
	free(key);
	return 0;
}

static int64_t
abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static const struct plan *sort_plan;
static const struct actual *sort_act;

static int
cmp_miss(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int64_t dx = abs64(sort_act[x].us - sort_plan->items[x].est);
	int64_t dy = abs64(sort_act[y].us - sort_plan->items[y].est);

	if (dx != dy)
		return dx > dy ? -1 : 1;
	return strcmp(sort_plan->items[x].key, sort_plan->items[y].key);
}

static void
md_shards(const struct plan *p, const struct actual *act, struct buf *md)
{
	int64_t *sum = xcalloc(p->shards, sizeof(*sum));
	size_t i;
	unsigned k;

	for (i = 0; i < p->nr; i++)
		sum[p->items[i].shard] += act[i].us;
	buf_adds(md, "| shard | predicted | actual | difference |\n"
	             "|---:|---:|---:|---:|\n");
	for (k = 0; k < p->shards; k++) {
		char a[32], b[32], d[32];

		fmt_duration(p->load[k], a);
		fmt_duration(sum[k], b);
		fmt_duration(abs64(sum[k] - p->load[k]), d);
		buf_addf(md, "| %u | %s | %s | %s%s |\n", k + 1, a, b,
		    sum[k] < p->load[k] ? "-" : "+", d);
	}
	free(sum);
}

int
report_run(const struct plan *p, enum unit unit, const struct strlist *files,
    const char *root, struct buf *md, struct report_stats *st)
{
	struct idmap index = IDMAP_INIT;
	struct rctx r;
	size_t i, *miss = NULL, nmiss = 0;
	int ret = -1;

	memset(&r, 0, sizeof(r));
	memset(st, 0, sizeof(*st));
	for (i = 0; i < p->nr; i++)
		idmap_put(&index, p->items[i].key, i);
	r.p = p;
	r.index = &index;
	r.unit = unit;
	r.act = xcalloc(p->nr + 1, sizeof(*r.act));
	for (i = 0; i < files->nr; i++) {
		r.file_no = i;
		if (junit_parse_file(files->items[i], root, on_case, &r, NULL) <
		    0)
			goto out;
	}
	st->reports = files->nr;
	st->unplanned = r.unplanned;
	buf_addf(md,
	    "## perf-shard report\n\n%zu report files, plan of %zu "
	    "items over %u shards.\n\n",
	    files->nr, p->nr, p->shards);
	md_shards(p, r.act, md);
	miss = xcalloc(p->nr + 1, sizeof(*miss));
	for (i = 0; i < p->nr; i++) {
		if (!r.act[i].seen)
			st->missing++;
		else if (r.act[i].files > 1)
			st->twice++;
		if (r.act[i].seen)
			miss[nmiss++] = i;
	}
	if (st->missing) {
		buf_addf(
		    md, "\n**%zu planned items never ran:**\n\n", st->missing);
		for (i = 0; i < p->nr; i++)
			if (!r.act[i].seen)
				buf_addf(md, "- `%s` (shard %u)\n",
				    p->items[i].key, p->items[i].shard + 1);
	}
	if (st->twice) {
		buf_addf(md, "\n%zu items appear in more than one report:\n\n",
		    st->twice);
		for (i = 0; i < p->nr; i++)
			if (r.act[i].seen && r.act[i].files > 1)
				buf_addf(md, "- `%s`\n", p->items[i].key);
	}
	sort_plan = p;
	sort_act = r.act;
	qsort(miss, nmiss, sizeof(*miss), cmp_miss);
	buf_adds(md, "\n### Biggest prediction misses\n\n| item | predicted "
	             "| actual |\n|---|---:|---:|\n");
	for (i = 0; i < nmiss && i < 10; i++) {
		char a[32], b[32];

		fmt_duration(p->items[miss[i]].est, a);
		fmt_duration(r.act[miss[i]].us, b);
		buf_addf(
		    md, "| `%s` | %s | %s |\n", p->items[miss[i]].key, a, b);
	}
	ret = st->missing ? 1 : 0;
out:
	free(miss);
	free(r.act);
	idmap_release(&index);
	return ret;
}
