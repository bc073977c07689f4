#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "run.h"
#include "steal.h"
#include "steal_gh.h"

#define EMPTY_TREE "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

static const struct plan *cmp_plan;

static int
cmp_lpt(const void *a, const void *b)
{
	const struct plan_item *x = &cmp_plan->items[*(const size_t *)a];
	const struct plan_item *y = &cmp_plan->items[*(const size_t *)b];

	if (x->est != y->est)
		return x->est > y->est ? -1 : 1;
	return strcmp(x->key, y->key);
}

/*
 * Chunk sizes shrink as the queue drains (factoring, a guided
 * self-scheduling variant): each chunk is 1/(2N) of the work left, down to
 * a floor of 1/40 of a job's share, so a job running late at the end holds
 * little. Plain GSS (1/N) makes fewer chunks, but its first chunk is a
 * whole share of the heaviest, noisiest tests: simulated on onegov, 4 jobs,
 * 12 noise draws, worst makespan 1.172 x LB at sigma 1.0 against 1.013
 * with 1/(2N) (1.043 vs 1.009 at sigma 0.3).
 */
size_t
steal_chunks(
    const struct plan *p, unsigned jobs, size_t **starts, size_t **order)
{
	size_t *ord = xcalloc(p->nr + 1, sizeof(*ord));
	size_t *st = xcalloc(p->nr + 2, sizeof(*st));
	size_t i, n = 0;
	int64_t left = p->total, floor_us;

	jobs = jobs ? jobs : 1;
	floor_us = p->total / (40 * (int64_t)jobs);
	for (i = 0; i < p->nr; i++)
		ord[i] = i;
	cmp_plan = p;
	qsort(ord, p->nr, sizeof(*ord), cmp_lpt);
	for (i = 0; i < p->nr;) {
		int64_t want = left / (2 * (int64_t)jobs), sum = 0;

		if (want < floor_us)
			want = floor_us;
		st[n++] = i;
		do {
			sum += p->items[ord[i]].est;
			i++;
		} while (i < p->nr && sum + p->items[ord[i]].est <= want);
		left -= sum;
	}
	st[n] = p->nr;
	*starts = st;
	*order = ord;
	return n;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs git quietly; its stdout (trimmed) into out if non-NULL. */
static int
git(const char *dir, struct buf *out, const char *const *args)
{
	struct strlist argv = STRLIST_INIT;
	struct proc p;
	int rc;

	strlist_push(&argv, "git");
	strlist_push(&argv, "-c");
	strlist_push(&argv, "user.name=perf-shard");
	strlist_push(&argv, "-c");
	strlist_push(&argv, "user.email=perf-shard@localhost");
	for (; *args; args++)
		strlist_push(&argv, *args);
	proc_init(&p);
	p.argv = argv.items;
	p.cwd = dir;
	p.capture_out = true;
	p.capture_err = true;
	p.timeout_ms = 120000;
	rc = proc_run(&p);
	if (out && rc == 0) {
		buf_addbuf(out, &p.out);
		while (out->len && (out->data[out->len - 1] == '\n'))
			buf_truncate(out, out->len - 1);
	}
	if (rc != 0)
		debug_msg("git %s: exit %d: %s", argv.items[5], rc, p.err.data);
	proc_release(&p);
	strlist_release(&argv);
	return rc;
}

/*
 * One parentless commit per job and attempt. Claims push it to new refs;
 * as it descends from no other claim, a push onto a ref someone else
 * holds is never a fast-forward and is refused.
 */
static int
claim_commit(const struct steal_opts *o, struct buf *sha)
{
	char *msg = xasprintf("perf-shard claims of %s by %u attempt %u",
	    o->key, o->index, o->attempt);
	const char *a[] = { "commit-tree", EMPTY_TREE, "-m", msg, NULL };
	int ret = 0;

	if (git(o->git_dir, sha, a) != 0 || sha->len < 40)
		ret = error_msg(
		    "cannot create a claim commit in '%s'", o->git_dir);
	free(msg);
	return ret;
}

/* Chunk numbers under prefix on the remote, marked in `mark`. */
static int
list_refs(
    const struct steal_opts *o, const char *prefix, bool *mark, size_t nchunks)
{
	struct buf b = BUF_INIT((size_t)16 << 20);
	char *pat = xasprintf("%s*", prefix);
	const char *a[] = { "ls-remote", o->remote, pat, NULL };
	char *line, *save = NULL;
	int ret = -1;

	if (git(o->git_dir, &b, a) != 0) {
		error_msg("cannot list '%s' on '%s'", pat, o->remote);
		goto out;
	}
	for (line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *ref = strchr(line, '\t');
		unsigned long long c;
		char *end;

		if (!ref || strncmp(ref + 1, prefix, strlen(prefix)))
			continue;
		c = strtoull(ref + 1 + strlen(prefix), &end, 10);
		if (*end == '\0' && c < nchunks)
			mark[c] = true;
	}
	ret = 0;
out:
	free(pat);
	buf_release(&b);
	return ret;
}

/*
 * 1 claimed, 0 taken by someone else, -1 error. One push per claim: only
 * a refused push lists the remote, which both tells "taken" from "cannot
 * push" and refreshes what this job knows is taken.
 */
static int
claim(const struct steal_opts *o, const char *sha, size_t c, bool *taken,
    size_t n, const char *prefix)
{
	char *lock, *by, *spec1, *spec2;
	int ret = -1;

	lock = xasprintf("refs/perf-shard/%s/%zu", o->key, c);
	by = xasprintf("refs/perf-shard/%s/by/%u/%zu", o->key, o->index, c);
	spec1 = xasprintf("%s:%s", sha, lock);
	spec2 = xasprintf("%s:%s", sha, by);
	{
		const char *a[] = { "push", "--atomic", "--quiet", o->remote,
			spec1, spec2, NULL };

		ret = git(o->git_dir, NULL, a) == 0 ? 1 : -1;
	}
	if (ret == 1)
		goto out;
	memset(taken, 0, n * sizeof(*taken));
	if (list_refs(o, prefix, taken, n) == 0 && taken[c])
		ret = 0; /* someone else holds it */
	else
		error_msg("cannot claim '%s' on '%s' and it is not "
		          "taken: is the remote writable?",
		    lock, o->remote);
out:
	free(spec1);
	free(spec2);
	free(lock);
	free(by);
	return ret;
}

static int
run_chunk(const struct plan *p, const size_t *st, const size_t *ord, size_t c,
    char **cmd, int ncmd)
{
	size_t n = st[c + 1] - st[c], i;
	const char **items = xcalloc(n + 1, sizeof(*items));
	int rc;

	for (i = 0; i < n; i++)
		items[i] = p->items[ord[st[c] + i]].key;
	info_msg("chunk %zu: %zu items", c, n);
	rc = run_items(cmd, ncmd, items, n, false);
	free(items);
	return rc;
}

int
steal_run(
    const struct plan *p, const struct steal_opts *o, char **cmd, int ncmd)
{
	size_t *st = NULL, *ord = NULL, n, c, ran = 0, hint;
	bool *taken = NULL, *mine = NULL;
	struct buf sha = BUF_INIT(4096);
	char *prefix = NULL;
	int status = 0, rc, ret = -1;
	int64_t claim_ms = 0, t_commit = 0;
	bool presumed;
	struct ghq gq, *gh;
	int r0;

	r0 = ghq_open(&gq, o->remote, o->key, o->index, o->attempt);
	if (r0 < 0)
		return -1;
	gh = r0 ? &gq : NULL;
	n = steal_chunks(p, o->jobs, &st, &ord);
	taken = xcalloc(n + 1, sizeof(*taken));
	mine = xcalloc(n + 1, sizeof(*mine));
	t_commit = mono_ms();
	if ((gh ? ghq_commit(gh, &sha) : claim_commit(o, &sha)) < 0)
		goto out;
	claim_ms = mono_ms() - t_commit;
	if (o->attempt > 1) {
		/* Over the API a claim ref points at the job's own commit,
		 * the same in every attempt; over git a by-ref is pushed
		 * atomically with the claim. */
		prefix = gh ? xasprintf("refs/perf-shard/%s/", o->key)
		            : xasprintf("refs/perf-shard/%s/by/%u/", o->key,
		                  o->index);
		if ((gh ? ghq_list(gh, prefix, sha.data, mine, n)
		        : list_refs(o, prefix, mine, n)) < 0)
			goto out;
		for (c = 0; c < n; c++) {
			if (!mine[c])
				continue;
			taken[c] = true; /* ours: never claimed "again" below */
			info_msg("re-running chunk %zu claimed by attempt < %u",
			    c, o->attempt);
			rc = run_chunk(p, st, ord, c, cmd, ncmd);
			if (rc < 0)
				goto out;
			if (rc && !status)
				status = rc;
			ran++;
			if (proc_cancelled())
				break;
		}
		free(prefix);
		prefix = NULL;
	}
	prefix = xasprintf("refs/perf-shard/%s/", o->key);
	/*
	 * Jobs start on different chunks instead of all racing for 0, and
	 * presume the ones below theirs taken (no collision on the second
	 * claim); a last listing checks the presumption before leaving.
	 */
	hint = o->index - 1 < n ? o->index - 1 : 0;
	for (c = 0; c < hint; c++)
		taken[c] = true;
	presumed = hint > 0;
	/* A cancelled job (the runner's SIGINT/SIGTERM, forwarded to the
	 * chunk) claims nothing more: the rest is left to the other jobs or to
	 * a re-run, which re-runs this job's claimed chunks. */
	while (!proc_cancelled()) {
		int64_t t0 = mono_ms();
		int r = 0;

		for (c = hint; c < n; c++) {
			if (taken[c])
				continue;
			r = gh ? ghq_claim(gh, sha.data, c, taken, n, prefix)
			       : claim(o, sha.data, c, taken, n, prefix);
			if (r < 0)
				goto out;
			if (r == 1)
				break;
			c = (size_t)-1; /* refreshed: lowest free again */
		}
		hint = 0;
		if (c >= n && presumed) {
			presumed = false;
			memset(taken, 0, n * sizeof(*taken));
			r = gh ? ghq_list(gh, prefix, NULL, taken, n)
			       : list_refs(o, prefix, taken, n);
			claim_ms += mono_ms() - t0;
			if (r < 0)
				goto out;
			continue;
		}
		claim_ms += mono_ms() - t0;
		if (c >= n)
			break;
		taken[c] = true;
		rc = run_chunk(p, st, ord, c, cmd, ncmd);
		if (rc < 0)
			goto out;
		if (rc && !status)
			status = rc;
		ran++;
	}
	if (proc_cancelled()) {
		info_msg("queue '%s': stopped by signal %d after %zu chunks; "
		         "no more claimed",
		    o->key, proc_cancelled(), ran);
		status = 128 + proc_cancelled();
	} else {
		info_msg("queue '%s' drained: this job ran %zu of %zu chunks, "
		         "claim overhead %lld ms",
		    o->key, ran, n, (long long)claim_ms);
	}
	ret = status;
out:
	if (gh)
		ghq_release(gh);
	buf_release(&sha);
	free(prefix);
	free(taken);
	free(mine);
	free(st);
	free(ord);
	return ret;
}

int
steal_clean(const char *remote, const char *key, const char *git_dir)
{
	struct buf b = BUF_INIT((size_t)16 << 20);
	struct strlist args = STRLIST_INIT;
	char *pat;
	const char *a[] = { "ls-remote", remote, NULL, NULL };
	char *line, *save = NULL;
	struct ghq gq;
	int ret = ghq_open(&gq, remote, key, 0, 0);

	if (ret != 0) {
		if (ret > 0) {
			ret = ghq_clean(&gq);
			ghq_release(&gq);
		}
		return ret;
	}
	ret = -1;
	pat = xasprintf("refs/perf-shard/%s/*", key);
	a[2] = pat;

	if (git(git_dir, &b, a) != 0) {
		error_msg("cannot list '%s' on '%s'", pat, remote);
		goto out;
	}
	strlist_push(&args, "push");
	strlist_push(&args, "--quiet");
	strlist_push(&args, remote);
	for (line = strtok_r(b.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *ref = strchr(line, '\t');

		if (ref)
			strlist_push_owned(&args, xasprintf(":%s", ref + 1));
	}
	ret = (int)(args.nr - 3);
	if (ret > 0 && git(git_dir, NULL, (const char *const *)args.items)) {
		error_msg(
		    "cannot delete the refs of '%s' on '%s'", key, remote);
		ret = -1;
	}
out:
	strlist_release(&args);
	free(pat);
	buf_release(&b);
	return ret;
}
