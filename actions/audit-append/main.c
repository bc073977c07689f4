#include "common/compat.h"

#include <stdlib.h>

#include "cmd.h"
#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"

/* Option tables only: the verbs live in cmd_*.c. */

static struct aa_opts o = AA_OPTS_INIT;

#define LOG_OPT                                                                \
	OPT_STRING_ENV(                                                        \
	    'l', "log", &o.log, "DIR", "AUDIT_APPEND_LOG", "log directory")

static const struct opt keygen_options[] = {
	OPT_STRING(0, "origin", &o.origin, "NAME",
	    "log origin and key name, e.g. github.com/OWNER/REPO/audit"),
	OPT_STRING('o', "out", &o.out, "PREFIX",
	    "write PREFIX.key (0600) and PREFIX.pub (default audit-append)"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const keygen_usage[] = {
	"audit-append keygen --origin NAME [--out PREFIX]",
	NULL,
};

static const struct opt append_options[] = {
	LOG_OPT,
	OPT_STRING('e', "event", &o.event, "TYPE",
	    "event type: deploy, ci-run, incident, rerun, ..."),
	OPT_LIST('f', "field", &o.fields, "KEY=VALUE",
	    "extra string field (repeatable)"),
	OPT_STRING('d', "data", &o.data, "JSON",
	    "JSON value stored under \"data\" ('-' reads stdin)"),
	OPT_BOOL(0, "batch", &o.batch,
	    "append JSON Lines from stdin as one durable commit"),
	OPT_STRING(
	    0, "time", &o.time, "RFC3339", "event time instead of now (UTC)"),
	OPT_BOOL(
	    0, "no-context", &o.no_context, "leave out the GitHub context"),
	OPT__JSON(&o.json),
	OPT__DRY_RUN(&o.dry_run),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const append_usage[] = {
	"audit-append append --log DIR --event TYPE [--field K=V]... "
	"[--data JSON|-]",
	"audit-append append --log DIR --batch [--event TYPE] < entries.jsonl",
	NULL,
};

static const struct opt checkpoint_options[] = {
	LOG_OPT,
	OPT_STRING('k', "key", &o.key, "FILE",
	    "signer key (default: $AUDIT_APPEND_SIGNING_KEY)"),
	OPT_STRING(
	    'o', "output", &o.output, "FILE", "also write the checkpoint here"),
	OPT__DRY_RUN(&o.dry_run),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const checkpoint_usage[] = {
	"audit-append checkpoint --log DIR [--key FILE]",
	NULL,
};

static const struct opt verify_options[] = {
	LOG_OPT,
	OPT_LIST('k', "key", &o.keys, "VERIFIER",
	    "trusted verifier key or file (repeatable)"),
	OPT_LIST(0, "checkpoint", &o.checkpoints, "FILE",
	    "also check this checkpoint (e.g. from a witness)"),
	OPT_LIST(0, "witness-key", &o.witness_keys, "VERIFIER",
	    "require a valid cosignature from this witness (repeatable; "
	    "witness keys given with --key count too)"),
	OPT_BOOL(0, "strict", &o.strict,
	    "also require every entry to be a canonical JSON object"),
	OPT__JSON(&o.json),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const verify_usage[] = {
	"audit-append verify --log DIR [--key VERIFIER]... [--checkpoint FILE]",
	"audit-append verify --log DIR --key VERIFIER --witness-key WITNESS "
	"--checkpoint COSIGNED",
	NULL,
};

static const struct opt prove_options[] = {
	LOG_OPT,
	OPT_STRING(0, "index", &o.index, "N", "inclusion proof of entry N"),
	OPT_STRING(0, "old-size", &o.old_size, "M",
	    "consistency proof from size M to the checkpoint"),
	OPT_LIST(0, "checkpoint", &o.checkpoints, "FILE",
	    "prove against this checkpoint (default: the log's latest)"),
	OPT_STRING('o', "output", &o.output, "FILE", "write the proof here"),
	OPT__JSON(&o.json),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const prove_usage[] = {
	"audit-append prove --log DIR --index N [--output FILE] [--json]",
	"audit-append prove --log DIR --old-size M [--output FILE]",
	NULL,
};

static const struct opt check_proof_options[] = {
	OPT_STRING('p', "proof", &o.proof, "FILE", "proof file"),
	OPT_LIST('k', "key", &o.keys, "VERIFIER",
	    "trusted verifier key or file (repeatable)"),
	OPT_STRING(0, "origin", &o.origin, "NAME",
	    "expected origin (default: a key's name)"),
	OPT_STRING(0, "entry", &o.entry, "FILE",
	    "the entry (default: the proof's extra line)"),
	OPT_STRING(
	    0, "leaf-hash", &o.leaf_hash, "HEX", "the entry's leaf hash"),
	OPT_STRING(0, "old-checkpoint", &o.old_checkpoint, "FILE",
	    "older checkpoint, for a consistency proof"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const check_proof_usage[] = {
	"audit-append check-proof --proof FILE --key VERIFIER [--entry FILE]",
	"audit-append check-proof --proof FILE --key VERIFIER "
	"--old-checkpoint FILE",
	NULL,
};

static const struct opt report_options[] = {
	LOG_OPT,
	OPT_STRING(0, "since", &o.since, "RFC3339", "only events from then on"),
	OPT_STRING(0, "slo-file", &o.slo_file, "FILE",
	    "SLO targets (YAML: ci-success-rate, ci-duration-p95, "
	    "freeze-at-percent)"),
	OPT_STRING(0, "svg", &o.svg, "FILE",
	    "write a chart of CI durations against the SLO"),
	OPT__JSON(&o.json),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const report_usage[] = {
	"audit-append report --log DIR [--since DATE] [--slo-file slo.yml] "
	"[--svg FILE] [--json]",
	NULL,
};

static const struct opt sync_options[] = {
	LOG_OPT,
	OPT_STRING(0, "remote", &o.remote, "URL", "git remote holding the log"),
	OPT_STRING(0, "branch", &o.branch, "NAME",
	    "branch of the shared log (default audit-trail)"),
	OPT_STRING('k', "key", &o.key, "FILE",
	    "sign a checkpoint of the shared log (default: "
	    "$AUDIT_APPEND_SIGNING_KEY if set)"),
	OPT_LIST(0, "verifier", &o.keys, "VERIFIER",
	    "check the shared log's checkpoints with this key (repeatable)"),
	OPT_INT(0, "retries", &o.retries, "N", 0, 1000,
	    "rejected pushes to retry (default 20)"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const sync_usage[] = {
	"audit-append sync --log DIR --remote URL [--branch audit-trail] "
	"[--key FILE] [--verifier KEY]...",
	NULL,
};

static const struct opt export_options[] = {
	LOG_OPT,
	OPT_STRING(0, "tiles", &o.tiles, "OUT",
	    "directory for the C2SP tlog-tiles files"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const export_usage[] = {
	"audit-append export --log DIR --tiles OUT",
	NULL,
};

static int
run(int argc, char **argv, const struct opt *opts, const char *const *usage,
    int (*fn)(struct aa_opts *))
{
	int i = opt_parse(argc, argv, opts, usage);

	if (i == OPT_DONE)
		return RC_OK;
	if (i == OPT_ERROR)
		return RC_USAGE;
	if (i < argc) {
		error_msg("unexpected argument '%s'", argv[i]);
		return RC_USAGE;
	}
	return fn(&o);
}

static int
cmd_keygen(int argc, char **argv)
{
	return run(argc, argv, keygen_options, keygen_usage, aa_keygen);
}

static int
cmd_append(int argc, char **argv)
{
	return run(argc, argv, append_options, append_usage, aa_append);
}

static int
cmd_checkpoint(int argc, char **argv)
{
	return run(
	    argc, argv, checkpoint_options, checkpoint_usage, aa_checkpoint);
}

static int
cmd_verify(int argc, char **argv)
{
	return run(argc, argv, verify_options, verify_usage, aa_verify);
}

static int
cmd_prove(int argc, char **argv)
{
	return run(argc, argv, prove_options, prove_usage, aa_prove);
}

static int
cmd_check_proof(int argc, char **argv)
{
	return run(
	    argc, argv, check_proof_options, check_proof_usage, aa_check_proof);
}

static int
cmd_report(int argc, char **argv)
{
	return run(argc, argv, report_options, report_usage, aa_report);
}

static int
cmd_sync(int argc, char **argv)
{
	return run(argc, argv, sync_options, sync_usage, aa_sync);
}

static int
cmd_export(int argc, char **argv)
{
	return run(argc, argv, export_options, export_usage, aa_export);
}

static const struct subcmd cmds[] = {
	{ "keygen", cmd_keygen, "create an Ed25519 signer/verifier key pair" },
	{ "append", cmd_append, "append entries durably" },
	{ "checkpoint", cmd_checkpoint, "sign a C2SP checkpoint of the log" },
	{ "verify", cmd_verify, "recompute and check the whole log" },
	{ "prove", cmd_prove, "write an inclusion or consistency proof" },
	{ "check-proof", cmd_check_proof, "verify a proof offline" },
	{ "report", cmd_report, "DORA metrics and SLO error budget" },
	{ "sync", cmd_sync, "share the log through a git branch" },
	{ "export", cmd_export, "write C2SP tlog-tiles static files" },
	{ NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
	int rc;

	log_init("audit-append");
	rc = opt_dispatch(argc, argv, cmds,
	    "A tamper-evident, append-only audit log (RFC 6962 Merkle tree, "
	    "C2SP signed checkpoints).");
	aa_opts_release(&o);
	return rc;
}
