#ifndef PERF_SHARD_CMD_H
#define PERF_SHARD_CMD_H

#include <stdint.h>

#include "common/compat.h"
#include "common/strlist.h"
#include "items.h"
#include "plan.h"
#include "recommend.h"

/*
 * The subcommands (main.c dispatches to them). Each parses its own options
 * and returns an exit status (common/exitcode.h).
 */
int cmd_ingest(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_split(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_queue_clean(int argc, char **argv);

/*
 * What a plan is computed from; shared by `plan`, and by `split`/`run` with
 * --timings, so every matrix job computes the identical plan.
 */
struct plan_args {
	const char *timings, *tests, *sticky, *unit, *unknown, *estimator;
	struct strlist globs, from_junit;
	long shards, max_shards, tol_ppm;
	int64_t target_ms, overhead_ms;
	bool plain_lpt;
	const char *root;
	/* results */
	enum unit u;
	struct recommend rec;
	bool recommended;
};

void plan_args_init(struct plan_args *a);
void plan_args_release(struct plan_args *a);
/* 0, or RC_USAGE / RC_FAIL-style code on error (message printed). */
int plan_args_build(struct plan_args *a, struct plan *p);

#define PLAN_ARGS_OPTS(a)                                                        \
	OPT_STRING(0, "timings", &(a).timings, "FILE",                           \
	    "timings store from 'ingest' (missing: split by count)"),            \
	    OPT_STRING(0, "tests", &(a).tests, "FILE",                           \
	        "what to run, one id per line ('-' stdin)"),                     \
	    OPT_LIST(0, "glob", &(a).globs, "PATTERN",                           \
	        "what to run: files matching (unit file)"),                      \
	    OPT_LIST(0, "from-junit", &(a).from_junit, "PATTERN",                \
	        "what to run: the tests in these reports"),                      \
	    OPT_INT(0, "shards", &(a).shards, "N", 1, 256, "shard count"),       \
	    OPT_DURATION(0, "target", &(a).target_ms,                            \
	        "pick the smallest shard count meeting this wall time"),         \
	    OPT_DURATION(0, "overhead", &(a).overhead_ms,                        \
	        "per-job overhead for --target (default 30s)"),                  \
	    OPT_INT(0, "max-shards", &(a).max_shards, "K", 1, 256,               \
	        "largest count --target may pick (default 32)"),                 \
	    OPT_STRING(0, "unit", &(a).unit, "UNIT",                             \
	        "test (default), file or class"),                                \
	    OPT_STRING(0, "unknown", &(a).unknown, "HOW",                        \
	        "estimate of unknown tests: file-mean (default), mean, median"), \
	    OPT_STRING(0, "estimator", &(a).estimator, "E",                      \
	        "median (default) or ema of the stored runs"),                   \
	    OPT_STRING(0, "sticky", &(a).sticky, "PLAN",                         \
	        "keep the previous plan's assignments where balanced"),          \
	    OPT_INT(0, "tolerance-ppm", &(a).tol_ppm, "PPM", 0, 1000000,         \
	        "stable plan may exceed LB by this (default 2000 = 0.2%)"),      \
	    OPT_BOOL(0, "plain-lpt", &(a).plain_lpt,                             \
	        "plain LPT + local search (not stable under noise)"),            \
	    OPT_STRING(0, "root", &(a).root, "DIR",                              \
	        "strip this prefix from report paths (default "                  \
	        "$GITHUB_WORKSPACE)")

/* Reads one id per line (CR stripped, blank lines skipped). */
int read_lines(const char *path, struct strlist *out);
/* Expands patterns; none matching at all is a warning. */
int expand_globs(const struct strlist *pats, struct strlist *out);

#endif
