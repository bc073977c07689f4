#ifndef PERF_SHARD_TCASE_H
#define PERF_SHARD_TCASE_H

#include <stdint.h>

#include "common/compat.h"

/*
 * One measured test case, as every input parser (JUnit, pytest-split
 * durations, go test -json) delivers it. Strings are borrowed for the
 * duration of the callback only.
 */
enum {
	TC_FAILED = 1 << 0,  /* failure/error, or failed after reruns */
	TC_SKIPPED = 1 << 1, /* skipped/xfail */
	TC_FLAKY = 1 << 2,   /* passed after a rerun (Surefire flaky*) */
};

#define TC_UNKNOWN ((int64_t)-1)

struct tcase {
	const char *id;        /* stable test id, or NULL: file|class::name */
	const char *file;      /* normalised path, or NULL */
	const char *classname; /* or NULL */
	const char *name;      /* never NULL, may be "" */
	int64_t us;            /* microseconds, TC_UNKNOWN if not reported */
	unsigned flags;
};

/* Return 0 to go on, -1 (after error_msg) to stop the parse. */
typedef int tcase_fn(const struct tcase *c, void *ctx);

/*
 * Parses a decimal duration in seconds as producers write it ("0.123",
 * "1,234.5", "0,03", "1.0E-4", "  2 ") into integer microseconds, rounding
 * half up, without floating point so every machine gets the same value.
 * A lone comma is a decimal comma; a comma before a dot, or several commas,
 * group thousands. Returns -1 (no message) for empty, negative, non-finite
 * or unparsable text and for values above 10^9 s.
 */
int tcase_parse_seconds(const char *s, size_t len, int64_t *us);

/*
 * Normalises a path in place: '\' -> '/', the prefix `root` + '/' removed
 * if present (root may be NULL), leading "./" removed, "//" collapsed.
 */
void tcase_normalize_path(char *path, const char *root);

#endif
