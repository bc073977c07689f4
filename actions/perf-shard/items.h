#ifndef PERF_SHARD_ITEMS_H
#define PERF_SHARD_ITEMS_H

#include "common/compat.h"
#include "common/strlist.h"
#include "plan.h"
#include "timings.h"

/*
 * Turns a timings store (+ an optional list of what to run) into plan
 * items of one unit, with estimates:
 *  - unit test: the test id; file: the test's file (else class); class:
 *    its class (else file). A unit's estimate is the sum of its tests'.
 *  - list NULL: every unit the store knows; else exactly the listed keys
 *    (duplicates dropped), so deleted tests vanish and new ones appear.
 *  - unknown keys are estimated, never zero: UNK_GROUP_MEAN = mean of
 *    the known tests of the same file (the key's part before "::"), else
 *    the global mean of known units; UNK_MEAN = global mean; UNK_MEDIAN;
 *    UNK_ZERO exists only for comparisons. No known unit at all: 1 s each
 *    (a split by count).
 */
enum unit {
	UNIT_TEST = 0,
	UNIT_FILE,
	UNIT_CLASS
};
enum unknown_mode {
	UNK_GROUP_MEAN = 0,
	UNK_MEAN,
	UNK_MEDIAN,
	UNK_ZERO
};

struct items_opts {
	enum unit unit;
	enum timings_estimator est;
	enum unknown_mode unknown;
	const struct strlist *list;
};

int items_build(
    struct plan *p, const struct timings *t, const struct items_opts *o);

/*
 * At unit file or class, an item longer than the fair share of `shards`
 * (est * shards > total) sets the floor of every plan. If the store has at
 * least two timed tests of it, the item is replaced by those tests (ids as
 * keys) with a warning. Tests of that file the store does not know are not
 * in the plan then; `report` lists them as never run. Returns the number
 * of items split.
 */
size_t items_split_big(struct plan *p, const struct timings *t,
    const struct items_opts *o, unsigned shards);

int unit_parse(const char *s, enum unit *u);
const char *unit_name(enum unit u);
int unknown_parse(const char *s, enum unknown_mode *m);

#endif
