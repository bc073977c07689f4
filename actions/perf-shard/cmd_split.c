#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "cmd.h"
#include "planio.h"
#include "run.h"
#include "steal.h"

/* Could a runner read one of these lines as a workflow command? */
static bool
looks_like_command(const char *text)
{
	const char *line = text;

	while (line && *line) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (line[0] == ':' && line[1] == ':')
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/*
 * Test ids come from the repository, which a pull request controls. Plain
 * output stays plain (it is usually captured with $(...)); only if a line
 * could be a workflow command is it fenced with ::stop-commands::.
 */
static void
print_items(const char *text)
{
	struct gha_untrusted u;
	bool fence = gha_active() && looks_like_command(text);

	if (fence)
		gha_untrusted_begin(&u, stdout);
	fputs(text, stdout);
	if (fence)
		gha_untrusted_end(&u, stdout);
}

static unsigned
attempt(void)
{
	const char *a = getenv("GITHUB_RUN_ATTEMPT");
	long v;

	if (!a || opt_parse_long(a, 1, 1000000, &v) < 0)
		return 1;
	return (unsigned)v;
}

/* The plan from --plan, or computed from --timings like `plan` does. */
static int
load_or_build(
    struct plan_args *a, const char *plan_path, long total, struct plan *p)
{
	if (plan_path && a->timings) {
		error_msg("give --plan or --timings, not both");
		return RC_USAGE;
	}
	if (plan_path)
		return planio_read(p, plan_path, NULL) < 0 ? RC_FAIL : 0;
	if (!a->timings && !a->tests && !a->globs.nr && !a->from_junit.nr) {
		error_msg("give --plan FILE, or --timings FILE with --total N");
		return RC_USAGE;
	}
	if (total)
		a->shards = total;
	return plan_args_build(a, p);
}

static int
split_or_run(int argc, char **argv, bool run)
{
	struct plan_args a;
	struct plan p;
	struct buf b = BUF_INIT(0);
	const char *plan_path = NULL, *format = NULL, **items = NULL;
	const char *queue = NULL, *run_key = NULL, *git_dir = ".";
	long index = 0, total = 0;
	bool dry_run = false;
	enum fmt f = FMT_LINES;
	size_t n;
	int rc, first;
	const struct opt opts[] = {
		OPT_STRING(
		    0, "plan", &plan_path, "FILE", "plan.json from 'plan'"),
		OPT_INT(0, "index", &index, "I", 1, 256, "this shard, 1-based"),
		OPT_INT(0, "total", &total, "N", 1, 256,
		    "shard count (with --timings)"),
		OPT_STRING(0, "format", &format, "F",
		    "lines (default), args, pytest, jest, go"),
		OPT__DRY_RUN(&dry_run),
		OPT_STRING(0, "queue", &queue, "REMOTE",
		    "run: claim chunks from a git remote (work stealing)"),
		OPT_STRING_ENV(0, "run-key", &run_key, "KEY", "GITHUB_RUN_ID",
		    "queue name, unique per workflow run"),
		OPT_STRING(0, "git-dir", &git_dir, "DIR",
		    "repository for claim commits (default .)"),
		PLAN_ARGS_OPTS(a),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const split_usage[] = {
		"perf-shard split (--plan FILE | --timings FILE --total N) "
		"--index I [--format F]",
		NULL,
	};
	static const char *const run_usage[] = {
		"perf-shard run (--plan FILE | --timings FILE --total N) "
		"--index I -- CMD [ARGS] {}",
		NULL,
	};

	plan_args_init(&a);
	plan_init(&p);
	rc = opt_parse(argc, argv, opts, run ? run_usage : split_usage);
	if (rc < 0) {
		rc = rc == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	first = rc;
	if (!index || (run && rc == argc) || (!run && rc != argc)) {
		error_msg(!index ? "--index is required"
		          : run  ? "no command given after '--'"
		                 : "unexpected argument");
		rc = RC_USAGE;
		goto out;
	}
	if (format && fmt_parse(format, &f) < 0) {
		rc = RC_USAGE;
		goto out;
	}
	rc = load_or_build(&a, plan_path, total, &p);
	if (rc)
		goto out;
	if ((unsigned long)index > p.shards) {
		error_msg("--index %ld is beyond the plan's %u shards", index,
		    p.shards);
		rc = RC_USAGE;
		goto out;
	}
	if (run) {
		/* Refuse before anything runs, in queue mode too. */
		const char **all = xcalloc(p.nr + 1, sizeof(*all));
		size_t i;

		for (i = 0; i < p.nr; i++)
			all[i] = p.items[i].key;
		rc = run_check_dashes(argv + first, argc - first, all, p.nr);
		free(all);
		if (rc < 0) {
			rc = RC_USAGE;
			goto out;
		}
	}
	if (run && queue) {
		struct steal_opts so = { queue, run_key, git_dir,
			(unsigned)index, attempt(), p.shards };

		if (!run_key || !*run_key) {
			error_msg("--queue needs --run-key (or GITHUB_RUN_ID)");
			rc = RC_USAGE;
			goto out;
		}
		rc = steal_run(&p, &so, argv + first, argc - first);
		if (rc < 0)
			rc = RC_WRAPPER;
		goto out;
	}
	n = planio_shard_items(&p, (unsigned)index - 1, &items);
	if (run) {
		rc = run_items(argv + first, argc - first, items, n, dry_run);
		if (rc < 0)
			rc = RC_WRAPPER;
		goto out;
	}
	rc = RC_FAIL;
	if (fmt_items(f, items, n, &b) < 0)
		goto out;
	print_items(b.data);
	rc = RC_OK;
out:
	free(items);
	buf_release(&b);
	plan_release(&p);
	plan_args_release(&a);
	return rc;
}

int
cmd_split(int argc, char **argv)
{
	return split_or_run(argc, argv, false);
}

int
cmd_run(int argc, char **argv)
{
	return split_or_run(argc, argv, true);
}

int
cmd_queue_clean(int argc, char **argv)
{
	const char *queue = NULL, *run_key = NULL, *git_dir = ".";
	int rc;
	const struct opt opts[] = {
		OPT_STRING(0, "queue", &queue, "REMOTE", "the git remote"),
		OPT_STRING_ENV(0, "run-key", &run_key, "KEY", "GITHUB_RUN_ID",
		    "queue name, unique per workflow run"),
		OPT_STRING(0, "git-dir", &git_dir, "DIR",
		    "repository to run git in (default .)"),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"perf-shard queue-clean --queue REMOTE --run-key KEY",
		NULL,
	};

	rc = opt_parse(argc, argv, opts, usage);
	if (rc < 0)
		return rc == OPT_DONE ? RC_OK : RC_USAGE;
	if (rc != argc || !queue || !run_key || !*run_key) {
		error_msg("--queue and --run-key are required");
		return RC_USAGE;
	}
	rc = steal_clean(queue, run_key, git_dir);
	if (rc < 0)
		return RC_FAIL;
	printf("deleted %d refs of queue '%s'\n", rc, run_key);
	return RC_OK;
}
