#include "common/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "bundle.h"

void
tlog_entry_init(struct tlog_entry *e)
{
	memset(e, 0, sizeof(*e));
	buf_init(&e->log_id, 1024);
	buf_init(&e->set, 4096);
	buf_init(&e->body, BUNDLE_MAX_SIZE);
}

void
tlog_entry_release(struct tlog_entry *e)
{
	buf_release(&e->log_id);
	buf_release(&e->set);
	buf_release(&e->body);
	free(e->checkpoint);
	e->checkpoint = NULL;
}

void
bundle_init(struct bundle *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->cert_der, 64 * 1024);
	buf_init(&b->sig, 4096);
	buf_init(&b->payload, BUNDLE_MAX_SIZE);
	tlog_entry_init(&b->tlog);
}

void
bundle_release(struct bundle *b)
{
	free(b->hint);
	free(b->payload_type);
	buf_release(&b->cert_der);
	buf_release(&b->sig);
	buf_release(&b->payload);
	tlog_entry_release(&b->tlog);
	b->hint = b->payload_type = NULL;
}

void
json_add_b64(cJSON *obj, const char *key, const void *data, size_t len)
{
	struct buf s = BUF_INIT(0);

	if (base64_encode(&s, data, len) == 0)
		cJSON_AddStringToObject(obj, key, s.data);
	buf_release(&s);
}

/* Member `key` of obj as an object; NULL with a message naming path. */
static const cJSON *
obj_get(const cJSON *obj, const char *key, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsObject(v)) {
		error_msg("bad bundle: '%s' missing or not an object", path);
		return NULL;
	}
	return v;
}

static int
get_b64(const cJSON *obj, const char *key, const char *path, struct buf *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v))
		return error_msg(
		    "bad bundle: '%s' missing or not a string", path);
	if (base64_decode(out, v->valuestring, strlen(v->valuestring)) < 0)
		return error_msg("bad bundle: '%s' is not valid base64", path);
	return 0;
}

/* int64 in proto3 JSON: a decimal string (numbers accepted as well). */
static int
get_i64(const cJSON *obj, const char *key, const char *path, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char *end;
	long long n;

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble < 9007199254740992.0) {
		*out = (int64_t)v->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring[0] < '0' ||
	    v->valuestring[0] > '9')
		return error_msg(
		    "bad bundle: '%s' missing or not an int64", path);
	errno = 0;
	n = strtoll(v->valuestring, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		return error_msg("bad bundle: '%s' is not an int64", path);
	*out = (int64_t)n;
	return 0;
}

static int
get_fixed(
    const cJSON *obj, const char *key, const char *path, uint8_t *out, size_t n)
{
	struct buf tmp = BUF_INIT(1024);
	int rc = -1;

	if (get_b64(obj, key, path, &tmp) < 0)
		goto out;
	if (tmp.len != n) {
		error_msg("bad bundle: '%s' must be %zu bytes", path, n);
		goto out;
	}
	memcpy(out, tmp.data, n);
	rc = 0;
out:
	buf_release(&tmp);
	return rc;
}

static int
parse_tlog(struct tlog_entry *e, const cJSON *t)
{
	const cJSON *kv, *p, *h, *cp;
	const char *s;

	if (get_i64(t, "logIndex", "logIndex", &e->log_index) < 0 ||
	    (p = obj_get(t, "logId", "logId")) == NULL ||
	    get_b64(p, "keyId", "logId.keyId", &e->log_id) < 0 ||
	    (kv = obj_get(t, "kindVersion", "kindVersion")) == NULL ||
	    get_i64(t, "integratedTime", "integratedTime",
	        &e->integrated_time) < 0 ||
	    get_b64(t, "canonicalizedBody", "canonicalizedBody", &e->body) < 0)
		return -1;
	s = json_opt_str(kv, "kind");
	if (s == NULL || strlen(s) >= sizeof(e->kind))
		return error_msg("bad bundle: 'kindVersion.kind'");
	memcpy(e->kind, s, strlen(s) + 1);
	s = json_opt_str(kv, "version");
	if (s == NULL || strlen(s) >= sizeof(e->version))
		return error_msg("bad bundle: 'kindVersion.version'");
	memcpy(e->version, s, strlen(s) + 1);
	p = cJSON_GetObjectItemCaseSensitive(t, "inclusionPromise");
	if (p != NULL &&
	    get_b64(p, "signedEntryTimestamp",
	        "inclusionPromise.signedEntryTimestamp", &e->set) < 0)
		return -1;
	p = cJSON_GetObjectItemCaseSensitive(t, "inclusionProof");
	if (p == NULL)
		return 0;
	if (get_i64(p, "logIndex", "inclusionProof.logIndex", &e->proof_index) <
	        0 ||
	    get_i64(p, "treeSize", "inclusionProof.treeSize", &e->tree_size) <
	        0 ||
	    get_fixed(
	        p, "rootHash", "inclusionProof.rootHash", e->root_hash, 32) < 0)
		return -1;
	h = cJSON_GetObjectItemCaseSensitive(p, "hashes");
	if (h != NULL && !cJSON_IsArray(h))
		return error_msg("bad bundle: 'inclusionProof.hashes'");
	for (h = h ? h->child : NULL; h; h = h->next) {
		struct buf tmp = BUF_INIT(64);
		int ok;

		if (e->nr_hashes >= TLOG_MAX_PROOF_HASHES)
			return error_msg("bad bundle: too many proof hashes");
		ok = cJSON_IsString(h) &&
		     base64_decode(
		         &tmp, h->valuestring, strlen(h->valuestring)) == 0 &&
		     tmp.len == 32;
		if (ok)
			memcpy(e->hashes[e->nr_hashes++], tmp.data, 32);
		buf_release(&tmp);
		if (!ok)
			return error_msg("bad bundle: bad proof hash");
	}
	cp = obj_get(p, "checkpoint", "inclusionProof.checkpoint");
	if (cp == NULL || (s = json_opt_str(cp, "envelope")) == NULL)
		return error_msg("bad bundle: 'inclusionProof.checkpoint'");
	e->checkpoint = xstrdup(s);
	e->has_proof = true;
	return 0;
}

