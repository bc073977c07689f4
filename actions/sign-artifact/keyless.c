#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#include "common/base64.h"
#include "common/gha.h"
#include "common/hash.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "keyless.h"

#define DEFAULT_FULCIO "https://fulcio.sigstore.dev"
#define DEFAULT_REKOR "https://rekor.sigstore.dev"
#define API_BODY_MAX ((size_t)4 << 20)

void
keyless_init(struct keyless *k, const struct keyless_opts *o)
{
	memset(k, 0, sizeof(*k));
	buf_init(&k->cert_der, 64 * 1024);
	k->opts = o;
}

void
keyless_release(struct keyless *k)
{
	if (k->token != NULL) {
		memset(k->token, 0, strlen(k->token));
		free(k->token);
	}
	k->token = NULL;
	cJSON_Delete(k->claims);
	k->claims = NULL;
	sign_key_release(&k->key);
	buf_release(&k->cert_der);
}

/* One JSON request; the body of a 2xx (or `ok2`) answer goes to resp. */
int
keyless_api_call(const struct keyless *k, const char *method, const char *url,
    const struct strlist *hdr, const char *body, struct http_response *resp,
    const char *what)
{
	struct http_request req = HTTP_REQUEST_INIT;

	req.method = method;
	req.url = url;
	req.headers = hdr;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = k->opts->timeout_ms > 0 ? k->opts->timeout_ms : 30000;
	req.max_body = API_BODY_MAX;
	req.idempotent = true;
	if (http_do(&req, resp) < 0)
		return error_msg("%s: request to '%s' failed", what, url);
	return 0;
}

static int
fetch_token(struct keyless *k)
{
	const struct keyless_opts *o = k->opts;
	struct strlist hdr = STRLIST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	cJSON *j = NULL;
	const char *v;
	char *url = NULL;
	int rc = -1;

	if (o->id_token != NULL && *o->id_token != '\0') {
		k->token = xstrdup(o->id_token);
		gha_mask(k->token);
		http_redact(k->token);
		return 0;
	}
	if (o->token_url == NULL || o->token_auth == NULL)
		return error_msg("no OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL "
		                 "is not set (needs 'permissions: id-token: "
		                 "write')");
	http_redact(o->token_auth);
	/* The runner's URL already carries a query string. */
	url = xasprintf("%s%caudience=sigstore", o->token_url,
	    strchr(o->token_url, '?') ? '&' : '?');
	strlist_push_owned(
	    &hdr, xasprintf("Authorization: bearer %s", o->token_auth));
	strlist_push(&hdr, "Accept: application/json");
	if (keyless_api_call(k, "GET", url, &hdr, NULL, &resp, "OIDC token") <
	    0)
		goto out;
	if (resp.status != 200) {
		error_msg("OIDC token request failed: HTTP %ld", resp.status);
		goto out;
	}
	if (json_parse(
	        resp.body.data, resp.body.len, "OIDC token response", &j) < 0)
		goto out;
	v = json_opt_str(j, "value");
	if (v == NULL || *v == '\0') {
		error_msg("OIDC token response has no 'value'");
		goto out;
	}
	k->token = xstrdup(v);
	/* Masked before anything else could print it. */
	gha_mask(k->token);
	http_redact(k->token);
	rc = 0;
out:
	if (resp.body.len)
		memset(resp.body.data, 0, resp.body.len);
	cJSON_Delete(j);
	http_response_release(&resp);
	strlist_release(&hdr);
	free(url);
	return rc;
}

int
jwt_decode_claims(const char *jwt, cJSON **out)
{
	const char *a = strchr(jwt, '.'), *b;
	struct buf payload = BUF_INIT(1 << 20);
	int rc = -1;

	b = a ? strchr(a + 1, '.') : NULL;
	if (a == NULL || b == NULL)
		return error_msg("OIDC token is not a JWT");
	if (base64url_decode(&payload, a + 1, (size_t)(b - a - 1)) < 0)
		goto out;
	rc = json_parse(payload.data, payload.len, "OIDC token claims", out);
out:
	buf_release(&payload);
	return rc;
}

/* PoP subject: verified email if present, else sub. */
static const char *
token_subject(const cJSON *claims)
{
	const char *email = json_opt_str(claims, "email");

	if (email != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	                         claims, "email_verified")))
		return email;
	return json_opt_str(claims, "sub");
}

