#ifndef SIGN_TRUST_H
#define SIGN_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "keys.h"

/*
 * A Sigstore trusted_root.json (application/vnd.dev.sigstore.trustedroot
 * +json;version=0.1): transparency logs (key, logId, baseUrl),
 * certificate authorities (DER chains) and certificate transparency logs
 * (key, logId: they vouch for the SCTs in Fulcio leaves). Owns everything;
 * trust_root_release frees it and is safe when zeroed.
 */
#define TRUST_MAX_LOGS 16
#define TRUST_MAX_CAS 16
#define TRUST_MAX_CTLOGS 16

/* validFor: [start, end] in Unix seconds; 0 = open on that side. */
struct trust_window {
	int64_t start, end;
};

struct trust_log {
	struct sign_key key;
	uint8_t log_id[32];
	char *base_url;
	struct trust_window valid;
};

struct trust_ca {
	void *certs; /* STACK_OF(X509): the CA's chain, all trust anchors */
	struct trust_window valid;
};

/* Any key type OpenSSL verifies: CT logs are not ours to choose. */
struct trust_ctlog {
	void *pkey;         /* EVP_PKEY */
	uint8_t log_id[32]; /* logId.keyId, else SHA-256 of the key's DER */
	struct trust_window valid;
};

struct trust_root {
	struct trust_log logs[TRUST_MAX_LOGS];
	size_t nr_logs;
	struct trust_ca cas[TRUST_MAX_CAS];
	size_t nr_cas;
	struct trust_ctlog ctlogs[TRUST_MAX_CTLOGS];
	size_t nr_ctlogs;
};

bool trust_window_contains(const struct trust_window *w, int64_t t);
/* RFC 3339 "2006-01-02T15:04:05[.frac]Z" -> Unix seconds; -1 if malformed. */
int trust_parse_time(const char *s, int64_t *out);

int trust_root_load(struct trust_root *t, const char *path);
void trust_root_release(struct trust_root *t);
/* NULL if no log has that id (the caller checks the log's window). */
const struct trust_log *trust_root_log(
    const struct trust_root *t, const uint8_t *log_id, size_t len);

#endif