static int
parse_material(struct bundle *b, const cJSON *vm)
{
	const cJSON *v, *t;

	if ((v = cJSON_GetObjectItemCaseSensitive(vm, "publicKey")) != NULL) {
		const char *h = json_opt_str(v, "hint");

		b->hint = xstrdup(h ? h : "");
	} else if ((v = cJSON_GetObjectItemCaseSensitive(vm, "certificate")) !=
	           NULL) {
		if (get_b64(v, "rawBytes", "certificate.rawBytes",
		        &b->cert_der) < 0)
			return -1;
	} else if (cJSON_GetObjectItemCaseSensitive(
	               vm, "x509CertificateChain") != NULL) {
		return error_msg("bad bundle: v0.3 requires 'certificate', not "
		                 "'x509CertificateChain'");
	} else {
		return error_msg("bad bundle: no verification material");
	}
	t = cJSON_GetObjectItemCaseSensitive(vm, "tlogEntries");
	if (t != NULL && !cJSON_IsArray(t))
		return error_msg("bad bundle: 'tlogEntries' is not an array");
	b->nr_tlog = (size_t)cJSON_GetArraySize(t);
	if (b->nr_tlog > 0 && parse_tlog(&b->tlog, t->child) < 0)
		return -1;
	return 0;
}

static int
parse_content(struct bundle *b, const cJSON *root)
{
	const cJSON *m, *d, *s;
	const char *alg, *pt;

	if ((m = cJSON_GetObjectItemCaseSensitive(root, "messageSignature"))) {
		b->content = BUNDLE_MESSAGE;
		if (get_b64(m, "signature", "messageSignature.signature",
		        &b->sig) < 0)
			return -1;
		d = cJSON_GetObjectItemCaseSensitive(m, "messageDigest");
		if (d == NULL)
			return 0;
		alg = json_opt_str(d, "algorithm");
		if (alg == NULL || strcmp(alg, "SHA2_256") != 0)
			return error_msg("bad bundle: unsupported digest "
			                 "algorithm");
		if (get_fixed(
		        d, "digest", "messageDigest.digest", b->digest, 32) < 0)
			return -1;
		b->has_digest = true;
		return 0;
	}
	if ((m = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope"))) {
		b->content = BUNDLE_DSSE;
		pt = json_opt_str(m, "payloadType");
		if (pt == NULL)
			return error_msg("bad bundle: 'payloadType' missing");
		b->payload_type = xstrdup(pt);
		if (get_b64(m, "payload", "dsseEnvelope.payload", &b->payload) <
		    0)
			return -1;
		s = cJSON_GetObjectItemCaseSensitive(m, "signatures");
		if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) != 1)
			return error_msg("bad bundle: DSSE envelope must have "
			                 "exactly one signature");
		return get_b64(s->child, "sig", "signatures[0].sig", &b->sig);
	}
	return error_msg("bad bundle: no messageSignature or dsseEnvelope");
}

