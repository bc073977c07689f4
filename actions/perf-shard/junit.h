#ifndef PERF_SHARD_JUNIT_H
#define PERF_SHARD_JUNIT_H

#include <stddef.h>

#include "common/compat.h"
#include "tcase.h"

/*
 * Streaming JUnit XML reader (expat) tolerant of what producers write
 * (research/sharding.md §2):
 *  - <testsuites> or a bare <testsuite> root, suites nested to any depth;
 *  - file from testcase@file|filepath, else the nearest enclosing suite's,
 *    else a file="" on an empty sibling suite (mocha's "Root Suite");
 *  - classname missing: the enclosing suite's name;
 *  - time as attribute or <time> child, "1,234.5", "0,03", "1.0E-4";
 *    missing or unparsable = unknown, never 0;
 *  - <failure>/<error>/<rerunFailure>/<rerunError> = failed,
 *    <flakyFailure>/<flakyError> only = flaky pass, <skipped> = skipped;
 *  - Go subtests "TestX/sub" are dropped when their top-level test is in the
 *    same class (its time includes them); otherwise they count as TestX.
 * Cases are delivered after the document parsed completely, so a malformed
 * file delivers nothing. Paths are normalised against `root` (may be NULL).
 */
struct junit_stats {
	size_t files;
	size_t cases;    /* delivered */
	size_t subtests; /* dropped as part of their parent */
	size_t no_time;  /* delivered with TC_UNKNOWN */
	uint64_t bytes;
};

int junit_parse_mem(const char *data, size_t len, const char *what,
    const char *root, tcase_fn *fn, void *ctx, struct junit_stats *st);
/* Reads the file in 1 MiB chunks ("-" = stdin). */
int junit_parse_file(const char *path, const char *root, tcase_fn *fn,
    void *ctx, struct junit_stats *st);

#endif
