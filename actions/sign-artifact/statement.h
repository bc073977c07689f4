#ifndef SIGN_STATEMENT_H
#define SIGN_STATEMENT_H

#include "common/json.h"

#include "common/buf.h"
#include "common/compat.h"
#include "digest.h"

/*
 * in-toto Statement v1 and the SLSA provenance v1 predicate exactly as
 * @actions/attest's buildSLSAProvenancePredicate builds it.
 */
#define INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define SLSA_PROVENANCE_V1 "https://slsa.dev/provenance/v1"
#define GITHUB_BUILD_TYPE "https://actions.github.io/buildtypes/workflow/v1"
#define STATEMENT_MAX_SUBJECTS 1024

/*
 * The GitHub context the predicate is built from. Strings are borrowed
 * (from the environment or a parsed token that outlives the struct).
 */
struct prov_claims {
	const char *server_url; /* GITHUB_SERVER_URL */
	const char *repository; /* owner/repo */
	const char *ref;        /* refs/heads/main */
	const char *sha;
	const char *workflow_ref; /* owner/repo/.github/workflows/x.yml@ref */
	const char *job_workflow_ref; /* token only; env falls back to above */
	const char *event_name;
	const char *repository_id;
	const char *repository_owner_id;
	const char *runner_environment;
	const char *run_id;
	const char *run_attempt;
};

/* Fills from GITHUB_* / RUNNER_ENVIRONMENT; missing values stay NULL. */
void prov_claims_from_env(struct prov_claims *c);
/* Overlays the claims of a decoded OIDC token payload (borrowed). */
void prov_claims_from_token(struct prov_claims *c, const cJSON *payload);

/* New predicate object; -1 naming the first missing value. */
int provenance_predicate(const struct prov_claims *c, cJSON **out);

/*
 * Subjects: name = basename of the path, digest {sha256: hex}; duplicates
 * of (name, digest) are dropped; more than STATEMENT_MAX_SUBJECTS is an
 * error. Takes ownership of predicate (even on error).
 */
int statement_build(const struct digest_item *items, size_t n,
    const char *predicate_type, cJSON *predicate, cJSON **out);

/* Serialises compactly; the bytes are what gets signed. */
int statement_serialize(const cJSON *st, struct buf *out);

#endif
