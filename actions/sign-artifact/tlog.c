#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/hash.h"
#include "common/log.h"
#include "tlog.h"

void
merkle_leaf_hash(const void *data, size_t len, uint8_t out[32])
{
	struct hash_ctx c = HASH_CTX_INIT;
	uint8_t z = 0;

	hash_init(&c);
	hash_update(&c, &z, 1);
	hash_update(&c, data, len);
	hash_final(&c, out);
	hash_release(&c);
}

static void
node_hash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
	uint8_t in[65];

	in[0] = 1;
	memcpy(in + 1, l, 32);
	memcpy(in + 33, r, 32);
	hash_sha256(in, sizeof(in), out);
}

bool
merkle_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf[32],
    const uint8_t (*proof)[32], size_t n, const uint8_t root[32])
{
	uint64_t fn = index, sn;
	uint8_t r[32];
	size_t i;

	if (index >= size)
		return false;
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			node_hash(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_equal(r, root, 32);
}

int
tlog_verify_set(const struct tlog_entry *e, const struct trust_log *log)
{
	struct buf msg = BUF_INIT(0), b64 = BUF_INIT(0);
	char hex[65];
	int rc = -1;

	if (e->set.len == 0)
		return error_msg("no signed entry timestamp in tlog entry");
	if (e->log_id.len != 32)
		return error_msg("tlog entry log id is not 32 bytes");
	hash_hex((const uint8_t *)e->log_id.data, 32, hex);
	/* RFC 8785: keys sorted, no spaces; base64 and hex need no escapes. */
	if (base64_encode(&b64, e->body.data, e->body.len) < 0 ||
	    buf_addf(&msg,
	        "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\","
	        "\"logIndex\":%lld}",
	        b64.data, (long long)e->integrated_time, hex,
	        (long long)e->log_index) < 0)
		goto out;
	if (sign_key_verify(
	        &log->key, msg.data, msg.len, e->set.data, e->set.len) != 1) {
		error_msg("signed entry timestamp does not verify");
		goto out;
	}
	rc = 0;
out:
	buf_release(&msg);
	buf_release(&b64);
	return rc;
}

int
tlog_verify_proof(const struct tlog_entry *e)
{
	uint8_t leaf[32];

	if (!e->has_proof)
		return error_msg("no inclusion proof in tlog entry");
	merkle_leaf_hash(e->body.data, e->body.len, leaf);
	if (e->proof_index < 0 || e->tree_size <= 0 ||
	    !merkle_verify_inclusion((uint64_t)e->proof_index,
	        (uint64_t)e->tree_size, leaf, (const uint8_t(*)[32])e->hashes,
	        e->nr_hashes, e->root_hash))
		return error_msg("inclusion proof does not verify");
	return 0;
}

/* The signer name of a Rekor checkpoint is its base URL's host. */
static bool
name_matches(const char *base_url, const char *name, size_t len)
{
	const char *h = base_url ? strstr(base_url, "://") : NULL;
	size_t hl;

	if (base_url == NULL || *base_url == '\0')
		return true;
	h = h ? h + 3 : base_url;
	hl = strcspn(h, "/");
	return hl == len && memcmp(h, name, len) == 0;
}

int
tlog_verify_checkpoint(const struct tlog_entry *e, const struct trust_log *log)
{
	const char *cp = e->checkpoint, *sep, *line, *nl, *sp;
	struct buf sig = BUF_INIT(4096), root = BUF_INIT(64);
	char size[32];
	size_t body_len;
	const char *p;
	int rc = -1, found = 0;

	if (cp == NULL || (sep = strstr(cp, "\n\n")) == NULL) {
		error_msg("checkpoint is not a signed note");
		goto out;
	}
	body_len = (size_t)(sep - cp) + 1;
	/* Body: origin, size, base64 root hash (then optional lines). */
	p = strchr(cp, '\n');
	nl = p ? strchr(p + 1, '\n') : NULL;
	if (p == NULL || nl == NULL || (size_t)(nl - p - 1) >= sizeof(size)) {
		error_msg("checkpoint body is malformed");
		goto out;
	}
	snprintf(size, sizeof(size), "%lld", (long long)e->tree_size);
	if (strlen(size) != (size_t)(nl - p - 1) ||
	    memcmp(size, p + 1, strlen(size)) != 0) {
		error_msg("checkpoint size does not match inclusion proof");
		goto out;
	}
	p = strchr(nl + 1, '\n');
	if (p == NULL ||
	    base64_decode(&root, nl + 1, (size_t)(p - nl - 1)) < 0 ||
	    root.len != 32 || !hash_equal(root.data, e->root_hash, 32)) {
		error_msg("checkpoint root does not match inclusion proof");
		goto out;
	}
	/* Signature lines: "\xe2\x80\x94 <name> <base64(hint4 || sig)>". */
	for (line = sep + 2; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		if (strncmp(line, "\xe2\x80\x94 ", 4) != 0)
			continue;
		sp = memchr(line + 4, ' ', (size_t)(nl - line - 4));
		if (sp == NULL || !name_matches(log->base_url, line + 4,
		                      (size_t)(sp - line - 4)))
			continue;
		buf_reset(&sig);
		if (base64_decode(&sig, sp + 1, (size_t)(nl - sp - 1)) < 0 ||
		    sig.len < 5 || memcmp(sig.data, log->log_id, 4) != 0)
			continue;
		if (sign_key_verify(&log->key, cp, body_len, sig.data + 4,
		        sig.len - 4) == 1) {
			found = 1;
			break;
		}
	}
	if (!found) {
		error_msg("checkpoint signature does not verify");
		goto out;
	}
	rc = 0;
out:
	buf_release(&sig);
	buf_release(&root);
	return rc;
}

int
tlog_verify(const struct tlog_entry *e, const struct trust_root *t)
{
	const struct trust_log *log =
	    trust_root_log(t, (const uint8_t *)e->log_id.data, e->log_id.len);

	if (log == NULL)
		return error_msg("tlog entry is from a log not in the trusted "
		                 "root");
	if (!trust_window_contains(&log->valid, e->integrated_time))
		return error_msg("tlog key is not valid at the entry's "
		                 "integrated time");
	if (tlog_verify_set(e, log) < 0 || tlog_verify_proof(e) < 0 ||
	    tlog_verify_checkpoint(e, log) < 0)
		return -1;
	return 0;
}
