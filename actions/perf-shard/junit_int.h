/*
 * Internal to junit.c (the SAX handlers that turn JUnit XML into test
 * cases) and junit_feed.c (how a file is fed to expat: in pieces, with
 * the bulky <system-out>/<system-err> skipped). Not for other files.
 */
#ifndef PERF_SHARD_JUNIT_INT_H
#define PERF_SHARD_JUNIT_INT_H

#include <expat.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "junit.h"

#define MAX_CASES ((size_t)10 << 20)

struct jcase {
	char *file, *classname, *name;
	int64_t us;
	unsigned flags;
};

struct suite {
	char *file, *name;
	size_t depth, ncases;
	bool own_file;
};

struct jstate {
	XML_Parser p;
	const char *root;
	struct suite *suites;
	size_t nsuites, suites_alloc;
	struct jcase *cases;
	size_t ncases, cases_alloc;
	char *doc_file; /* from an empty suite with file= (mocha) */
	struct jcase cur;
	size_t depth, case_depth;
	bool in_case, in_time, time_attr;
	bool hard_fail, flaky;
	struct buf text;
	int err;
};

/* jstate_init dies on no memory (expat's parser); release frees all. */
void jstate_init(struct jstate *s, const char *root);
void jstate_release(struct jstate *s);
/* Hands the parsed cases to fn (subtests collapsed); -1 when fn fails. */
int jstate_deliver(
    struct jstate *s, tcase_fn *fn, void *ctx, struct junit_stats *st);

#endif
