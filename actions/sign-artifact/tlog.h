#ifndef SIGN_TLOG_H
#define SIGN_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "common/compat.h"
#include "trust.h"

/*
 * Offline checks of a Rekor v1 entry against a trusted root:
 * - the signed entry timestamp: ECDSA over the RFC 8785 JSON
 *   {"body","integratedTime","logID" (hex),"logIndex" (global)};
 * - the RFC 6962 inclusion proof (leaf = SHA-256(0x00 || body)) up to
 *   rootHash at treeSize;
 * - the checkpoint: a signed note whose size and root equal the proof's,
 *   signed by the same log (4-byte key hint = logId prefix).
 * Every failure is -1 with a one-line reason.
 */
int tlog_verify_set(const struct tlog_entry *e, const struct trust_log *log);
int tlog_verify_proof(const struct tlog_entry *e);
int tlog_verify_checkpoint(
    const struct tlog_entry *e, const struct trust_log *log);
int tlog_verify(const struct tlog_entry *e, const struct trust_root *t);

/* RFC 9162 2.1.3.2; returns true if the proof reproduces root. */
bool merkle_verify_inclusion(uint64_t index, uint64_t size,
    const uint8_t leaf[32], const uint8_t (*proof)[32], size_t n,
    const uint8_t root[32]);
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[32]);

#endif
