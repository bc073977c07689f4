#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cmd.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "log_store.h"
#include "note.h"
#include "proof.h"
#include "verify.h"

int
aa_verify(struct aa_opts *o)
{
	struct log_store l = LOG_STORE_INIT;
	struct note_verifier *keys = NULL, *wit = NULL, *logk = NULL;
	struct verify_opts vo = { 0 };
	struct verify_result r;
	struct strlist all = STRLIST_INIT;
	char rh[65], sz[32];
	size_t nkeys = 0, i, nlog = 0, nwit = 0;
	int ret = RC_USAGE, rc;

	if (o->log == NULL) {
		error_msg("verify needs --log DIR");
		goto out;
	}
	/* Witness keys may come with --key too: sort them by type. */
	for (i = 0; i < o->keys.nr; i++)
		strlist_push(&all, o->keys.items[i]);
	for (i = 0; i < o->witness_keys.nr; i++)
		strlist_push(&all, o->witness_keys.items[i]);
	if (aa_load_verifiers(&all, &keys, &nkeys) < 0)
		goto out;
	logk = xcalloc(nkeys + 1, sizeof(*logk));
	wit = xcalloc(nkeys + 1, sizeof(*wit));
	for (i = 0; i < nkeys; i++) {
		if (keys[i].alg == NOTE_ALG_COSIGNATURE)
			wit[nwit++] = keys[i];
		else if (i >= o->keys.nr) {
			error_msg("--witness-key '%s' is not a cosignature "
			          "(type 0x04) key",
			    all.items[i]);
			goto out;
		} else
			logk[nlog++] = keys[i];
	}
	/* keys keeps ownership of the names; logk and wit are views. */
	vo.keys = logk;
	vo.nkeys = nlog;
	vo.witnesses = wit;
	vo.nwitnesses = nwit;
	if (aa_need_log(o->log) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, LOG_LENIENT) < 0)
		goto out;
	vo.extra = o->checkpoints.nr ? o->checkpoints.items : NULL;
	vo.strict = o->strict;
	rc = log_verify(&l, &vo, &r);
	if (rc < 0)
		goto out;
	if (rc > 0) {
		gha_set_output("verified", "false");
		ret = RC_FAIL;
		goto out;
	}
	hash_hex(r.root, 32, rh);
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)r.size);
	if (o->json)
		printf(
		    "{\"ok\":true,\"size\":%s,\"root\":\"%s\","
		    "\"checkpoints\":%llu,\"signed_size\":%llu,\"bytes\":%llu,"
		    "\"witnesses\":%llu}\n",
		    sz, rh, (unsigned long long)r.checkpoints,
		    (unsigned long long)r.signed_size,
		    (unsigned long long)r.bytes,
		    (unsigned long long)r.cosigned);
	else
		printf("ok: %s entries, root %s, %llu checkpoint%s verified "
		       "(latest signed size %llu)\n",
		    sz, rh, (unsigned long long)r.checkpoints,
		    r.checkpoints == 1 ? "" : "s",
		    (unsigned long long)r.signed_size);
	if (!o->json && r.cosigned > 0)
		printf("cosigned by %llu witness%s\n",
		    (unsigned long long)r.cosigned,
		    r.cosigned == 1 ? "" : "es");
	{
		const struct gha_output outs[] = { { "verified", "true" },
			{ "size", sz }, { "root", rh } };

		(void)gha_set_outputs(outs, ARRAY_SIZE(outs));
	}
	ret = RC_OK;
out:
	log_store_close(&l);
	aa_free_verifiers(keys, nkeys);
	free(logk);
	free(wit);
	strlist_release(&all);
	return ret;
}

/* Reads the log's latest checkpoint (or --checkpoint FILE) unverified. */
static int
load_checkpoint(struct log_store *l, const char *path, struct buf *note,
    struct checkpoint *c)
{
	char *p = path ? xstrdup(path) : log_store_path(l, "checkpoint");
	int ret = -1;

	if (!fs_exists(p)) {
		error_msg(
		    "no checkpoint at '%s': run 'audit-append checkpoint' "
		    "first",
		    p);
		goto out;
	}
	if (checkpoint_load(p, c, note) < 0)
		goto out;
	ret = 0;
out:
	free(p);
	return ret;
}

