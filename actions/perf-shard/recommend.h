#ifndef PERF_SHARD_RECOMMEND_H
#define PERF_SHARD_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"
#include "plan.h"

/*
 * Picking the shard count for a target wall time (research §4):
 *   predicted wall(N) = overhead + makespan(N)
 *   billed(N) = sum over jobs of ceil((overhead + load_i) / 60 s) minutes
 * The smallest N in 1..max_shards with wall(N) <= target is chosen. If the
 * longest item alone (plus overhead) exceeds the target no N can meet it:
 * `impossible` is set and N is where the wall stops shrinking. If only
 * max_shards is too small, N = max_shards and `met` stays false.
 *
 * The curve is computed with the reference (LPT + local search) planner.
 * rows is owned by the struct; recommend_release frees it.
 */
struct rec_row {
	unsigned n;
	int64_t makespan, wall, billed_min, lb;
};

struct recommend {
	struct rec_row *rows;
	size_t nr;
	unsigned best;
	bool met, impossible;
	int64_t floor_us; /* overhead + longest item */
};

void recommend_init(struct recommend *r);
void recommend_release(struct recommend *r);
/* p holds the items; its assignment is overwritten. */
int recommend_run(struct recommend *r, struct plan *p, int64_t overhead_us,
    int64_t target_us, unsigned max_shards);
/* Markdown table of the curve with the chosen row marked. */
int recommend_markdown(const struct recommend *r, int64_t target_us,
    int64_t overhead_us, struct buf *out);

/* "4m 05s", "850ms" style. */
void fmt_duration(int64_t us, char out[32]);

#endif
