#ifndef PERF_SHARD_STEAL_GH_H
#define PERF_SHARD_STEAL_GH_H

#include <stddef.h>

#include "common/buf.h"
#include "common/compat.h"
#include "common/github.h"

/*
 * Queue claims through the GitHub REST API instead of git pushes, for
 * --queue github:OWNER/REPO (API from GITHUB_API_URL) or --queue
 * https://HOST/[api/v3/]repos/OWNER/REPO. Token: GITHUB_TOKEN or GH_TOKEN
 * (needs contents: write).
 *
 * Each job first creates a parentless commit on the empty tree (POST
 * git/commits) with fixed author and dates, so its sha depends only on
 * (key, job index): every attempt of a job has the same one. Claiming
 * chunk c is POST git/refs of refs/perf-shard/<key>/<c> to that commit:
 * 201 = claimed, 422 = the ref exists; then whose it is is read back (GET
 * git/ref/...): our own commit means an earlier try or attempt of ours
 * went through (a lost answer, a retried 5xx), anyone else's means taken.
 * A re-run lists the refs pointing at its commit: ownership is recorded
 * by the claim itself, with no second ref to lose in a crash. So a retried POST
 * never loses or doubles a chunk. POSTs are retried here on 403 (secondary rate
 * limit), 429 and 5xx with a doubling wait (PERF_SHARD_RETRY_MS, default 1000,
 * first wait), as the common client retries idempotent methods only;
 * GET and DELETE use the common retry.
 *
 * Ownership: struct ghq owns its strings and client; ghq_release.
 */
struct ghq {
	struct github gh;
	char *key;
	unsigned index, attempt;
};

/* 1 if remote names a GitHub queue (then q is set up), 0 if not, -1. */
int ghq_open(struct ghq *q, const char *remote, const char *key, unsigned index,
    unsigned attempt);
void ghq_release(struct ghq *q);

int ghq_commit(struct ghq *q, struct buf *sha);
/* 1 claimed, 0 taken (taken[] refreshed), -1 error. */
int ghq_claim(struct ghq *q, const char *sha, size_t c, bool *taken, size_t n,
    const char *prefix);
/* Marks the chunk numbers of refs directly under prefix ("refs/..."),
 * only those pointing at owner unless it is NULL. */
int ghq_list(
    struct ghq *q, const char *prefix, const char *owner, bool *mark, size_t n);
/* Deletes every ref of the key; the number deleted or -1. */
int ghq_clean(struct ghq *q);

#endif
