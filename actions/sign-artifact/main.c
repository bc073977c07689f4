#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "sign.h"

/* Option tables only: the verbs live in sign.c and verify_cmd.c. */

static struct sign_opts so;
static struct verify_opts vo;

#define KEYLESS_OPTS                                                           \
	OPT_BOOL(0, "keyless", &so.keyless,                                    \
	    "sign with a Fulcio certificate for the OIDC identity"),           \
	    OPT_STRING_ENV(0, "fulcio-url", &so.kl.fulcio_url, "URL",          \
	        "SIGSTORE_FULCIO_URL",                                         \
	        "Fulcio (default fulcio.sigstore.dev)"),                       \
	    OPT_STRING_ENV(0, "rekor-url", &so.kl.rekor_url, "URL",            \
	        "SIGSTORE_REKOR_URL", "Rekor (default rekor.sigstore.dev)"),   \
	    OPT_STRING_ENV(0, "oidc-url", &so.kl.token_url, "URL",             \
	        "ACTIONS_ID_TOKEN_REQUEST_URL", "OIDC token request URL"),     \
	    OPT_DURATION(0, "timeout", &so.kl.timeout_ms,                      \
	        "per-request network timeout (default 30s)"),                  \
	    OPT_BOOL(0, "private-repository", &so.kl.private_repository,       \
	        "allow a private repository's name in the public Rekor log"),  \
	    OPT_STRING(0, "trusted-root", &so.trusted_root, "JSON",            \
	        "keyless: verify each bundle against this root before writing")

