#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "common/exitcode.h"
#include "common/gha.h"
#include "common/log.h"
#include "note.h"
#include "sync.h"
#include "tiles.h"
#include "checkpoint.h"
#include "common/fs.h"
#include "log_store.h"

int
aa_sync(struct aa_opts *o)
{
	struct note_signer signer = { 0 };
	struct note_verifier *keys = NULL;
	struct sync_opts so = { 0 };
	bool have_signer = false;
	char num[32];
	size_t nkeys = 0;
	int ret = RC_USAGE, rc;

	if (o->log == NULL || o->remote == NULL) {
		error_msg("sync needs --log DIR and --remote URL");
		goto out;
	}
	if (o->key != NULL || getenv("AUDIT_APPEND_SIGNING_KEY") != NULL) {
		if (aa_load_signer(o->key, &signer) < 0)
			goto out;
		have_signer = true;
	}
	if (aa_load_verifiers(&o->keys, &keys, &nkeys) < 0)
		goto out;
	so.log = o->log;
	so.remote = o->remote;
	so.branch = o->branch ? o->branch : "audit-trail";
	so.signer = have_signer ? &signer : NULL;
	so.keys = keys;
	so.nkeys = nkeys;
	so.retries = o->retries;
	rc = log_sync(&so);
	if (rc != 0) {
		ret = rc > 0 ? RC_FAIL : RC_WRAPPER;
		goto out;
	}
	printf("synced: %llu new entries pushed to '%s', shared size %llu "
	       "(%llu attempt%s)\n",
	    (unsigned long long)so.pushed, so.branch,
	    (unsigned long long)so.size, (unsigned long long)so.attempts,
	    so.attempts == 1 ? "" : "s");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)so.size);
	gha_set_output("size", num);
	ret = RC_OK;
out:
	if (have_signer)
		note_signer_release(&signer);
	aa_free_verifiers(keys, nkeys);
	return ret;
}

int
aa_export(struct aa_opts *o)
{
	struct log_store l = LOG_STORE_INIT;
	struct buf note = BUF_INIT(NOTE_MAX_SIZE);
	struct checkpoint c = { 0 };
	char *p = NULL;
	uint64_t files;
	int ret = RC_USAGE;

	if (o->log == NULL || o->tiles == NULL) {
		error_msg("export needs --log DIR and --tiles OUT");
		goto out;
	}
	if (aa_need_log(o->log) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, 0) < 0)
		goto out;
	p = log_store_path(&l, "checkpoint");
	if (!fs_exists(p)) {
		error_msg(
		    "no checkpoint in '%s': run 'audit-append checkpoint' "
		    "first (tiles publish a signed tree)",
		    o->log);
		ret = RC_USAGE;
		goto out;
	}
	if (checkpoint_load(p, &c, &note) < 0 ||
	    tiles_export(&l, c.size, note.data, note.len, o->tiles, &files) < 0)
		goto out;
	printf("exported %llu entries (%llu files written) to '%s'\n",
	    (unsigned long long)c.size, (unsigned long long)files, o->tiles);
	ret = RC_OK;
out:
	checkpoint_release(&c);
	buf_release(&note);
	log_store_close(&l);
	free(p);
	return ret;
}
