#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/opt.h"
#include "cmd.h"
#include "durations.h"
#include "junit.h"
#include "timings.h"

#define INPUT_MAX ((size_t)1 << 30)

typedef int parse_fn(
    const char *data, size_t len, const char *what, tcase_fn *fn, void *ctx);

static int
ingest_whole(
    const struct strlist *files, parse_fn *parse, struct timings *t, size_t *n)
{
	size_t i;

	for (i = 0; i < files->nr; i++) {
		struct buf b = BUF_INIT(INPUT_MAX);
		int r = fs_read_file(files->items[i], b.max, &b);

		if (r == 0)
			r = parse(
			    b.data, b.len, files->items[i], timings_run_add, t);
		buf_release(&b);
		if (r < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

int
cmd_ingest(int argc, char **argv)
{
	struct strlist junit = STRLIST_INIT, dur = STRLIST_INIT,
	               gojson = STRLIST_INIT, files = STRLIST_INIT;
	struct junit_stats st;
	struct timings t;
	const char *out = NULL, *root = NULL;
	long history = 0, prune = 0;
	bool json = false, dry_run = false;
	size_t i, inputs = 0, added;
	char line[256];
	int rc;
	const struct opt opts[] = {
		OPT_LIST(0, "junit", &junit, "PATTERN", "JUnit XML reports"),
		OPT_LIST(0, "durations", &dur, "FILE",
		    "pytest-split .test_durations"),
		OPT_LIST(0, "go-json", &gojson, "FILE", "go test -json output"),
		OPT_STRING('o', "out", &out, "FILE",
		    "timings store to update (created if missing)"),
		OPT_INT(0, "history", &history, "N", 1, TIMINGS_HISTORY_MAX,
		    "runs kept per test (default: the store's, else 5)"),
		OPT_INT(0, "prune-after", &prune, "RUNS", 0, 1000000,
		    "forget tests not reported in this many runs (0: never)"),
		OPT_STRING(0, "root", &root, "DIR",
		    "strip this prefix from paths (default $GITHUB_WORKSPACE)"),
		OPT__JSON(&json),
		OPT__DRY_RUN(&dry_run),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"perf-shard ingest --out timings.json [--junit PATTERN]... "
		"[--durations FILE]... [--go-json FILE]... [--history N]",
		NULL,
	};

	memset(&st, 0, sizeof(st));
	timings_init(&t, 0);
	rc = opt_parse(argc, argv, opts, usage);
	if (rc < 0) {
		rc = rc == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	if (rc != argc || !out) {
		error_msg(
		    rc != argc ? "unexpected argument" : "--out is required");
		rc = RC_USAGE;
		goto out;
	}
	if (!junit.nr && !dur.nr && !gojson.nr) {
		error_msg("nothing to ingest: give --junit, --durations or "
		          "--go-json");
		rc = RC_USAGE;
		goto out;
	}
	rc = RC_FAIL;
	if (timings_load(&t, out, true) < 0)
		goto out;
	if (history)
		t.history = (unsigned)history;
	if (!root)
		root = getenv("GITHUB_WORKSPACE");
	if (expand_globs(&junit, &files) < 0)
		goto out;
	timings_run_begin(&t);
	for (i = 0; i < files.nr; i++)
		if (junit_parse_file(
		        files.items[i], root, timings_run_add, &t, &st) < 0)
			goto out;
	inputs = files.nr;
	if (ingest_whole(&dur, durations_parse_pytest, &t, &inputs) < 0 ||
	    ingest_whole(&gojson, durations_parse_gojson, &t, &inputs) < 0)
		goto out;
	if (inputs == 0) {
		gha_annotate("warning", NULL,
		    "no report matched; '%s' left "
		    "unchanged",
		    out);
		rc = RC_OK;
		goto out;
	}
	added = timings_run_end(&t, (unsigned)prune);
	if (!dry_run && timings_save(&t, out) < 0)
		goto out;
	snprintf(line, sizeof(line),
	    "ingested %zu inputs (%zu JUnit cases, %zu subtests folded, %zu "
	    "without time): %zu tests timed, %zu in '%s'%s",
	    inputs, st.cases, st.subtests, st.no_time, added, t.nr, out,
	    dry_run ? " (dry run: not written)" : "");
	if (json)
		printf("{\"inputs\":%zu,\"cases\":%zu,\"subtests\":%zu,"
		       "\"no_time\":%zu,\"timed\":%zu,\"tests\":%zu,"
		       "\"bytes\":%llu}\n",
		    inputs, st.cases, st.subtests, st.no_time, added, t.nr,
		    (unsigned long long)st.bytes);
	else
		printf("%s\n", line);
	snprintf(line, sizeof(line), "%zu", t.nr);
	if (gha_set_output("tests", line) < 0)
		goto out;
	rc = RC_OK;
out:
	strlist_release(&junit);
	strlist_release(&dur);
	strlist_release(&gojson);
	strlist_release(&files);
	timings_release(&t);
	return rc;
}