static int
print_json_proof(const struct proof *p, const struct checkpoint *c,
    const merkle_hash leaf, struct buf *out)
{
	cJSON *o = cJSON_CreateObject(), *path;
	char hx[65], *txt;
	size_t i;
	int ret;

	/* Numbers stay below 2^53 in any log this tool can write. */
	cJSON_AddNumberToObject(
	    o, p->has_index ? "index" : "old_size", (double)p->n);
	cJSON_AddNumberToObject(o, "tree_size", (double)c->size);
	if (leaf != NULL) {
		hash_hex(leaf, 32, hx);
		cJSON_AddStringToObject(o, "leaf_hash", hx);
	}
	hash_hex(c->root, 32, hx);
	cJSON_AddStringToObject(o, "root", hx);
	cJSON_AddStringToObject(o, "origin", c->origin);
	path = cJSON_AddArrayToObject(o, "path");
	for (i = 0; i < p->len; i++) {
		hash_hex(p->path[i], 32, hx);
		cJSON_AddItemToArray(path, cJSON_CreateString(hx));
	}
	cJSON_AddStringToObject(o, "checkpoint", p->note.data);
	txt = json_print(o);
	ret = buf_adds(out, txt) < 0 || buf_addch(out, '\n') < 0 ? -1 : 0;
	free(txt);
	cJSON_Delete(o);
	return ret;
}

int
aa_prove(struct aa_opts *o)
{
	struct log_store l = LOG_STORE_INIT;
	struct checkpoint c = { 0 };
	struct proof p;
	struct buf out = BUF_INIT(SIZE_MAX);
	struct merkle_src src;
	merkle_hash leaf;
	uint64_t at;
	int ret = RC_USAGE;

	proof_init(&p);
	if (o->log == NULL || (o->index == NULL) == (o->old_size == NULL)) {
		error_msg("prove needs --log DIR and one of --index N or "
		          "--old-size M");
		goto out;
	}
	p.has_index = o->index != NULL;
	if (aa_parse_u64(p.has_index ? "--index" : "--old-size",
	        p.has_index ? o->index : o->old_size, &p.n) < 0)
		goto out;
	if (aa_need_log(o->log) < 0)
		goto out;
	ret = RC_WRAPPER;
	if (log_store_open(&l, o->log, 0) < 0 ||
	    load_checkpoint(&l,
	        o->checkpoints.nr ? o->checkpoints.items[0] : NULL, &p.note,
	        &c) < 0)
		goto out;
	ret = RC_USAGE;
	if (c.size > l.size) {
		error_msg("the checkpoint signs %llu entries but the log has "
		          "%llu",
		    (unsigned long long)c.size, (unsigned long long)l.size);
		goto out;
	}
	if (p.has_index && p.n >= c.size) {
		error_msg("entry %llu is not covered by the checkpoint (size "
		          "%llu); run 'audit-append checkpoint' first",
		    (unsigned long long)p.n, (unsigned long long)c.size);
		goto out;
	}
	if (!p.has_index && p.n > c.size) {
		error_msg("--old-size %llu is larger than the checkpoint size "
		          "%llu",
		    (unsigned long long)p.n, (unsigned long long)c.size);
		goto out;
	}
	ret = RC_WRAPPER;
	log_store_src(&l, &src);
	if (p.has_index) {
		if (log_store_entry(&l, p.n, &p.extra, &at) < 0 ||
		    merkle_leaf_hash(p.extra.data, p.extra.len, leaf) < 0 ||
		    merkle_inclusion_proof(&src, p.n, c.size, p.path, &p.len) <
		        0)
			goto out;
	} else if (merkle_consistency_proof(&src, p.n, c.size, p.path, &p.len) <
	           0)
		goto out;
	if (o->json
	        ? print_json_proof(&p, &c, p.has_index ? leaf : NULL, &out) < 0
	        : proof_format(&p, &out) < 0)
		goto out;
	if (aa_write_output(o->output, out.data, out.len) < 0)
		goto out;
	ret = RC_OK;
out:
	checkpoint_release(&c);
	proof_release(&p);
	buf_release(&out);
	log_store_close(&l);
	return ret;
}

static int
open_checkpoint(const char *what, const char *data, size_t len,
    const struct note_verifier *keys, size_t nkeys, const char *origin,
    struct checkpoint *c)
{
	size_t i;

