#include "common/compat.h"

#include <string.h>

#include "cert.h"
#include "common/base64.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "dsse.h"
#include "statement.h"
#include "tlog.h"
#include "verify.h"

/* Ed25519 signs the whole message: cap what we read into memory. */
#define ED25519_MSG_MAX ((size_t)1 << 30)

int
statement_has_subject(const void *json, size_t len, const uint8_t sha256[32])
{
	cJSON *st = NULL;
	const cJSON *s, *subj;
	char hex[65];
	const char *t;
	int rc = -1;

	if (json_parse(json, len, "in-toto statement", &st) < 0)
		return -1;
	t = json_opt_str(st, "_type");
	if (t == NULL || strcmp(t, INTOTO_STATEMENT_V1) != 0) {
		error_msg("payload is not an in-toto v1 statement");
		goto out;
	}
	hash_hex(sha256, 32, hex);
	subj = cJSON_GetObjectItemCaseSensitive(st, "subject");
	cJSON_ArrayForEach(s, subj)
	{
		const char *d = json_opt_str(
		    cJSON_GetObjectItemCaseSensitive(s, "digest"), "sha256");

		if (d != NULL && strcmp(d, hex) == 0) {
			rc = 0;
			goto out;
		}
	}
	error_msg("artifact digest is not a subject of the statement");
out:
	cJSON_Delete(st);
	return rc;
}

static int
verify_message(const struct bundle *b, const struct sign_key *k,
    const char *artifact, const uint8_t d[32])
{
	struct buf data = BUF_INIT(READ_CAP(ED25519_MSG_MAX));
	int ok;

	if (b->has_digest && !hash_equal(b->digest, d, 32))
		return error_msg("artifact digest does not match the bundle");
	if (k->type == KEY_ECDSA_P256) {
		ok = sign_key_verify_digest(k, d, b->sig.data, b->sig.len);
	} else {
		if (fs_read_file(artifact, ED25519_MSG_MAX, &data) < 0)
			return -1;
		ok = sign_key_verify(
		    k, data.data, data.len, b->sig.data, b->sig.len);
		buf_release(&data);
	}
	if (ok != 1)
		return error_msg("signature does not verify");
	return 0;
}

static int
verify_dsse(
    const struct bundle *b, const struct sign_key *k, const uint8_t d[32])
{
	struct buf pae = BUF_INIT(0);
	int ok;

	if (strcmp(b->payload_type, DSSE_INTOTO_TYPE) != 0)
		return error_msg(
		    "unsupported DSSE payload type '%s'", b->payload_type);
	if (dsse_pae(&pae, b->payload_type, b->payload.data, b->payload.len) <
	    0)
		return -1;
	ok = sign_key_verify(k, pae.data, pae.len, b->sig.data, b->sig.len);
	buf_release(&pae);
	if (ok != 1)
		return error_msg("DSSE signature does not verify");
	return statement_has_subject(b->payload.data, b->payload.len, d);
}

/* The Rekor body must describe this very signature (and artifact). */
static int
verify_body_binding(const struct bundle *b, const uint8_t d[32])
{
	cJSON *body = NULL;
	const cJSON *spec;
	struct buf sig64 = BUF_INIT(0);
	const char *kind, *v;
	char hex[65];
	uint8_t ph[32];
	int rc = -1;

	if (json_parse(
	        b->tlog.body.data, b->tlog.body.len, "tlog body", &body) < 0)
		return -1;
	kind = json_opt_str(body, "kind");
	spec = cJSON_GetObjectItemCaseSensitive(body, "spec");
	base64_encode(&sig64, b->sig.data, b->sig.len);
	if (kind != NULL && strcmp(kind, "hashedrekord") == 0 &&
	    b->content == BUNDLE_MESSAGE) {
		const cJSON *sg =
		    cJSON_GetObjectItemCaseSensitive(spec, "signature");
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(spec, "data"), "hash");

		hash_hex(d, 32, hex);
		v = json_opt_str(h, "value");
		if (v == NULL || strcmp(v, hex) != 0) {
			error_msg("tlog entry is for another artifact");
			goto out;
		}
		v = json_opt_str(sg, "content");
		if (v == NULL || strcmp(v, sig64.data) != 0) {
			error_msg("tlog entry is for another signature");
			goto out;
		}
	} else if (kind != NULL && strcmp(kind, "dsse") == 0 &&
	           b->content == BUNDLE_DSSE) {
		const cJSON *sigs =
		    cJSON_GetObjectItemCaseSensitive(spec, "signatures");
		const cJSON *s0 = cJSON_GetArrayItem(sigs, 0);

		hash_sha256(b->payload.data, b->payload.len, ph);
		hash_hex(ph, 32, hex);
		v = json_opt_str(
		    cJSON_GetObjectItemCaseSensitive(spec, "payloadHash"),
		    "value");
		if (v == NULL || strcmp(v, hex) != 0) {
			error_msg("tlog entry is for another payload");
			goto out;
		}
		v = json_opt_str(s0, "signature");
		if (v == NULL || strcmp(v, sig64.data) != 0) {
			error_msg("tlog entry is for another signature");
			goto out;
		}
	} else {
		error_msg("tlog entry kind does not match the bundle");
		goto out;
	}
	rc = 0;
out:
	buf_release(&sig64);
	cJSON_Delete(body);
	return rc;
}

static int
verify_keyless(const struct bundle *b, const struct verify_policy *pol,
    const uint8_t d[32], struct cert_info *ci)
{
	if (b->cert_der.len == 0)
		return error_msg("bundle has no certificate (keyed bundle? "
		                 "use --key)");
	if (b->nr_tlog == 0)
		return error_msg("bundle has no tlog entry: no trusted time "
		                 "to check the certificate against");
	if (tlog_verify(&b->tlog, pol->root) < 0)
		return -1;
	if (cert_verify(b->cert_der.data, b->cert_der.len, pol->root,
	        b->tlog.integrated_time, ci) < 0)
		return -1;
	if (pol->identity != NULL &&
	    (ci->san == NULL || strcmp(ci->san, pol->identity) != 0))
		return error_msg("certificate identity '%s' is not '%s'",
		    ci->san ? ci->san : "", pol->identity);
	if (pol->issuer != NULL &&
	    (ci->issuer == NULL || strcmp(ci->issuer, pol->issuer) != 0))
		return error_msg("certificate issuer '%s' is not '%s'",
		    ci->issuer ? ci->issuer : "", pol->issuer);
	return verify_body_binding(b, d);
}

int
verify_bundle(const struct bundle *b, const struct verify_policy *pol,
    const char *artifact, const uint8_t d[32])
{
	struct cert_info ci = { NULL, NULL, SIGN_KEY_INIT };
	const struct sign_key *k = pol->key;
	int rc = -1;

	if (k == NULL) {
		if (pol->root == NULL) {
			error_msg("no key or trusted root to verify with");
			goto out;
		}
		if (verify_keyless(b, pol, d, &ci) < 0)
			goto out;
		k = &ci.key;
	} else if (b->cert_der.len != 0) {
		error_msg("bundle is keyless; verify with --trusted-root");
		goto out;
	}
	if (b->content == BUNDLE_MESSAGE)
		rc = verify_message(b, k, artifact, d);
	else
		rc = verify_dsse(b, k, d);
out:
	cert_info_release(&ci);
	return rc;
}
