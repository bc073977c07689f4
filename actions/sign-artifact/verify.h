#ifndef SIGN_VERIFY_H
#define SIGN_VERIFY_H

#include "bundle.h"
#include "common/compat.h"
#include "keys.h"
#include "trust.h"

/*
 * Offline verification of one bundle against one artifact.
 *
 * Keyed (key != NULL): the signature with that key; a tlog entry, if any,
 * is not required. Keyless (root != NULL): leaf certificate chains to the
 * root at the Rekor integrated time, SAN == identity, issuer == issuer,
 * SET, inclusion proof and checkpoint, and the entry body binds this
 * signature. For both: messageSignature must sign the artifact (and its
 * messageDigest match it); a DSSE envelope must be an in-toto statement
 * signed over PAE and list the artifact's SHA-256 as a subject.
 *
 * Borrowed inputs. Returns 0 when valid, -1 with a one-line reason.
 */
struct verify_policy {
	const struct sign_key *key;
	const struct trust_root *root;
	const char *identity;
	const char *issuer;
};

int verify_bundle(const struct bundle *b, const struct verify_policy *pol,
    const char *artifact, const uint8_t artifact_sha256[32]);

/* Does the in-toto statement list a subject with this sha256? 0 / -1. */
int statement_has_subject(
    const void *json, size_t len, const uint8_t sha256[32]);

#endif