static int
pem_leaf_to_der(const char *pem, struct buf *der)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *d = NULL;
	int n, rc = -1;

	if (x == NULL) {
		ERR_clear_error();
		error_msg("Fulcio answer: leaf is not a PEM certificate");
		goto out;
	}
	n = i2d_X509(x, &d);
	if (n > 0)
		rc = buf_add(der, d, (size_t)n);
	OPENSSL_free(d);
out:
	X509_free(x);
	BIO_free(b);
	return rc;
}

static int
fulcio_cert(struct keyless *k, const char *subject)
{
	const char *base =
	    k->opts->fulcio_url ? k->opts->fulcio_url : DEFAULT_FULCIO;
	struct strlist hdr = STRLIST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf pem = BUF_INIT(0), pop = BUF_INIT(0);
	cJSON *req = cJSON_CreateObject(), *j = NULL, *pk, *chain;
	char *url = xasprintf("%s/api/v2/signingCert", base), *body = NULL;
	const cJSON *certs;
	int rc = -1;

	if (sign_key_public_pem(&k->key, &pem) < 0 ||
	    sign_key_sign(&k->key, subject, strlen(subject), &pop) < 0)
		goto out;
	cJSON_AddStringToObject(cJSON_AddObjectToObject(req, "credentials"),
	    "oidcIdentityToken", k->token);
	pk = cJSON_AddObjectToObject(req, "publicKeyRequest");
	chain = cJSON_AddObjectToObject(pk, "publicKey");
	cJSON_AddStringToObject(chain, "algorithm", "ECDSA");
	cJSON_AddStringToObject(chain, "content", pem.data);
	json_add_b64(pk, "proofOfPossession", pop.data, pop.len);
	body = json_print(req);
	strlist_push(&hdr, "Content-Type: application/json");
	strlist_push(&hdr, "Accept: application/json");
	if (keyless_api_call(k, "POST", url, &hdr, body, &resp, "Fulcio") < 0)
		goto out;
	if (resp.status != 200 && resp.status != 201) {
		error_msg("Fulcio refused the certificate request: HTTP %ld",
		    resp.status);
		goto out;
	}
	if (json_parse(resp.body.data, resp.body.len, "Fulcio answer", &j) < 0)
		goto out;
	chain =
	    cJSON_GetObjectItemCaseSensitive(j, "signedCertificateEmbeddedSct");
	if (chain == NULL)
		chain = cJSON_GetObjectItemCaseSensitive(
		    j, "signedCertificateDetachedSct");
	certs = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(chain, "chain"), "certificates");
	if (!cJSON_IsArray(certs) || !cJSON_IsString(certs->child)) {
		error_msg("Fulcio answer has no certificate chain");
		goto out;
	}
	rc = pem_leaf_to_der(certs->child->valuestring, &k->cert_der);
out:
	if (body != NULL)
		memset(body, 0, strlen(body));
	free(body);
	free(url);
	cJSON_Delete(req);
	cJSON_Delete(j);
	buf_release(&pem);
	buf_release(&pop);
	http_response_release(&resp);
	strlist_release(&hdr);
	return rc;
}

int
keyless_check_visibility(const cJSON *claims, const char *rekor_url, bool allow)
{
	const char *vis = json_opt_str(claims, "repository_visibility");
	const char *repo = json_opt_str(claims, "repository");
	bool public_rekor =
	    rekor_url == NULL ||
	    strncmp(rekor_url, DEFAULT_REKOR, strlen(DEFAULT_REKOR)) == 0;

	if (allow || !public_rekor || vis == NULL || strcmp(vis, "public") == 0)
		return 0;
	return error_msg("repository '%s' is %s: keyless signing would publish "
	                 "its name in the public Rekor log; sign with --key, "
	                 "use a private Sigstore (--rekor-url), or pass "
	                 "--private-repository to accept that",
	    repo ? repo : "?", vis);
}

int
keyless_begin(struct keyless *k)
{
	const char *sub;

	if (fetch_token(k) < 0 || jwt_decode_claims(k->token, &k->claims) < 0)
		return -1;
	sub = token_subject(k->claims);
	if (sub == NULL)
		return error_msg("OIDC token has no 'sub' claim");
	if (keyless_check_visibility(
	        k->claims, k->opts->rekor_url, k->opts->private_repository) < 0)
		return -1;
	if (sign_key_generate(&k->key, KEY_ECDSA_P256) < 0)
		return -1;
	return fulcio_cert(k, sub);
}
