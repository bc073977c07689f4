#ifndef AUDIT_CMD_H
#define AUDIT_CMD_H

#include "common/compat.h"
#include "common/strlist.h"

/*
 * The verbs of audit-append. main.c fills a struct aa_opts from its option
 * tables and calls one of these; each returns the exit status (0 ok, 1 the
 * check failed, 2 usage or input error, 125 own failure such as an I/O or
 * fsync error). Strings are borrowed from argv/environ.
 */
struct aa_opts {
	const char *log;
	const char *event, *time, *data;
	struct strlist fields;
	bool batch, no_context;
	const char *origin, *out;     /* keygen */
	const char *key;              /* signer key file */
	struct strlist keys;          /* verifier keys: strings or files */
	struct strlist witness_keys;  /* cosignature keys (verify) */
	struct strlist checkpoints;   /* extra checkpoint files */
	const char *index, *old_size; /* prove */
	const char *proof, *entry, *leaf_hash, *old_checkpoint;
	const char *output;
	const char *since, *slo_file, *svg; /* report */
	const char *remote, *branch;        /* sync */
	const char *tiles;                  /* export */
	long retries;
	bool json, dry_run, strict;
};
#define AA_OPTS_INIT                                                           \
	{                                                                      \
		.fields = STRLIST_INIT, .keys = STRLIST_INIT,                  \
		.witness_keys = STRLIST_INIT, .checkpoints = STRLIST_INIT,     \
		.retries = 20                                                  \
	}

void aa_opts_release(struct aa_opts *o);

int aa_keygen(struct aa_opts *o);
int aa_append(struct aa_opts *o);
int aa_checkpoint(struct aa_opts *o);
int aa_verify(struct aa_opts *o);
int aa_prove(struct aa_opts *o);
int aa_check_proof(struct aa_opts *o);
int aa_report(struct aa_opts *o);
int aa_sync(struct aa_opts *o);
int aa_export(struct aa_opts *o);

/* Shared by the verbs (cmd_util.c). */
struct note_signer;
struct note_verifier;
int aa_load_signer(const char *path, struct note_signer *s);
/* Loads every --key (vkey string or file holding one); *out is malloc'd. */
int aa_load_verifiers(
    const struct strlist *keys, struct note_verifier **out, size_t *n);
void aa_free_verifiers(struct note_verifier *v, size_t n);
int aa_parse_u64(const char *what, const char *s, uint64_t *out);
/* An existing log directory, else a usage error (-1 with a message). */
int aa_need_log(const char *dir);
/* Writes to `path` atomically, or to stdout when path is NULL or "-". */
int aa_write_output(const char *path, const char *data, size_t len);

#endif