static const struct opt sign_options[] = {
	OPT_STRING('k', "key", &so.key, "FILE", "private key (PKCS#8 PEM)"),
	KEYLESS_OPTS,
	OPT_STRING(0, "bundle-dir", &so.bundle_dir, "DIR",
	    "write bundles here (default: beside each artifact)"),
	OPT_STRING(0, "checksums", &so.checksums, "FILE",
	    "SHA256SUMS path (default SHA256SUMS; '' for none)"),
	OPT_INT('j', "jobs", &so.jobs, "N", 0, 64,
	    "hashing threads (default: one per CPU)"),
	OPT__JSON(&so.json),
	OPT__DRY_RUN(&so.dry_run),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const sign_usage[] = {
	"sign-artifact sign [--key FILE | --keyless] [--bundle-dir DIR] "
	"[--checksums FILE] ARTIFACT|GLOB...",
	NULL,
};

static const struct opt attest_options[] = {
	OPT_STRING('k', "key", &so.key, "FILE", "private key (PKCS#8 PEM)"),
	KEYLESS_OPTS,
	OPT_STRING(0, "predicate-type", &so.predicate_type, "URI",
	    "predicate type of --predicate"),
	OPT_STRING(0, "predicate", &so.predicate, "FILE", "predicate JSON"),
	OPT_BOOL(0, "provenance", &so.provenance,
	    "SLSA provenance v1 from the runner, as actions/attest builds it"),
	OPT_STRING('o', "output", &so.output, "FILE",
	    "bundle path (default attestation.sigstore.json)"),
	OPT_INT('j', "jobs", &so.jobs, "N", 0, 64, "hashing threads"),
	OPT__JSON(&so.json),
	OPT__DRY_RUN(&so.dry_run),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const attest_usage[] = {
	"sign-artifact attest [--key FILE | --keyless] [--predicate-type URI "
	"--predicate FILE | --provenance] SUBJECT...",
	NULL,
};

static const struct opt prov_options[] = {
	OPT_INT('j', "jobs", &so.jobs, "N", 0, 64, "hashing threads"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const prov_usage[] = {
	"sign-artifact provenance SUBJECT...",
	NULL,
};

static const struct opt verify_options[] = {
	OPT_STRING('b', "bundle", &vo.bundle, "FILE",
	    "bundle (default ARTIFACT.sigstore.json)"),
	OPT_STRING('k', "key", &vo.key, "PUB", "public key (SPKI PEM)"),
	OPT_STRING(0, "trusted-root", &vo.trusted_root, "JSON",
	    "Sigstore trusted_root.json (keyless bundles)"),
	OPT_STRING(0, "certificate-identity", &vo.identity, "ID",
	    "expected certificate SAN"),
	OPT_STRING(0, "certificate-oidc-issuer", &vo.issuer, "URL",
	    "expected OIDC issuer"),
	OPT__JSON(&vo.json),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const verify_usage[] = {
	"sign-artifact verify [--bundle B] [--key PUB | --trusted-root JSON "
	"--certificate-identity ID --certificate-oidc-issuer URL] ARTIFACT",
	NULL,
};

static const char *kg_type, *kg_out;
static bool kg_force;
static const struct opt keygen_options[] = {
	OPT_STRING(
	    't', "type", &kg_type, "TYPE", "ecdsa-p256 (default) or ed25519"),
	OPT_STRING('o', "out", &kg_out, "PREFIX",
	    "write PREFIX.key (0600) and PREFIX.pub"),
	OPT_BOOL('f', "force", &kg_force, "overwrite existing files"),
	OPT__VERBOSE,
	OPT__QUIET,
	OPT_END(),
};
static const char *const keygen_usage[] = {
	"sign-artifact keygen [--type ecdsa-p256|ed25519] --out PREFIX",
	"The private key is encrypted when $SIGN_ARTIFACT_PASSPHRASE is set.",
	NULL,
};

static int
parse(int argc, char **argv, const struct opt *opts, const char *const *usage,
    int *first)
{
	int i = opt_parse(argc, argv, opts, usage);

	if (i == OPT_DONE)
		return RC_OK;
	if (i == OPT_ERROR)
		return RC_USAGE;
	*first = i;
	return -1;
}

static void
sign_defaults(void)
{
	so.kl.token_auth = getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
	so.kl.id_token = getenv("SIGSTORE_ID_TOKEN");
}

static int
cmd_keygen(int argc, char **argv)
{
	int i, rc = parse(argc, argv, keygen_options, keygen_usage, &i);

	if (rc >= 0)
		return rc;
	if (i != argc) {
		error_msg("keygen takes no operands");
		return RC_USAGE;
	}
	return keygen_run(kg_type, kg_out, kg_force);
}

static int
cmd_sign(int argc, char **argv)
{
	int i, rc = parse(argc, argv, sign_options, sign_usage, &i);

	if (rc >= 0)
		return rc;
	sign_defaults();
	return sign_run(&so, argc - i, argv + i);
}

static int
cmd_attest(int argc, char **argv)
{
	int i, rc = parse(argc, argv, attest_options, attest_usage, &i);

	if (rc >= 0)
		return rc;
	sign_defaults();
	return attest_run(&so, argc - i, argv + i);
}

static int
cmd_provenance(int argc, char **argv)
{
	int i, rc = parse(argc, argv, prov_options, prov_usage, &i);

	if (rc >= 0)
		return rc;
	return provenance_run(&so, argc - i, argv + i);
}

static int
cmd_verify(int argc, char **argv)
{
	int i, rc = parse(argc, argv, verify_options, verify_usage, &i);

	if (rc >= 0)
		return rc;
	return verify_run(&vo, argc - i, argv + i);
}

static const struct subcmd cmds[] = {
	{ "keygen", cmd_keygen, "make a signing key pair" },
	{ "sign", cmd_sign, "sign artifacts: one Sigstore bundle each" },
	{ "attest", cmd_attest, "sign an in-toto statement over all subjects" },
	{ "verify", cmd_verify, "verify a bundle offline" },
	{ "provenance", cmd_provenance, "print the unsigned SLSA statement" },
	{ NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
	log_init("sign-artifact");
	return opt_dispatch(argc, argv, cmds,
	    "Sign artifacts and provenance as Sigstore bundles, keyed or "
	    "keyless.");
}