int
bundle_parse(struct bundle *b, const char *json, size_t len, const char *what)
{
	cJSON *root = NULL;
	const cJSON *vm;
	const char *mt;
	int rc = -1;

	if (json_parse(json, len, what, &root) < 0)
		return -1;
	mt = json_opt_str(root, "mediaType");
	if (mt == NULL) {
		error_msg("bad bundle '%s': no mediaType", what);
		goto out;
	}
	if (strcmp(mt, BUNDLE_MEDIA_TYPE_V03) != 0 &&
	    strcmp(mt,
	        "application/vnd.dev.sigstore.bundle+json;version=0.3") != 0) {
		error_msg(
		    "bad bundle '%s': unsupported media type '%s'", what, mt);
		goto out;
	}
	if ((vm = obj_get(root, "verificationMaterial",
	         "verificationMaterial")) == NULL ||
	    parse_material(b, vm) < 0 || parse_content(b, root) < 0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

static void
hex_or_b64_member(cJSON *o, const char *key, const struct buf *b)
{
	json_add_b64(o, key, b->data, b->len);
}

static cJSON *
tlog_json(const struct tlog_entry *e)
{
	cJSON *t = cJSON_CreateObject(), *o, *h;
	char num[32];
	size_t i;

	snprintf(num, sizeof(num), "%lld", (long long)e->log_index);
	cJSON_AddStringToObject(t, "logIndex", num);
	o = cJSON_AddObjectToObject(t, "logId");
	hex_or_b64_member(o, "keyId", &e->log_id);
	o = cJSON_AddObjectToObject(t, "kindVersion");
	cJSON_AddStringToObject(o, "kind", e->kind);
	cJSON_AddStringToObject(o, "version", e->version);
	snprintf(num, sizeof(num), "%lld", (long long)e->integrated_time);
	cJSON_AddStringToObject(t, "integratedTime", num);
	o = cJSON_AddObjectToObject(t, "inclusionPromise");
	hex_or_b64_member(o, "signedEntryTimestamp", &e->set);
	if (e->has_proof) {
		o = cJSON_AddObjectToObject(t, "inclusionProof");
		snprintf(num, sizeof(num), "%lld", (long long)e->proof_index);
		cJSON_AddStringToObject(o, "logIndex", num);
		json_add_b64(o, "rootHash", e->root_hash, 32);
		snprintf(num, sizeof(num), "%lld", (long long)e->tree_size);
		cJSON_AddStringToObject(o, "treeSize", num);
		h = cJSON_AddArrayToObject(o, "hashes");
		for (i = 0; i < e->nr_hashes; i++) {
			struct buf s = BUF_INIT(0);

			if (base64_encode(&s, e->hashes[i], 32) == 0)
				cJSON_AddItemToArray(
				    h, cJSON_CreateString(s.data));
			buf_release(&s);
		}
		cJSON_AddStringToObject(
		    cJSON_AddObjectToObject(o, "checkpoint"), "envelope",
		    e->checkpoint ? e->checkpoint : "");
	}
	hex_or_b64_member(t, "canonicalizedBody", &e->body);
	return t;
}

static cJSON *
bundle_start(const struct bundle_material *m)
{
	cJSON *root = cJSON_CreateObject(), *vm, *t;

	cJSON_AddStringToObject(root, "mediaType", BUNDLE_MEDIA_TYPE_V03);
	vm = cJSON_AddObjectToObject(root, "verificationMaterial");
	if (m->cert_der != NULL)
		json_add_b64(cJSON_AddObjectToObject(vm, "certificate"),
		    "rawBytes", m->cert_der, m->cert_len);
	else
		cJSON_AddStringToObject(
		    cJSON_AddObjectToObject(vm, "publicKey"), "hint",
		    m->hint ? m->hint : "");
	t = cJSON_AddArrayToObject(vm, "tlogEntries");
	if (m->tlog != NULL)
		cJSON_AddItemToArray(t, tlog_json(m->tlog));
	return root;
}

cJSON *
bundle_message_json(const struct bundle_material *m, const uint8_t digest[32],
    const void *sig, size_t siglen)
{
	cJSON *root = bundle_start(m), *ms, *md;

	ms = cJSON_AddObjectToObject(root, "messageSignature");
	md = cJSON_AddObjectToObject(ms, "messageDigest");
	cJSON_AddStringToObject(md, "algorithm", "SHA2_256");
	json_add_b64(md, "digest", digest, 32);
	json_add_b64(ms, "signature", sig, siglen);
	return root;
}

cJSON *
dsse_envelope_json(const char *ptype, const void *payload, size_t plen,
    const void *sig, size_t siglen)
{
	cJSON *env = cJSON_CreateObject(), *sigs, *s;

	json_add_b64(env, "payload", payload, plen);
	cJSON_AddStringToObject(env, "payloadType", ptype);
	sigs = cJSON_AddArrayToObject(env, "signatures");
	s = cJSON_CreateObject();
	json_add_b64(s, "sig", sig, siglen);
	cJSON_AddStringToObject(s, "keyid", "");
	cJSON_AddItemToArray(sigs, s);
	return env;
}

cJSON *
bundle_dsse_json(const struct bundle_material *m, const char *ptype,
    const void *payload, size_t plen, const void *sig, size_t siglen)
{
	cJSON *root = bundle_start(m);

	cJSON_AddItemToObject(root, "dsseEnvelope",
	    dsse_envelope_json(ptype, payload, plen, sig, siglen));
	return root;
}
