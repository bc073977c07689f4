#ifndef PERF_SHARD_STEAL_H
#define PERF_SHARD_STEAL_H

#include "common/compat.h"
#include "plan.h"

/*
 * Queue mode: work stealing with the git server as the only shared state.
 *
 * The plan's items (all shards) are cut into chunks in LPT order, each
 * 1/(2N) of the work left (factoring, a guided self-scheduling variant):
 * big chunks first, ever smaller ones at the end (down to 1/40 of a job's
 * share), so a late job holds little work. Every job repeatedly claims
 * the lowest free chunk by pushing a fresh commit, atomically, to two new
 * refs:
 *   refs/perf-shard/<key>/<chunk>                the lock (exists = taken)
 *   refs/perf-shard/<key>/by/<index>/<chunk>     who took it
 * A push to an existing ref is refused, so each chunk has one owner. A job
 * re-run (attempt > 1) first re-runs exactly the chunks its index claimed,
 * then keeps claiming. git runs in `git_dir` (a repository to create the
 * claim commits in; any clone works). The time spent listing and claiming
 * is reported as the job's claim overhead.
 *
 * steal_run returns the first non-zero status of the command over the
 * chunks it ran (0 if all passed), or -1 if the queue failed (message
 * printed): a refused push whose ref does not exist is an error, never a
 * silent skip.
 */
struct steal_opts {
	const char *remote;
	const char *key;
	const char *git_dir;
	unsigned index;   /* 1-based */
	unsigned attempt; /* GITHUB_RUN_ATTEMPT, 1 if unset */
	unsigned jobs;    /* shard count of the plan */
};

/* Chunk c's items (borrowed from p); returns the number of chunks. */
size_t steal_chunks(
    const struct plan *p, unsigned jobs, size_t **starts, size_t **order);

int steal_run(
    const struct plan *p, const struct steal_opts *o, char **cmd, int ncmd);
/* Deletes every ref of the key; returns the number deleted or -1. */
int steal_clean(const char *remote, const char *key, const char *git_dir);

#endif
