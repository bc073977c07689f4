#ifndef AUDIT_COSIG_H
#define AUDIT_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"

/*
 * C2SP tlog-cosignature v1 with Ed25519 (research/tlog.md §4): a witness
 * adds a signature line to a checkpoint note,
 *
 *   "— <name> <base64(key id || u64be timestamp || Ed25519 signature)>"
 *
 * with key id = SHA-256(name || "\n" || 0x04 || pub)[:4], over the message
 * "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint text.
 *
 * cosig_check verifies, in the signed note msg (named `what` in messages),
 * every line that belongs to one of the witness keys w[0..nw) (alg
 * NOTE_ALG_COSIGNATURE). A bad one is an error (-1 with a message naming
 * the witness); each witness with a valid cosignature gets found[k] set
 * and its timestamp in when[k] (if when is not NULL).
 */
int cosig_check(const char *what, const char *msg, size_t len,
    const struct note_verifier *w, size_t nw, bool *found, uint64_t *when);

/* Builds the message a witness signs; appends to out. */
int cosig_message(
    const char *text, size_t len, uint64_t timestamp, struct buf *out);

#endif
