#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#include "common/base64.h"
#include "common/hash.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "keyless.h"
#include "tlog.h"

/* Rekor v1: proposed entries out, log entries (hex -> bytes) back. */

#define DEFAULT_REKOR "https://rekor.sigstore.dev"

static int
hex_member(const cJSON *o, const char *key, uint8_t *out, size_t n)
{
	const char *v = json_opt_str(o, key);

	if (v == NULL || strlen(v) != 2 * n || hash_from_hex(v, out, n) < 0)
		return error_msg("Rekor answer: bad '%s'", key);
	return 0;
}

/*
 * Rekor's answer: {"<uuid>": {body (b64), integratedTime, logID (hex),
 * logIndex, verification: {inclusionProof (hex hashes),
 * signedEntryTimestamp (b64)}}}. The bundle wants bytes, so hex is
 * decoded here and base64 re-encoded when the bundle is written.
 */
int
rekor_parse_response(const char *body, size_t len, struct tlog_entry *e)
{
	cJSON *j = NULL, *kb = NULL;
	const cJSON *ent, *ver, *pr, *h;
	const char *s;
	uint8_t id[32];
	int64_t n;
	int rc = -1;

	if (json_parse(body, len, "Rekor answer", &j) < 0)
		return -1;
	ent = j->child;
	if (!cJSON_IsObject(ent)) {
		error_msg("Rekor answer: no entry");
		goto out;
	}
	s = json_opt_str(ent, "body");
	if (s == NULL || base64_decode(&e->body, s, strlen(s)) < 0 ||
	    json_get_int(ent, "integratedTime", &e->integrated_time) < 0 ||
	    json_get_int(ent, "logIndex", &e->log_index) < 0 ||
	    hex_member(ent, "logID", id, 32) < 0)
		goto out;
	buf_add(&e->log_id, id, 32);
	if (json_parse(e->body.data, e->body.len, "Rekor entry body", &kb) < 0)
		goto out;
	s = json_opt_str(kb, "kind");
	if (s == NULL || strlen(s) >= sizeof(e->kind))
		goto bad;
	memcpy(e->kind, s, strlen(s) + 1);
	s = json_opt_str(kb, "apiVersion");
	if (s == NULL || strlen(s) >= sizeof(e->version))
		goto bad;
	memcpy(e->version, s, strlen(s) + 1);
	ver = cJSON_GetObjectItemCaseSensitive(ent, "verification");
	s = json_opt_str(ver, "signedEntryTimestamp");
	if (s == NULL || base64_decode(&e->set, s, strlen(s)) < 0)
		goto bad;
	pr = cJSON_GetObjectItemCaseSensitive(ver, "inclusionProof");
	if (pr == NULL) {
		rc = 0;
		goto out;
	}
	if (json_get_int(pr, "logIndex", &e->proof_index) < 0 ||
	    json_get_int(pr, "treeSize", &e->tree_size) < 0 ||
	    hex_member(pr, "rootHash", e->root_hash, 32) < 0)
		goto out;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(pr, "hashes"))
	{
		if (e->nr_hashes >= TLOG_MAX_PROOF_HASHES ||
		    !cJSON_IsString(h) || strlen(h->valuestring) != 64 ||
		    hash_from_hex(h->valuestring, e->hashes[e->nr_hashes], 32) <
		        0)
			goto bad;
		e->nr_hashes++;
	}
	s = json_opt_str(pr, "checkpoint");
	if (s == NULL)
		goto bad;
	e->checkpoint = xstrdup(s);
	e->has_proof = true;
	(void)n;
	rc = 0;
	goto out;
bad:
	error_msg("Rekor answer: malformed entry");
out:
	cJSON_Delete(kb);
	cJSON_Delete(j);
	return rc;
}

static int
cert_pem_b64(const struct keyless *k, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)k->cert_der.data;
	X509 *x = d2i_X509(NULL, &p, (long)k->cert_der.len);
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;
	int rc = -1;

	if (x != NULL && b != NULL && PEM_write_bio_X509(b, x) == 1) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0)
			rc = base64_encode(out, data, (size_t)n);
	}
	if (rc < 0)
		error_msg("cannot encode certificate");
	X509_free(x);
	BIO_free(b);
	return rc;
}

