#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crypto.h"

#include "common/base64.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "trust.h"

#define TRUST_FILE_MAX ((size_t)4 << 20)

bool
trust_window_contains(const struct trust_window *w, int64_t t)
{
	return (w->start == 0 || t >= w->start) && (w->end == 0 || t <= w->end);
}

int
trust_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (strcmp(end, "Z") != 0)
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

/* "validFor": {"start": RFC 3339, "end": RFC 3339}, both optional. */
static int
load_window(const cJSON *obj, struct trust_window *w)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "validFor");
	const char *s;

	w->start = w->end = 0;
	if ((s = json_opt_str(v, "start")) != NULL &&
	    trust_parse_time(s, &w->start) < 0)
		return error_msg("trusted root: bad time '%s'", s);
	if ((s = json_opt_str(v, "end")) != NULL &&
	    trust_parse_time(s, &w->end) < 0)
		return error_msg("trusted root: bad time '%s'", s);
	return 0;
}

static int
load_logs(struct trust_root *t, const cJSON *arr)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, arr)
	{
		struct trust_log *tl;
		const cJSON *pk =
		    cJSON_GetObjectItemCaseSensitive(l, "publicKey");
		const char *raw = json_opt_str(pk, "rawBytes");
		const char *url = json_opt_str(l, "baseUrl");
		struct buf der = BUF_INIT(64 * 1024);
		int rc;

		if (t->nr_logs >= TRUST_MAX_LOGS)
			return error_msg("trusted root: too many tlogs");
		if (raw == NULL)
			return error_msg("trusted root: tlog without "
			                 "publicKey.rawBytes");
		tl = &t->logs[t->nr_logs];
		rc = base64_decode(&der, raw, strlen(raw));
		if (rc == 0)
			rc =
			    sign_key_from_spki_der(&tl->key, der.data, der.len);
		/* The log id is SHA-256 of the key's DER, by definition. */
		if (rc == 0)
			rc = hash_sha256(der.data, der.len, tl->log_id);
		buf_release(&der);
		if (rc < 0)
			return error_msg("trusted root: bad tlog key");
		tl->base_url = xstrdup(url ? url : "");
		t->nr_logs++;
		if (load_window(pk, &tl->valid) < 0)
			return -1;
	}
	return 0;
}

static int
load_cas(struct trust_root *t, const cJSON *arr)
{
	const cJSON *ca, *c;

	cJSON_ArrayForEach(ca, arr)
	{
		const cJSON *chain =
		    cJSON_GetObjectItemCaseSensitive(ca, "certChain");
		const cJSON *certs =
		    cJSON_GetObjectItemCaseSensitive(chain, "certificates");
		struct trust_ca *tc;

		if (t->nr_cas >= TRUST_MAX_CAS)
			return error_msg("trusted root: too many CAs");
		tc = &t->cas[t->nr_cas++];
		tc->certs = sk_X509_new_null();
		if (load_window(ca, &tc->valid) < 0)
			return -1;
		cJSON_ArrayForEach(c, certs)
		{
			const char *raw = json_opt_str(c, "rawBytes");
			struct buf der = BUF_INIT(64 * 1024);
			const unsigned char *p;
			X509 *x = NULL;

			if (raw != NULL &&
			    base64_decode(&der, raw, strlen(raw)) == 0) {
				p = (const unsigned char *)der.data;
				x = d2i_X509(NULL, &p, (long)der.len);
			}
			buf_release(&der);
			if (x == NULL)
				return error_msg("trusted root: bad CA "
				                 "certificate");
			sk_X509_push(tc->certs, x);
		}
	}
	return 0;
}

/* logId.keyId when present (sigstore-js matches on it), else by definition. */
static int
ctlog_id(const cJSON *l, const struct buf *der, uint8_t id[32])
{
	const char *kid =
	    json_opt_str(cJSON_GetObjectItemCaseSensitive(l, "logId"), "keyId");
	struct buf raw = BUF_INIT(1024);
	int rc;

	if (kid == NULL)
		return hash_sha256(der->data, der->len, id);
	rc = base64_decode(&raw, kid, strlen(kid));
	if (rc == 0 && raw.len != 32)
		rc = -1;
	if (rc == 0)
		memcpy(id, raw.data, 32);
	buf_release(&raw);
	return rc;
}

static int
load_ctlogs(struct trust_root *t, const cJSON *arr)
{
	const cJSON *l;

	cJSON_ArrayForEach(l, arr)
	{
		const cJSON *pk =
		    cJSON_GetObjectItemCaseSensitive(l, "publicKey");
		const char *raw = json_opt_str(pk, "rawBytes");
		struct buf der = BUF_INIT(64 * 1024);
		struct trust_ctlog *tc;
		const unsigned char *p;
		int rc;

		if (t->nr_ctlogs >= TRUST_MAX_CTLOGS)
			return error_msg("trusted root: too many ctlogs");
		if (raw == NULL)
			return error_msg("trusted root: ctlog without "
			                 "publicKey.rawBytes");
		tc = &t->ctlogs[t->nr_ctlogs];
		rc = base64_decode(&der, raw, strlen(raw));
		if (rc == 0) {
			p = (const unsigned char *)der.data;
			tc->pkey = d2i_PUBKEY(NULL, &p, (long)der.len);
			if (tc->pkey == NULL)
				rc = -1;
			else
				t->nr_ctlogs++;
		}
		if (rc == 0)
			rc = ctlog_id(l, &der, tc->log_id);
		buf_release(&der);
		if (rc < 0) {
			ERR_clear_error();
			return error_msg("trusted root: bad ctlog key");
		}
		if (load_window(pk, &tc->valid) < 0)
			return -1;
	}
	return 0;
}

int
trust_root_load(struct trust_root *t, const char *path)
{
	cJSON *root = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (json_load_file(path, TRUST_FILE_MAX, &root) < 0)
		goto out;
	if (load_logs(t, cJSON_GetObjectItemCaseSensitive(root, "tlogs")) < 0 ||
	    load_cas(t, cJSON_GetObjectItemCaseSensitive(
	                    root, "certificateAuthorities")) < 0 ||
	    load_ctlogs(t, cJSON_GetObjectItemCaseSensitive(root, "ctlogs")) <
	        0)
		goto out;
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

void
trust_root_release(struct trust_root *t)
{
	size_t i;

	for (i = 0; i < t->nr_logs; i++) {
		sign_key_release(&t->logs[i].key);
		free(t->logs[i].base_url);
	}
	t->nr_logs = 0;
	for (i = 0; i < t->nr_cas; i++)
		sk_X509_pop_free(t->cas[i].certs, X509_free);
	t->nr_cas = 0;
	for (i = 0; i < t->nr_ctlogs; i++)
		EVP_PKEY_free(t->ctlogs[i].pkey);
	t->nr_ctlogs = 0;
}

const struct trust_log *
trust_root_log(const struct trust_root *t, const uint8_t *log_id, size_t len)
{
	size_t i;

	if (len != 32)
		return NULL;
	for (i = 0; i < t->nr_logs; i++)
		if (memcmp(t->logs[i].log_id, log_id, 32) == 0)
			return &t->logs[i];
	return NULL;
}