	if (checkpoint_open(what, data, len, keys, nkeys, c) < 0)
		return -1;
	if (origin != NULL && strcmp(origin, c->origin) != 0)
		return error_msg(
		    "'%s': origin '%s' is not '%s'", what, c->origin, origin);
	/* tlog-checkpoint: the key name SHOULD be the origin; we insist, so
	 * a key of one log cannot vouch for another log's checkpoint. */
	for (i = 0; origin == NULL && i < nkeys; i++)
		if (strcmp(keys[i].name, c->origin) == 0)
			return 0;
	if (origin == NULL)
		return error_msg("'%s': origin '%s' matches none of the keys",
		    what, c->origin);
	return 0;
}

int
aa_check_proof(struct aa_opts *o)
{
	struct note_verifier *keys = NULL;
	struct buf in = BUF_INIT(PROOF_MAX_SIZE), ent = BUF_INIT(1 << 20),
	           old = BUF_INIT(NOTE_MAX_SIZE);
	struct checkpoint c = { 0 }, oc = { 0 };
	struct proof p;
	merkle_hash leaf;
	size_t nkeys = 0;
	int ret = RC_USAGE;

	proof_init(&p);
	if (o->proof == NULL || o->keys.nr == 0) {
		error_msg("check-proof needs --proof FILE and --key VERIFIER");
		goto out;
	}
	if (aa_load_verifiers(&o->keys, &keys, &nkeys) < 0 ||
	    fs_read_file(o->proof, PROOF_MAX_SIZE, &in) < 0)
		goto out;
	ret = RC_FAIL;
	if (proof_parse(o->proof, in.data, in.len, &p) < 0 ||
	    open_checkpoint(o->proof, p.note.data, p.note.len, keys, nkeys,
	        o->origin, &c) < 0)
		goto out;
	if (p.has_index) {
		if (o->leaf_hash != NULL) {
			if (hash_from_hex(o->leaf_hash, leaf, 32) < 0) {
				error_msg(
				    "invalid --leaf-hash '%s'", o->leaf_hash);
				ret = RC_USAGE;
				goto out;
			}
		} else {
			if (o->entry != NULL) {
				if (fs_read_file(o->entry, 1 << 20, &ent) < 0) {
					ret = RC_USAGE;
					goto out;
				}
				while (ent.len > 0 &&
				       ent.data[ent.len - 1] == '\n')
					buf_truncate(&ent, ent.len - 1);
			} else if (buf_addbuf(&ent, &p.extra) < 0)
				goto out;
			if (ent.len == 0) {
				error_msg(
				    "no entry to check: the proof has no "
				    "'extra' line; give --entry or --leaf-hash");
				ret = RC_USAGE;
				goto out;
			}
			if (merkle_leaf_hash(ent.data, ent.len, leaf) < 0)
				goto out;
		}
		if (merkle_verify_inclusion(
		        p.n, c.size, leaf, p.path[0], p.len, c.root) < 0) {
			error_msg("'%s': entry %llu is not proven in '%s' at "
			          "size %llu",
			    o->proof, (unsigned long long)p.n, c.origin,
			    (unsigned long long)c.size);
			goto out;
		}
		printf("ok: entry %llu is in %s at size %llu\n",
		    (unsigned long long)p.n, c.origin,
		    (unsigned long long)c.size);
	} else {
		if (o->old_checkpoint == NULL) {
			error_msg("a consistency proof needs --old-checkpoint "
			          "FILE");
			ret = RC_USAGE;
			goto out;
		}
		if (fs_read_file(o->old_checkpoint, NOTE_MAX_SIZE, &old) < 0 ||
		    open_checkpoint(o->old_checkpoint, old.data, old.len, keys,
		        nkeys, c.origin, &oc) < 0)
			goto out;
		if (oc.size != p.n) {
			error_msg("'%s' has size %llu but the proof starts at "
			          "%llu",
			    o->old_checkpoint, (unsigned long long)oc.size,
			    (unsigned long long)p.n);
			goto out;
		}
		if (merkle_verify_consistency(oc.size, c.size, oc.root, c.root,
		        p.path[0], p.len) < 0) {
			error_msg("'%s': size %llu is not consistent with size "
			          "%llu of '%s'",
			    o->proof, (unsigned long long)c.size,
			    (unsigned long long)oc.size, c.origin);
			goto out;
		}
		printf("ok: %s size %llu is consistent with size %llu\n",
		    c.origin, (unsigned long long)c.size,
		    (unsigned long long)oc.size);
	}
	ret = RC_OK;
out:
	aa_free_verifiers(keys, nkeys);
	checkpoint_release(&c);
	checkpoint_release(&oc);
	proof_release(&p);
	buf_release(&in);
	buf_release(&ent);
	buf_release(&old);
	return ret;
}
