#ifndef SIGN_KEYLESS_H
#define SIGN_KEYLESS_H

#include "common/json.h"

#include "bundle.h"
#include "common/buf.h"
#include "common/compat.h"
#include "keys.h"

/*
 * Keyless signing over common/http: GitHub OIDC token -> Fulcio v2
 * signingCert -> Rekor v1 entries. Endpoints are options so a private
 * Sigstore (or the loopback mock in tests) works the same.
 *
 * struct keyless owns the token (masked and registered for redaction as
 * soon as it is read), its decoded claims, the ephemeral key (memory only)
 * and the leaf certificate. keyless_release frees and scrubs them.
 */
struct keyless_opts {
	const char *fulcio_url;
	const char *rekor_url;
	const char *token_url;  /* ACTIONS_ID_TOKEN_REQUEST_URL */
	const char *token_auth; /* ACTIONS_ID_TOKEN_REQUEST_TOKEN */
	const char *id_token;   /* SIGSTORE_ID_TOKEN: a ready JWT */
	int64_t timeout_ms;
	bool private_repository; /* allow private repo names in public Rekor */
};

struct keyless {
	char *token;
	cJSON *claims;
	struct sign_key key;
	struct buf cert_der;
	const struct keyless_opts *opts;
};

void keyless_init(struct keyless *k, const struct keyless_opts *o);
void keyless_release(struct keyless *k);

/* Steps 1-3: token, ephemeral key, certificate. */
int keyless_begin(struct keyless *k);

/* Step 5: upload and fill e from Rekor's answer (hex -> bytes). */
int keyless_log_hashedrekord(struct keyless *k, const uint8_t digest[32],
    const void *sig, size_t siglen, struct tlog_entry *e);
int keyless_log_dsse(
    struct keyless *k, const char *envelope_json, struct tlog_entry *e);

/* One JSON request to an endpoint (shared by keyless.c and rekor.c). */
struct http_response;
struct strlist;
int keyless_api_call(const struct keyless *k, const char *method,
    const char *url, const struct strlist *hdr, const char *body,
    struct http_response *resp, const char *what);

/*
 * The public Rekor is world-readable: a certificate for a private or
 * internal repository would publish its name and workflow. Refused (-1
 * with the way out) unless allow is set or Rekor is not the public one.
 */
int keyless_check_visibility(
    const cJSON *claims, const char *rekor_url, bool allow);

/* Exposed for tests and the fuzzer. */
int jwt_decode_claims(const char *jwt, cJSON **out);
int rekor_parse_response(const char *body, size_t len, struct tlog_entry *e);

#endif
