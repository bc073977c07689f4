#ifndef PERF_SHARD_REPORT_H
#define PERF_SHARD_REPORT_H

#include "common/buf.h"
#include "common/compat.h"
#include "common/strlist.h"
#include "items.h"
#include "plan.h"

/*
 * After the shards ran: matches the JUnit reports to the plan's items
 * (by the plan's unit) and writes Markdown: predicted vs actual per shard,
 * the items that never ran (an error: a shard lost tests), items reported
 * by more than one report file (ran twice), and the biggest misses.
 * Returns 0 if every planned item ran, 1 if some never ran, -1 on error.
 */
struct report_stats {
	size_t missing, twice, unplanned, reports;
};

int report_run(const struct plan *p, enum unit unit,
    const struct strlist *files, const char *root, struct buf *md,
    struct report_stats *st);

/* The plan key a case belongs to under `unit` (caller frees). */
char *report_case_key(const struct tcase *c, enum unit unit);

#endif
