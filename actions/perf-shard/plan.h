#ifndef PERF_SHARD_PLAN_H
#define PERF_SHARD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "idmap.h"

/*
 * Partitioning of items (test ids, files or classes with an estimated
 * duration in integer microseconds) over N shards, minimising the makespan
 * while keeping assignments stable under timing noise.
 *
 *  1. Reference: LPT (duration desc, key asc; ties to the lowest shard),
 *     then local search (best-fit moves from the heaviest to the lightest
 *     shard, then swaps); instances with n <= 3N (n <= 48) then get an
 *     exact branch and bound capped at 2M nodes -> makespan M*.
 *  2. Stable plan: every item starts on a seed shard -- its shard in the
 *     previous plan (--sticky) or jump-consistent-hash(FNV-1a(key), N);
 *     items longer than the fair share get a shard of their own; unknown
 *     items are dealt round-robin in key order over the other shards and
 *     pinned. The same local search then repairs the known items until the
 *     makespan is at most goal = max(M*, LB * (1 + tol)), tol 0.2% by
 *     default. Only the items the repair moves depend on the durations, so
 *     5% noise moves few tests (plain LPT moves ~87%). If the repair cannot
 *     reach the goal, the reference plan is used.
 * Everything is integer arithmetic with total-order tie-breaks: the same
 * items give the same assignment on every machine, in any input order.
 *
 * Ownership: struct plan owns items (keys included) and load; plan_release
 * frees them.
 */
struct plan_item {
	char *key;
	int64_t est;    /* microseconds, >= 0 */
	bool known;     /* est came from measurements */
	uint32_t shard; /* 0-based */
};

struct plan {
	unsigned shards;
	struct plan_item *items; /* sorted by key after plan_solve */
	size_t nr, alloc;
	int64_t *load; /* per shard, predicted */
	int64_t total, pmax, lb, makespan, ref_makespan;
	size_t unknown;
	size_t moved;       /* items not on their seed shard */
	const char *method; /* "stable", "sticky", "lpt", "lpt-fallback" */
	char digest[65];
};

struct plan_opts {
	unsigned shards;
	uint32_t tol_ppm;           /* default PLAN_TOL_PPM */
	bool plain_lpt;             /* reference plan only */
	const struct idmap *sticky; /* key -> 0-based shard, or NULL */
	unsigned sticky_shards;     /* shard count of that plan */
	uint64_t max_iter;          /* repair steps; 0 = default */
};

#define PLAN_TOL_PPM 2000u

void plan_init(struct plan *p);
void plan_release(struct plan *p);
/* Adds an item (key copied). Duplicate keys are an error at solve. */
void plan_add(struct plan *p, const char *key, int64_t est, bool known);
int plan_solve(struct plan *p, const struct plan_opts *o);

/* Makespan of the current assignment if items took `actual[i]`. */
int64_t plan_eval(const struct plan *p, const int64_t *actual);

/* LB and makespan as "1.0032" (4 decimals, integer arithmetic). */
void plan_ratio_str(int64_t num, int64_t den, char out[32]);

/* Sorts items by key (bytewise). */
void plan_sort_items(struct plan *p);

/* SHA-256 over (shards, key, shard, estimate) of every item, as hex. */
void plan_digest(struct plan *p);

/* Lamping & Veach jump consistent hash, integer-only. */
uint32_t plan_jump_hash(uint64_t key, uint32_t buckets);

#endif