static int
rekor_post(struct keyless *k, cJSON *proposed, struct tlog_entry *e)
{
	const char *base =
	    k->opts->rekor_url ? k->opts->rekor_url : DEFAULT_REKOR;
	struct strlist hdr = STRLIST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = xasprintf("%s/api/v1/log/entries", base), *loc = NULL;
	char *body = json_print(proposed), *geturl = NULL;
	int rc = -1;

	strlist_push(&hdr, "Content-Type: application/json");
	strlist_push(&hdr, "Accept: application/json");
	if (keyless_api_call(k, "POST", url, &hdr, body, &resp, "Rekor") < 0)
		goto out;
	if (resp.status == 409) {
		/* Already logged (a retried upload): fetch the entry. */
		loc = http_header(&resp, "location");
		if (loc == NULL) {
			error_msg("Rekor: 409 without a Location header");
			goto out;
		}
		geturl =
		    loc[0] == '/' ? xasprintf("%s%s", base, loc) : xstrdup(loc);
		http_response_release(&resp);
		if (keyless_api_call(
		        k, "GET", geturl, &hdr, NULL, &resp, "Rekor") < 0)
			goto out;
	}
	if (resp.status != 200 && resp.status != 201) {
		error_msg("Rekor refused the entry: HTTP %ld", resp.status);
		goto out;
	}
	if (rekor_parse_response(resp.body.data, resp.body.len, e) < 0)
		goto out;
	/* Check what needs no trusted key before a bundle is written: the
	 * proof must lead from our entry to the root Rekor claims. */
	if (e->has_proof && tlog_verify_proof(e) < 0) {
		error_msg("Rekor answer: inclusion proof does not match the "
		          "entry");
		goto out;
	}
	rc = 0;
out:
	free(url);
	free(body);
	free(loc);
	free(geturl);
	http_response_release(&resp);
	strlist_release(&hdr);
	return rc;
}

int
keyless_log_hashedrekord(struct keyless *k, const uint8_t digest[32],
    const void *sig, size_t siglen, struct tlog_entry *e)
{
	cJSON *p = cJSON_CreateObject(), *spec, *o;
	struct buf cert = BUF_INIT(0);
	char hex[65];
	int rc = -1;

	if (cert_pem_b64(k, &cert) < 0)
		goto out;
	hash_hex(digest, 32, hex);
	cJSON_AddStringToObject(p, "apiVersion", "0.0.1");
	cJSON_AddStringToObject(p, "kind", "hashedrekord");
	spec = cJSON_AddObjectToObject(p, "spec");
	o = cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(spec, "data"), "hash");
	cJSON_AddStringToObject(o, "algorithm", "sha256");
	cJSON_AddStringToObject(o, "value", hex);
	o = cJSON_AddObjectToObject(spec, "signature");
	json_add_b64(o, "content", sig, siglen);
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(o, "publicKey"), "content", cert.data);
	rc = rekor_post(k, p, e);
out:
	cJSON_Delete(p);
	buf_release(&cert);
	return rc;
}

int
keyless_log_dsse(
    struct keyless *k, const char *envelope_json, struct tlog_entry *e)
{
	cJSON *p = cJSON_CreateObject(), *pc, *v;
	struct buf cert = BUF_INIT(0);
	int rc = -1;

	if (cert_pem_b64(k, &cert) < 0)
		goto out;
	cJSON_AddStringToObject(p, "apiVersion", "0.0.1");
	cJSON_AddStringToObject(p, "kind", "dsse");
	pc = cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(p, "spec"), "proposedContent");
	cJSON_AddStringToObject(pc, "envelope", envelope_json);
	v = cJSON_AddArrayToObject(pc, "verifiers");
	cJSON_AddItemToArray(v, cJSON_CreateString(cert.data));
	rc = rekor_post(k, p, e);
out:
	cJSON_Delete(p);
	buf_release(&cert);
	return rc;
}
