#ifndef PERF_SHARD_PLANIO_H
#define PERF_SHARD_PLANIO_H

#include "common/buf.h"
#include "common/compat.h"
#include "idmap.h"
#include "plan.h"

/*
 * plan.json (format "perf-shard-plan/1"): pretty-printed, keys in a fixed
 * order, items of each shard sorted by key, all durations in integer
 * microseconds; the ratio is printed from integer arithmetic. The same
 * plan gives the same bytes on every machine.
 *
 * planio_read fills a fresh plan (items with shard and estimate) and checks
 * that every item is in exactly one shard. The digest is recomputed and
 * must match the file's.
 */
int planio_write(const struct plan *p, const char *unit, struct buf *out);
int planio_read(struct plan *p, const char *path, char **unit);

/* key -> shard map over p's items (keys borrowed from p). */
void planio_index(const struct plan *p, struct idmap *m);

/* Items of shard `index` (0-based), sorted by key, borrowed from p. */
size_t planio_shard_items(
    const struct plan *p, unsigned index, const char ***out);

#endif
