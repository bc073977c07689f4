#ifndef SIGN_SIGN_H
#define SIGN_SIGN_H

#include "common/compat.h"
#include "keyless.h"
#include "keys.h"

/*
 * The verbs of sign-artifact. Each returns an exit status (RC_OK, RC_FAIL,
 * RC_USAGE); main.c only parses options into these structs.
 * All strings are borrowed from argv or the environment.
 */
struct sign_opts {
	const char *key; /* private key PEM */
	bool keyless;
	const char *bundle_dir;
	const char *checksums; /* "" disables */
	const char *output;    /* attest: bundle path */
	const char *predicate_type;
	const char *predicate;
	bool provenance;
	long jobs;
	bool json;
	bool dry_run;
	const char *trusted_root; /* keyless: verify bundles before writing */
	struct keyless_opts kl;
};

struct verify_opts {
	const char *bundle;
	const char *key;
	const char *trusted_root;
	const char *identity;
	const char *issuer;
	bool json;
};

int keygen_run(const char *type, const char *out_prefix, bool force);
int sign_run(const struct sign_opts *o, int argc, char **argv);
int attest_run(const struct sign_opts *o, int argc, char **argv);
int provenance_run(const struct sign_opts *o, int argc, char **argv);
int verify_run(const struct verify_opts *o, int argc, char **argv);

/* The bundle path for an artifact: DIR/base.sigstore.json or path's. */
char *bundle_path_for(const char *artifact, const char *bundle_dir);

#endif
