#include "common/compat.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"

#include "checkpoint.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "log_store.h"
#include "sync.h"
#include "verify.h"

static int
git(const char *dir, const char *const *args, struct buf *out)
{
	char *argv[16];
	struct proc p;
	size_t n = 0, i;
	int rc;

	/* proc wants char *const *: pass copies. */
	proc_init(&p);
	argv[n++] = xstrdup("git");
	if (dir != NULL) {
		argv[n++] = xstrdup("-C");
		argv[n++] = xstrdup(dir);
	}
	for (i = 0; args[i] != NULL && n < 15; i++)
		argv[n++] = xstrdup(args[i]);
	argv[n] = NULL;
	p.argv = argv;
	p.capture_out = true;
	p.capture_err = true;
	p.timeout_ms = 300000;
	rc = proc_run(&p);
	if (out != NULL)
		buf_addbuf(out, &p.out);
	if (rc != 0)
		debug_msg("git %s: exit %d: %s", args[0], rc, p.err.data);
	proc_release(&p);
	for (i = 0; i < n; i++)
		free(argv[i]);
	return rc;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void
rm_tree(const char *dir)
{
	if (dir != NULL && fs_exists(dir))
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The local log's source id, created on first use. */
static int
source_id(struct log_store *l, char out[33])
{
	struct buf b = BUF_INIT(0);
	char *p = log_store_path(l, "source-id");
	uint8_t r[16];
	int ret = -1, i;

	if (fs_exists(p)) {
		if (fs_read_file(p, 64, &b) < 0)
			goto out;
		if (b.len < 32) {
			error_msg("'%s' is malformed", p);
			goto out;
		}
		memcpy(out, b.data, 32);
	} else {
		if (RAND_bytes(r, sizeof(r)) != 1) {
			error_msg("cannot get random bytes");
			goto out;
		}
		for (i = 0; i < 16; i++)
			snprintf(out + 2 * i, 3, "%02x", r[i]);
		if (fs_write_atomic(p, out, 32, 0644) < 0)
			goto out;
	}
	out[32] = 0;
	ret = 0;
out:
	buf_release(&b);
	free(p);
	return ret;
}

static uint64_t
read_u64_file(const char *path)
{
	struct buf b = BUF_INIT(0);
	uint64_t v = 0;

	if (fs_exists(path) && fs_read_file(path, 64, &b) == 0)
		v = strtoull(b.data, NULL, 10);
	buf_release(&b);
	return v;
}

/* The shared log must extend what this runner saw last. */
static int
check_seen(struct log_store *local, struct log_store *shared)
{
	struct checkpoint c = { 0 };
	char *p = log_store_path(local, "remote-checkpoint");
	merkle_hash root;
	int ret = 1;

	if (!fs_exists(p)) {
		ret = 0;
		goto out;
	}
	if (checkpoint_load(p, &c, NULL) < 0) {
		ret = -1;
		goto out;
	}
	if (c.size > shared->size || log_store_root(shared, c.size, root) < 0 ||
	    memcmp(root, c.root, MERKLE_HASH_LEN) != 0) {
		error_msg(
		    "the shared log is not consistent with its checkpoint "
		    "at size %llu seen by the last sync: the branch was "
		    "rewritten",
		    (unsigned long long)c.size);
		goto out;
	}
	ret = 0;
out:
	checkpoint_release(&c);
	free(p);
	return ret;
}

static int
sign_shared(struct log_store *s, const struct note_signer *signer)
{
	struct buf body = BUF_INIT(4096), note = BUF_INIT(8192);
	char *dir = log_store_path(s, "checkpoints"), *hist, *latest;
	merkle_hash root;
	int ret = -1;

	hist = xasprintf("%s/%020llu", dir, (unsigned long long)s->size);
	latest = log_store_path(s, "checkpoint");
	if (log_store_root(s, s->size, root) < 0 ||
	    checkpoint_format(signer->v.name, s->size, root, &body) < 0 ||
	    note_sign(body.data, body.len, signer, &note) < 0 ||
	    fs_mkdirs(dir, 0755) < 0 ||
	    fs_write_atomic(hist, note.data, note.len, 0644) < 0 ||
	    fs_write_atomic(latest, note.data, note.len, 0644) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&body);
	buf_release(&note);
	free(dir);
	free(hist);
	free(latest);
	return ret;
}

/* Appends local entries [from, local->size) to the shared log. */
static int
copy_pending(struct log_store *local, struct log_store *shared, uint64_t from)
{
	struct buf data = BUF_INIT(SIZE_MAX);
	size_t *lens, n = (size_t)(local->size - from), k = 0, before;
	uint64_t i, first;
	int ret = -1;

	lens = xcalloc(n + 1, sizeof(*lens));
	for (i = from; i < local->size; i++) {
		before = data.len;
		if (log_store_entry(local, i, &data, NULL) < 0)
			goto out;
		lens[k++] = data.len - before;
	}
	ret = log_store_append(shared, data.data, lens, n, &first, NULL);
out:
	free(lens);
	buf_release(&data);
	return ret;
}

/* One attempt: 0 pushed, 2 push rejected (retry), 3 fetch failed (retry),
 * 1 check failed, -1. */
static int
attempt(struct sync_opts *o, struct log_store *local, const char *id,
    const char *tmp)
{
	const char *ls[] = { "ls-remote", "--exit-code", "--heads", o->remote,
		o->branch, NULL };
	const char *clone[] = { "clone", "-q", "--single-branch", "--branch",
		o->branch, o->remote, tmp, NULL };
	const char *init[] = { "init", "-q", tmp, NULL };
	const char *orphan[] = { "checkout", "-q", "--orphan", o->branch,
		NULL };
	const char *add[] = { "add", "-A", ".", NULL };
	struct log_store s = LOG_STORE_INIT;
	struct verify_opts vo = { o->keys, o->nkeys, NULL, NULL, 0, false };
	struct verify_result vr;
	char *state = NULL, *msg = NULL, *spath = NULL, *ref = NULL, num[32];
	uint64_t done;
	int rc, ret = -1;

	rm_tree(tmp);
	rc = git(NULL, ls, NULL);
	if (rc == 0)
		rc = git(NULL, clone, NULL);
	else if (rc == 2)
		rc = git(NULL, init, NULL) || git(tmp, orphan, NULL);
	if (rc != 0) {
		/* A clone can fail while other runners push to the branch:
		 * retried by log_sync like a rejected push. */
		ret = 3;
		goto out;
	}
	if (log_store_open(&s, tmp, LOG_CREATE | LOG_WRITE) < 0)
		goto out;
	rc = log_verify(&s, &vo, &vr);
	if (rc != 0) {
		error_msg(
		    "the shared log on '%s' failed verification", o->branch);
		ret = rc > 0 ? 1 : -1;
		goto out;
	}
	if ((rc = check_seen(local, &s)) != 0) {
		ret = rc;
		goto out;
	}
	spath = xasprintf("%s/sync-state/%s", tmp, id);
	done = read_u64_file(spath);
	if (done > local->size) {
		error_msg(
		    "the shared log says %llu entries of this runner were "
		    "pushed but the local log has %llu",
		    (unsigned long long)done, (unsigned long long)local->size);
		ret = 1;
		goto out;
	}
	o->pushed = local->size - done;
	o->size = s.size;
	if (o->pushed == 0) {
		ret = 0; /* nothing new: the branch stays as it is */
		goto out;
	}
	if (copy_pending(local, &s, done) < 0)
		goto out;
	if (o->signer != NULL && sign_shared(&s, o->signer) < 0)
		goto out;
	state = xasprintf("%s/sync-state", tmp);
	snprintf(num, sizeof(num), "%llu\n", (unsigned long long)local->size);
	if (fs_mkdirs(state, 0755) < 0 ||
	    fs_write_atomic(spath, num, strlen(num), 0644) < 0)
		goto out;
	free(state);
	state = xasprintf("%s/.gitignore", tmp);
	if (fs_write_atomic(state, "lock\n", 5, 0644) < 0)
		goto out;
	msg = xasprintf("audit-append: %llu entries from %.8s (size %llu)",
	    (unsigned long long)o->pushed, id, (unsigned long long)s.size);
	ref = xasprintf("HEAD:refs/heads/%s", o->branch);
	{
		const char *commit[] = { "-c", "user.name=audit-append", "-c",
			"user.email=audit-append@localhost", "commit", "-q",
			"--allow-empty", "-m", msg, NULL };
		const char *push[] = { "push", "-q", "origin", ref, NULL };
		const char *remote[] = { "remote", "add", "origin", o->remote,
			NULL };

		if (git(tmp, add, NULL) != 0 || git(tmp, commit, NULL) != 0) {
			error_msg("cannot commit to the sync clone");
			goto out;
		}
		if (git(tmp, remote, NULL) != 0)
			debug_msg("remote 'origin' already set");
		o->size = s.size;
		ret = git(tmp, push, NULL) == 0 ? 0 : 2;
	}
out:
	log_store_close(&s);
	free(state);
	free(spath);
	free(msg);
	free(ref);
	return ret;
}

static void
backoff(long n)
{
	struct timespec ts;
	uint32_t r = 0;
	long ms = 50L << (n < 5 ? n : 5);

	(void)RAND_bytes((uint8_t *)&r, sizeof(r));
	ms += (long)(r % (uint32_t)ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

int
log_sync(struct sync_opts *o)
{
	struct log_store local = LOG_STORE_INIT;
	char id[33], *tmp = NULL, *seen = NULL, *shared_ck = NULL;
	struct buf b = BUF_INIT(NOTE_MAX_SIZE);
	long n, fetch_fails = 0;
	int rc = -1;

	/* The local log stays locked: its entries cannot change mid-sync. */
	if (log_store_open(&local, o->log, LOG_CREATE | LOG_WRITE) < 0 ||
	    source_id(&local, id) < 0)
		goto out;
	tmp = log_store_path(&local, "sync.tmp");
	for (n = 0; n <= o->retries; n++) {
		o->attempts = (uint64_t)n + 1;
		rc = attempt(o, &local, id, tmp);
		if (rc == 2)
			info_msg("push to '%s' rejected (another runner "
			         "appended); retrying from a fresh clone",
			    o->branch);
		else if (rc == 3 && n < o->retries && ++fetch_fails <= 3)
			debug_msg("cannot fetch branch '%s' of '%s'; retrying",
			    o->branch, o->remote);
		else
			break;
		backoff(n);
	}
	if (rc == 2) {
		error_msg("gave up after %ld rejected pushes", o->retries + 1);
		rc = -1;
	} else if (rc == 3) {
		error_msg(
		    "cannot fetch branch '%s' of '%s'", o->branch, o->remote);
		rc = -1;
	}
	if (rc != 0)
		goto out;
	/* Remember what we saw, to refuse a rewritten branch next time. */
	shared_ck = xasprintf("%s/checkpoint", tmp);
	if (fs_exists(shared_ck)) {
		seen = log_store_path(&local, "remote-checkpoint");
		if (fs_read_file(shared_ck, NOTE_MAX_SIZE, &b) < 0 ||
		    fs_write_atomic(seen, b.data, b.len, 0644) < 0)
			rc = -1;
	}
out:
	rm_tree(tmp);
	log_store_close(&local);
	buf_release(&b);
	free(tmp);
	free(seen);
	free(shared_ck);
	return rc;
}
