#ifndef PERF_SHARD_TIMINGS_H
#define PERF_SHARD_TIMINGS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"
#include "common/json.h"
#include "idmap.h"
#include "tcase.h"

/*
 * The timings store (timings.json): per test id its file, class and the
 * durations of its last `history` successful runs, in integer microseconds,
 * oldest first. A run's duration of a test is the sum of its test cases in
 * that run (pytest reports call failure + teardown error as two cases;
 * Playwright one per project). A run in which the test failed is counted
 * in `failures` but its time is not kept (failing tests stop early);
 * a flaky pass is kept and counted in `flaky`.
 *
 * Ownership: struct timings owns every string and array; timings_release
 * frees them. Tests are kept sorted by id only by timings_sort (the saved
 * file always is), so saving is byte-identical for equal content.
 */
#define TIMINGS_HISTORY_DEFAULT 5
#define TIMINGS_HISTORY_MAX 100

struct timing {
	char *id, *file, *klass;
	int64_t *us;
	unsigned nus;
	size_t cap;
	unsigned failures, flaky;
	unsigned seen; /* run number that last reported the test */
	/* ingest scratch: this run's sum and state */
	int64_t run_us;
	unsigned run_flags;
	bool run_seen, run_timed;
};

struct timings {
	struct timing *v;
	size_t nr, alloc;
	unsigned history;
	unsigned runs;
	struct idmap map;
};

enum timings_estimator {
	EST_MEDIAN = 0,
	EST_EMA = 1
};

/* history 0: the loaded file's, else TIMINGS_HISTORY_DEFAULT. */
void timings_init(struct timings *t, unsigned history);
void timings_release(struct timings *t);

/* Missing file with may_be_missing: an empty store, 0. */
int timings_load(struct timings *t, const char *path, bool may_be_missing);
/* The same from memory; `path` names it in messages. */
int timings_load_mem(
    struct timings *t, const char *data, size_t len, const char *path);
int timings_save(struct timings *t, const char *path);
/* Serialises (sorted) into out; for tests and --json. */
int timings_dump(struct timings *t, struct buf *out);

/* The id a case is known by (caller frees). */
char *timings_case_id(const struct tcase *c);

/* Finds or adds the test; never NULL. */
struct timing *timings_get(struct timings *t, const char *id);
struct timing *timings_find(const struct timings *t, const char *id);

/*
 * Ingest of one run: timings_run_begin, then timings_run_add for every case
 * (usable as a tcase_fn with the store as ctx), then timings_run_end, which
 * appends each test's run duration (keeping the last `history`), counts
 * failures, and drops tests not reported in the last `prune_after` runs
 * (0 = never). Returns the number of tests that got a new sample.
 */
void timings_run_begin(struct timings *t);
int timings_run_add(const struct tcase *c, void *ctx);
size_t timings_run_end(struct timings *t, unsigned prune_after);

/* Median (lower+upper)/2 or EMA (alpha 0.3) of the samples; -1 if none. */
int64_t timing_estimate(const struct timing *tm, enum timings_estimator e);

void timings_sort(struct timings *t);

/* Reads and parses a JSON file of at most max bytes. */
int load_json(const char *path, size_t max, cJSON **out);

#endif
