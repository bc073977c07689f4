#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/glob.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "cmd.h"
#include "junit.h"
#include "planio.h"
#include "report.h"

/* CPU time: wall time on a shared runner says more about the neighbours. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
plan_args_init(struct plan_args *a)
{
	memset(a, 0, sizeof(*a));
	strlist_init(&a->globs);
	strlist_init(&a->from_junit);
	a->tol_ppm = -1;
	recommend_init(&a->rec);
}

void
plan_args_release(struct plan_args *a)
{
	strlist_release(&a->globs);
	strlist_release(&a->from_junit);
	recommend_release(&a->rec);
}

int
read_lines(const char *path, struct strlist *out)
{
	struct buf b = BUF_INIT((size_t)1 << 30);
	char *s, *nl;

	if (fs_read_file(path, b.max, &b) < 0) {
		buf_release(&b);
		return -1;
	}
	for (s = b.data; s < b.data + b.len; s = nl + 1) {
		size_t l;

		nl = memchr(s, '\n', (size_t)(b.data + b.len - s));
		if (!nl)
			nl = b.data + b.len;
		l = (size_t)(nl - s);
		while (l && s[l - 1] == '\r')
			l--;
		if (l)
			strlist_push_owned(out, xstrndup(s, l));
	}
	buf_release(&b);
	return 0;
}

int
expand_globs(const struct strlist *pats, struct strlist *out)
{
	size_t i;

	for (i = 0; i < pats->nr; i++) {
		int n = glob_expand(pats->items[i], out, 0);

		if (n < 0)
			return -1;
		if (n == 0)
			warn_msg("no file matches '%s'", pats->items[i]);
	}
	return 0;
}

struct keys_ctx {
	struct strlist *list;
	enum unit unit;
};

static int
collect_key(const struct tcase *c, void *ctx)
{
	struct keys_ctx *k = ctx;

	strlist_push_owned(k->list, report_case_key(c, k->unit));
	return 0;
}

static const char *
root_dir(const struct plan_args *a)
{
	return a->root ? a->root : getenv("GITHUB_WORKSPACE");
}

static int
build_list(struct plan_args *a, struct strlist *list, bool *have)
{
	struct strlist files = STRLIST_INIT;
	struct keys_ctx kc = { list, a->u };
	size_t i;
	int ret = -1;

	*have = a->tests || a->globs.nr || a->from_junit.nr;
	if (a->tests && read_lines(a->tests, list) < 0)
		goto out;
	if (expand_globs(&a->globs, &files) < 0)
		goto out;
	for (i = 0; i < files.nr; i++) {
		tcase_normalize_path(files.items[i], NULL);
		strlist_push(list, files.items[i]);
	}
	strlist_release(&files);
	if (expand_globs(&a->from_junit, &files) < 0)
		goto out;
	for (i = 0; i < files.nr; i++)
		if (junit_parse_file(files.items[i], root_dir(a), collect_key,
		        &kc, NULL) < 0)
			goto out;
	ret = 0;
out:
	strlist_release(&files);
	return ret;
}

int
plan_args_build(struct plan_args *a, struct plan *p)
{
	struct timings t;
	struct strlist list = STRLIST_INIT;
	struct items_opts io;
	struct plan_opts po;
	struct plan prev;
	struct idmap sticky = IDMAP_INIT;
	bool have_list;
	int64_t t0;
	int ret = RC_USAGE;

	timings_init(&t, 0);
	plan_init(&prev);
	memset(&io, 0, sizeof(io));
	memset(&po, 0, sizeof(po));
	a->u = a->globs.nr && !a->unit ? UNIT_FILE : UNIT_TEST;
	if (a->unit && unit_parse(a->unit, &a->u) < 0)
		goto out;
	if (a->unknown && unknown_parse(a->unknown, &io.unknown) < 0)
		goto out;
	if (a->estimator && strcmp(a->estimator, "median")) {
		if (strcmp(a->estimator, "ema")) {
			error_msg("unknown estimator '%s' (median, ema)",
			    a->estimator);
			goto out;
		}
		io.est = EST_EMA;
	}
	if (!a->shards && !a->target_ms) {
		error_msg("give --shards N or --target DURATION");
		goto out;
	}
	ret = RC_FAIL;
	t0 = now_ms();
	if (a->timings && timings_load(&t, a->timings, true) < 0)
		goto out;
	debug_msg("loaded %zu timings in %lld ms of CPU", t.nr,
	    (long long)(now_ms() - t0));
	if (a->timings && t.nr == 0)
		warn_msg("no timings in '%s': splitting by count", a->timings);
	if (build_list(a, &list, &have_list) < 0)
		goto out;
	io.unit = a->u;
	io.list = have_list ? &list : NULL;
	if (items_build(p, &t, &io) < 0)
		goto out;
	if (p->nr == 0) {
		error_msg("nothing to plan: no tests listed and no timings");
		goto out;
	}
	po.shards = (unsigned)a->shards;
	if (!a->shards) {
		a->recommended = true;
		if (!a->overhead_ms)
			a->overhead_ms = 30000;
		if (recommend_run(&a->rec, p, a->overhead_ms * 1000,
		        a->target_ms * 1000,
		        (unsigned)(a->max_shards ? a->max_shards : 32)) < 0)
			goto out;
		po.shards = a->rec.best;
	}
	items_split_big(p, &t, &io, po.shards);
	po.tol_ppm = a->tol_ppm >= 0 ? (uint32_t)a->tol_ppm : PLAN_TOL_PPM;
	po.plain_lpt = a->plain_lpt;
	if (a->sticky) {
		if (planio_read(&prev, a->sticky, NULL) < 0)
			goto out;
		planio_index(&prev, &sticky);
		po.sticky = &sticky;
		po.sticky_shards = prev.shards;
		if (prev.shards != po.shards)
			warn_msg("previous plan '%s' has %u shards, not %u: "
			         "starting fresh",
			    a->sticky, prev.shards, po.shards);
	}
	t0 = now_ms();
	if (plan_solve(p, &po) < 0)
		goto out;
	debug_msg("planned %zu items into %u shards in %lld ms of CPU (%s)",
	    p->nr, p->shards, (long long)(now_ms() - t0), p->method);
	if (p->unknown)
		info_msg("%zu of %zu items have no timings; estimated",
		    p->unknown, p->nr);
	ret = 0;
out:
	idmap_release(&sticky);
	plan_release(&prev);
	strlist_release(&list);
	timings_release(&t);
	return ret;
}

static void
plan_markdown(const struct plan_args *a, const struct plan *p, struct buf *md)
{
	char x[32], y[32], r[32];
	size_t *counts, i;
	unsigned k;

	fmt_duration(p->makespan, x);
	fmt_duration(p->lb, y);
	plan_ratio_str(p->makespan, p->lb, r);
	buf_addf(md,
	    "## perf-shard plan\n\n%zu %ss over **%u** shards: predicted "
	    "makespan **%s**, lower bound %s (makespan/LB %s, %s). Unknown: "
	    "%zu. Digest `%.16s`.\n\n",
	    p->nr, unit_name(a->u), p->shards, x, y, r, p->method, p->unknown,
	    p->digest);
	if (p->pmax * (int64_t)p->shards > p->total && p->shards > 1) {
		fmt_duration(p->pmax, x);
		buf_addf(md,
		    "> The longest item (%s) is above the fair share: "
		    "it sets the floor.\n\n",
		    x);
	}
	buf_adds(md, "| shard | items | predicted |\n|---:|---:|---:|\n");
	counts = xcalloc(p->shards, sizeof(*counts));
	for (i = 0; i < p->nr; i++)
		counts[p->items[i].shard]++;
	for (k = 0; k < p->shards; k++) {
		fmt_duration(p->load[k], x);
		buf_addf(md, "| %u | %zu | %s |\n", k + 1, counts[k], x);
	}
	free(counts);
	buf_addch(md, '\n');
	if (a->recommended)
		recommend_markdown(
		    &a->rec, a->target_ms * 1000, a->overhead_ms * 1000, md);
}

static int
set_outputs(const struct plan *p, const char *out)
{
	struct buf m = BUF_INIT(0);
	char n[32];
	unsigned k;
	int ret;

	buf_adds(&m, "{\"shard\":[");
	for (k = 1; k <= p->shards; k++)
		buf_addf(&m, "%s%u", k > 1 ? "," : "", k);
	buf_addf(&m, "],\"digest\":[\"%.16s\"]}", p->digest);
	snprintf(n, sizeof(n), "%u", p->shards);
	{
		const struct gha_output outs[] = { { "matrix", m.data },
			{ "digest", p->digest }, { "shards", n },
			{ "plan", out } };

		ret = gha_set_outputs(outs, ARRAY_SIZE(outs));
	}
	buf_release(&m);
	return ret;
}

int
cmd_plan(int argc, char **argv)
{
	struct plan_args a;
	struct plan p;
	struct buf js = BUF_INIT((size_t)1 << 30), md = BUF_INIT(0);
	const char *out = "plan.json";
	bool json = false;
	char x[32], y[32], r[32];
	int64_t t0;
	int rc;
	const struct opt opts[] = {
		PLAN_ARGS_OPTS(a),
		OPT_STRING('o', "out", &out, "FILE", "plan file (plan.json)"),
		OPT__JSON(&json),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"perf-shard plan --timings FILE (--shards N | --target D "
		"[--overhead D]) [--tests FILE|--glob P|--from-junit P] [options]",
		NULL,
	};

	plan_args_init(&a);
	plan_init(&p);
	rc = opt_parse(argc, argv, opts, usage);
	if (rc < 0) {
		rc = rc == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	if (rc != argc) {
		error_msg("unexpected argument '%s'", argv[rc]);
		rc = RC_USAGE;
		goto out;
	}
	rc = plan_args_build(&a, &p);
	if (rc)
		goto out;
	rc = RC_FAIL;
	t0 = now_ms();
	if (planio_write(&p, unit_name(a.u), &js) < 0 ||
	    fs_write_atomic(out, js.data, js.len, 0644) < 0)
		goto out;
	debug_msg("wrote '%s' (%zu bytes) in %lld ms of CPU", out, js.len,
	    (long long)(now_ms() - t0));
	plan_markdown(&a, &p, &md);
	if (set_outputs(&p, out) < 0 || gha_summary_append(md.data) < 0)
		goto out;
	if (json) {
		fputs(js.data, stdout);
	} else {
		fmt_duration(p.makespan, x);
		fmt_duration(p.lb, y);
		plan_ratio_str(p.makespan, p.lb, r);
		printf("plan: %zu %ss, %u shards, makespan %s, lower bound %s, "
		       "ratio %s, unknown %zu, %s\n",
		    p.nr, unit_name(a.u), p.shards, x, y, r, p.unknown,
		    p.method);
		if (a.recommended && !a.rec.met)
			printf("target not met: %s\n",
			    a.rec.impossible ? "the longest item alone is "
			                       "longer than the target"
			                     : "raise --max-shards");
		printf("digest %s\nwrote %s\n", p.digest, out);
	}
	rc = RC_OK;
out:
	buf_release(&js);
	buf_release(&md);
	plan_release(&p);
	plan_args_release(&a);
	return rc;
}
