#ifndef AUDIT_NOTE_H
#define AUDIT_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * C2SP signed-note v1.0.0 with Ed25519 (type 0x01), the format Go's
 * golang.org/x/mod/sumdb/note reads (research/tlog.md §2).
 *
 *   verifier key  <name>+<hex8 id>+<base64(0x01 || 32-byte public key)>
 *                 (0x04 instead of 0x01: a witness's cosignature key)
 *   signer key    PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 || 32-byte seed)>
 *   key id        SHA-256(name || "\n" || 0x01 || pub)[:4], big endian
 *   note          text ending in "\n", "\n", then lines
 *                 "— <name> <base64(id || signature)>\n"
 *
 * The structs own their name (released by *_release, safe on zeroed
 * structs). The seed is wiped on release.
 */
#define NOTE_MAX_SIGS 100
#define NOTE_MAX_SIZE ((size_t)1 << 20)

/* Key types: signed-note Ed25519, and C2SP tlog-cosignature v1 Ed25519
 * (a witness key: see cosig.h; note_open ignores such keys). */
#define NOTE_ALG_ED25519 0x01
#define NOTE_ALG_COSIGNATURE 0x04

struct note_verifier {
	char *name;
	uint32_t id;
	uint8_t pub[32];
	uint8_t alg; /* NOTE_ALG_*; 0 means NOTE_ALG_ED25519 */
};

struct note_signer {
	struct note_verifier v;
	uint8_t seed[32];
};

bool note_name_valid(const char *name, size_t len);
int note_key_id(const char *name, const uint8_t pub[32], uint32_t *id);
int note_key_id_alg(
    const char *name, uint8_t alg, const uint8_t pub[32], uint32_t *id);
/* Ed25519 over text with a raw 32-byte public key. */
bool note_ed25519_verify(const uint8_t pub[32], const char *text, size_t len,
    const uint8_t *sig, size_t siglen);

int note_signer_generate(struct note_signer *s, const char *name);
int note_signer_from_seed(
    struct note_signer *s, const char *name, const uint8_t seed[32]);
int note_signer_parse(struct note_signer *s, const char *skey);
int note_signer_format(const struct note_signer *s, struct buf *out);
void note_signer_release(struct note_signer *s);

int note_verifier_parse(struct note_verifier *v, const char *vkey);
int note_verifier_format(const struct note_verifier *v, struct buf *out);
void note_verifier_release(struct note_verifier *v);

/* Appends text + "\n" + one signature line to out. text must end in "\n"
 * and be a valid note text. */
int note_sign(
    const char *text, size_t len, const struct note_signer *s, struct buf *out);

/*
 * Parses and verifies a signed note against `known` verifiers (Go
 * note.Open rules): malformed notes, more than NOTE_MAX_SIGS signatures,
 * an invalid signature from a known key, or no valid known signature are
 * errors (-1 with a message). Signatures from unknown keys are ignored
 * but counted in *unknown. On success *text_len is the length of the
 * signed text (a prefix of msg) and *verified the number of known keys
 * that signed.
 */
int note_open(const char *msg, size_t len, const struct note_verifier *known,
    size_t nknown, size_t *text_len, size_t *verified, size_t *unknown);

/* Splits without verifying (text, signature block); -1 if malformed. */
int note_split(const char *msg, size_t len, size_t *text_len);

#endif
