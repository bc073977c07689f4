#ifndef SIGN_BUNDLE_H
#define SIGN_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"

#include "common/buf.h"
#include "common/compat.h"

/*
 * Sigstore bundle v0.3 in protobuf JSON form: lowerCamelCase names, bytes
 * as standard padded base64, int64 as decimal strings, enums by name.
 *
 * struct tlog_entry is one Rekor v1 entry as the bundle carries it, with
 * every bytes field decoded. struct bundle is a parsed bundle; both own
 * their buffers (bundle_release / tlog_entry_release, safe when zeroed).
 */
#define BUNDLE_MEDIA_TYPE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define BUNDLE_MAX_SIZE ((size_t)64 << 20)
#define TLOG_MAX_PROOF_HASHES 64

struct tlog_entry {
	int64_t log_index; /* global index (SET, logIndex) */
	struct buf log_id; /* 32 bytes */
	char kind[32], version[16];
	int64_t integrated_time;
	struct buf set;  /* signedEntryTimestamp, DER ECDSA */
	struct buf body; /* canonicalizedBody, decoded */
	bool has_proof;
	int64_t proof_index; /* tree-local */
	int64_t tree_size;
	uint8_t root_hash[32];
	uint8_t hashes[TLOG_MAX_PROOF_HASHES][32];
	size_t nr_hashes;
	char *checkpoint;
};

void tlog_entry_init(struct tlog_entry *e);
void tlog_entry_release(struct tlog_entry *e);

enum bundle_content {
	BUNDLE_MESSAGE = 1,
	BUNDLE_DSSE = 2
};

struct bundle {
	enum bundle_content content;
	char *hint;          /* publicKey.hint, or NULL */
	struct buf cert_der; /* certificate.rawBytes (leaf), or empty */
	/* messageSignature */
	uint8_t digest[32];
	bool has_digest;
	/* both: the signature bytes */
	struct buf sig;
	/* dsseEnvelope */
	struct buf payload;
	char *payload_type;
	/* the first tlog entry (the only one we produce or check) */
	struct tlog_entry tlog;
	size_t nr_tlog;
};

void bundle_init(struct bundle *b);
void bundle_release(struct bundle *b);

/* Parses JSON text; -1 with a reason naming `what`. */
int bundle_parse(
    struct bundle *b, const char *json, size_t len, const char *what);

/*
 * Builds a v0.3 bundle. Verification material: `hint` (keyed) or `cert_der`
 * (keyless leaf). tlog may be NULL (keyed: "tlogEntries": []).
 */
struct bundle_material {
	const char *hint;
	const void *cert_der;
	size_t cert_len;
	const struct tlog_entry *tlog;
};
cJSON *bundle_message_json(const struct bundle_material *m,
    const uint8_t digest[32], const void *sig, size_t siglen);
cJSON *bundle_dsse_json(const struct bundle_material *m, const char *ptype,
    const void *payload, size_t plen, const void *sig, size_t siglen);

/* The DSSE envelope object alone ({payload, payloadType, signatures}). */
cJSON *dsse_envelope_json(const char *ptype, const void *payload, size_t plen,
    const void *sig, size_t siglen);

/* Adds a base64 string member. */
void json_add_b64(cJSON *obj, const char *key, const void *data, size_t len);

#endif
