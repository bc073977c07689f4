#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/opt.h"
#include "cmd.h"
#include "planio.h"
#include "report.h"

int
cmd_report(int argc, char **argv)
{
	struct strlist pats = STRLIST_INIT, files = STRLIST_INIT;
	struct plan p;
	struct report_stats st;
	struct buf md = BUF_INIT(0);
	const char *plan_path = NULL, *root = NULL;
	char *unit = NULL;
	enum unit u = UNIT_TEST;
	int rc;
	const struct opt opts[] = {
		OPT_STRING(0, "plan", &plan_path, "FILE", "plan.json that ran"),
		OPT_LIST(
		    0, "junit", &pats, "PATTERN", "the shards' JUnit reports"),
		OPT_STRING(0, "root", &root, "DIR",
		    "strip this prefix from paths (default $GITHUB_WORKSPACE)"),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"perf-shard report --plan plan.json --junit 'shard-*/**/*.xml'",
		NULL,
	};

	plan_init(&p);
	rc = opt_parse(argc, argv, opts, usage);
	if (rc < 0) {
		rc = rc == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	if (rc != argc || !plan_path || !pats.nr) {
		error_msg("--plan and --junit are required");
		rc = RC_USAGE;
		goto out;
	}
	rc = RC_FAIL;
	if (planio_read(&p, plan_path, &unit) < 0 || unit_parse(unit, &u) < 0)
		goto out;
	if (expand_globs(&pats, &files) < 0)
		goto out;
	if (!root)
		root = getenv("GITHUB_WORKSPACE");
	rc = report_run(&p, u, &files, root, &md, &st);
	if (rc < 0) {
		rc = RC_FAIL;
		goto out;
	}
	printf("%zu reports, %zu planned items never ran, %zu ran twice, %zu "
	       "unplanned\n",
	    st.reports, st.missing, st.twice, st.unplanned);
	if (st.missing)
		gha_annotate("error", NULL,
		    "%zu planned items never ran (see the step summary)",
		    st.missing);
	if (gha_summary_append(md.data) < 0)
		rc = RC_FAIL;
out:
	free(unit);
	buf_release(&md);
	strlist_release(&pats);
	strlist_release(&files);
	plan_release(&p);
	return rc;
}
