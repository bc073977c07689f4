#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "run.h"
#include "steal.h"

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

size_t
steal_chunks(
    const struct plan *p, unsigned jobs, size_t **starts, size_t **order)
{
	size_t *ord = xcalloc(p->nr + 1, sizeof(*ord));
	size_t *st = xcalloc(p->nr + 2, sizeof(*st));
	size_t i, n = 0;
	int64_t left = p->total, floor_us;

	jobs = jobs ? jobs : 1;
	floor_us = p->total / (8 * (int64_t)jobs);
	for (i = 0; i < p->nr; i++)
		ord[i] = i;
	cmp_plan = p;
	qsort(ord, p->nr, sizeof(*ord), cmp_lpt);
	for (i = 0; i < p->nr;) {
		int64_t want = left * 2 / (3 * (int64_t)jobs), sum = 0;

		if (want < floor_us)
			want = floor_us;
		st[n++] = i;
		do {
			sum += p->items[ord[i]].est;
			i++;
		} while (i < p->nr && sum < want);
		left -= sum;
	}
	st[n] = p->nr;
	*starts = st;
	*order = ord;
	return n;
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

/* 1 claimed, 0 taken by someone else, -1 error. */
static int
claim(const struct steal_opts *o, const char *sha, size_t c)
{
	struct buf seen = BUF_INIT(1 << 20);
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
	{
		const char *a[] = { "ls-remote", o->remote, lock, NULL };

		if (git(o->git_dir, &seen, a) == 0 && seen.len > 0)
			ret = 0; /* someone else holds it */
		else
			error_msg("cannot claim '%s' on '%s' and it is not "
			          "taken: is the remote writable?",
			    lock, o->remote);
	}
out:
	buf_release(&seen);
	free(spec1);
	free(spec2);
	free(lock);
	free(by);
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
	size_t *st = NULL, *ord = NULL, n, c, ran = 0;
	bool *taken = NULL, *mine = NULL;
	struct buf sha = BUF_INIT(4096);
	char *prefix = NULL;
	int status = 0, rc, ret = -1;

	n = steal_chunks(p, o->jobs, &st, &ord);
	taken = xcalloc(n + 1, sizeof(*taken));
	mine = xcalloc(n + 1, sizeof(*mine));
	if (o->attempt > 1) {
		prefix =
		    xasprintf("refs/perf-shard/%s/by/%u/", o->key, o->index);
		if (list_refs(o, prefix, mine, n) < 0)
			goto out;
		for (c = 0; c < n; c++) {
			if (!mine[c])
				continue;
			info_msg("re-running chunk %zu claimed by attempt < %u",
			    c, o->attempt);
			rc = run_chunk(p, st, ord, c, cmd, ncmd);
			if (rc < 0)
				goto out;
			if (rc && !status)
				status = rc;
			ran++;
		}
		free(prefix);
		prefix = NULL;
	}
	if (claim_commit(o, &sha) < 0)
		goto out;
	prefix = xasprintf("refs/perf-shard/%s/", o->key);
	for (;;) {
		memset(taken, 0, n * sizeof(*taken));
		if (list_refs(o, prefix, taken, n) < 0)
			goto out;
		for (c = 0; c < n && taken[c]; c++)
			;
		while (c < n) {
			int r = claim(o, sha.data, c);

			if (r < 0)
				goto out;
			if (r == 1)
				break;
			c++;
		}
		if (c >= n)
			break;
		rc = run_chunk(p, st, ord, c, cmd, ncmd);
		if (rc < 0)
			goto out;
		if (rc && !status)
			status = rc;
		ran++;
	}
	info_msg("queue '%s' drained: this job ran %zu of %zu chunks", o->key,
	    ran, n);
	ret = status;
out:
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
	char *pat = xasprintf("refs/perf-shard/%s/*", key);
	const char *a[] = { "ls-remote", remote, pat, NULL };
	char *line, *save = NULL;
	int ret = -1;

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
