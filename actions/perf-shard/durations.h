#ifndef PERF_SHARD_DURATIONS_H
#define PERF_SHARD_DURATIONS_H

#include <stddef.h>

#include "common/compat.h"
#include "tcase.h"

/*
 * pytest-split `.test_durations`: a JSON object {node id: seconds} (or the
 * old list of [id, seconds] pairs). The file is the part of the id before
 * the first "::", the class the part before the last "::". Negative or
 * non-numeric durations are refused with a message naming the id.
 */
int durations_parse_pytest(
    const char *data, size_t len, const char *what, tcase_fn *fn, void *ctx);

/*
 * `go test -json` (test2json) lines. Each top-level test's final
 * pass/fail/skip event becomes a case: classname and file = Package,
 * name = Test, time = Elapsed. Subtests ("TestX/y") are part of their
 * parent's time and are skipped. Non-JSON lines (build output) are ignored;
 * a line longer than 1 MiB is an error.
 */
int durations_parse_gojson(
    const char *data, size_t len, const char *what, tcase_fn *fn, void *ctx);

#endif
