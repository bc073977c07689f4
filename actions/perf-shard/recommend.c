#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "recommend.h"

#define MINUTE_US 60000000LL

void
recommend_init(struct recommend *r)
{
	memset(r, 0, sizeof(*r));
}

void
recommend_release(struct recommend *r)
{
	free(r->rows);
	recommend_init(r);
}

void
fmt_duration(int64_t us, char out[32])
{
	int64_t ms = (us + 500) / 1000, s = ms / 1000;

	if (ms < 1000)
		snprintf(out, 32, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(out, 32, "%lld.%01llds", (long long)s,
		    (long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(out, 32, "%lldm %02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(out, 32, "%lldh %02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
}

int
recommend_run(struct recommend *r, struct plan *p, int64_t overhead_us,
    int64_t target_us, unsigned max_shards)
{
	struct plan_opts o;
	unsigned n;
	int64_t best_wall = -1;

	if (max_shards < 1)
		return error_msg("--max-shards must be at least 1");
	memset(&o, 0, sizeof(o));
	o.plain_lpt = true;
	r->rows = xcalloc(max_shards, sizeof(*r->rows));
	r->best = 0;
	for (n = 1; n <= max_shards; n++) {
		struct rec_row *row = &r->rows[r->nr++];
		unsigned k;

		o.shards = n;
		if (plan_solve(p, &o) < 0)
			return -1;
		row->n = n;
		row->makespan = p->makespan;
		row->lb = p->lb;
		row->wall = overhead_us + p->makespan;
		for (k = 0; k < n; k++)
			row->billed_min +=
			    (overhead_us + p->load[k] + MINUTE_US - 1) /
			    MINUTE_US;
		r->floor_us = overhead_us + p->pmax;
		if (!r->met && row->wall <= target_us) {
			r->met = true;
			r->best = n;
		}
		if (best_wall < 0 || row->wall < best_wall) {
			best_wall = row->wall;
			if (!r->met)
				r->best = n;
		}
		/* More shards than items cannot lower the wall further. */
		if ((size_t)n >= p->nr)
			break;
	}
	r->impossible = !r->met && r->floor_us > target_us;
	return 0;
}

int
recommend_markdown(const struct recommend *r, int64_t target_us,
    int64_t overhead_us, struct buf *out)
{
	char a[32], b[32], c[32];
	size_t i;

	fmt_duration(target_us, a);
	fmt_duration(overhead_us, b);
	buf_addf(out,
	    "### Shard count for a %s target (%s overhead per job)\n\n", a, b);
	buf_adds(out, "| shards | makespan | predicted wall | billed minutes "
	              "| makespan / LB |\n|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < r->nr; i++) {
		const struct rec_row *row = &r->rows[i];
		char ratio[32];

		fmt_duration(row->makespan, a);
		fmt_duration(row->wall, b);
		plan_ratio_str(row->makespan, row->lb, ratio);
		buf_addf(out, "| %s%u%s | %s | %s | %lld | %s |\n",
		    row->n == r->best ? "**" : "", row->n,
		    row->n == r->best ? "**" : "", a, b,
		    (long long)row->billed_min, ratio);
	}
	fmt_duration(r->floor_us, c);
	if (r->met)
		buf_addf(out,
		    "\nChosen: **%u** shards, the smallest count that "
		    "meets the target.\n",
		    r->best);
	else if (r->impossible)
		buf_addf(out,
		    "\nNo shard count meets the target: the longest item plus "
		    "overhead takes %s. Chosen: %u shards, where the wall "
		    "stops shrinking. Split that item to go lower.\n",
		    c, r->best);
	else
		buf_addf(out,
		    "\nThe target needs more than the allowed shards; "
		    "chosen: %u.\n",
		    r->best);
	return 0;
}
