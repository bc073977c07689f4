#ifndef PERF_SHARD_SOLVER_H
#define PERF_SHARD_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "plan.h"

/*
 * The planner's working state (internal to plan.c and solver.c). Items are
 * addressed by rank: 0 is the longest (estimate desc, key asc). Each shard
 * keeps the ranks of its movable items in ascending order; pinned items
 * (placed by writing shard/load directly) are not in any list and never
 * move. The caller allocates the arrays (n shards, p->nr items) and frees
 * them with solver_release.
 */
struct shardlist {
	size_t *r;
	size_t nr, alloc;
};

struct solver {
	const struct plan *p;
	unsigned n;
	size_t *order;   /* rank -> item index */
	int64_t *est;    /* by rank */
	uint32_t *shard; /* by rank */
	int64_t *load;
	struct shardlist *lists;
	uint64_t steps, max_steps;
};

void solver_reset(struct solver *s);
/* Places rank r on shard k as a movable item. */
void solver_place(struct solver *s, size_t r, uint32_t k);
int64_t solver_makespan(const struct solver *s);
/* LPT over all ranks, ties to the lowest shard. */
void solver_lpt(struct solver *s);
/*
 * Local search: while the heaviest shard is above goal, best-fit move to
 * the lightest shard, else the best swap with the lightest partner that
 * has one. Each step lowers the sum of squared loads, so it terminates;
 * max_steps bounds the time.
 */
void solver_repair(struct solver *s, int64_t goal);
/* Exact branch and bound when n <= 3N and n <= 48 (2M nodes). */
void solver_exact_small(struct solver *s, int64_t lb);
void solver_release(struct solver *s);

#endif
