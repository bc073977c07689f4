#ifndef SIGN_KEYS_H
#define SIGN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * Signing keys: ECDSA P-256 (signatures over SHA-256, ASN.1 DER, as
 * Sigstore and cosign want) and Ed25519 (pure, over the whole message).
 *
 * struct sign_key owns an EVP_PKEY; sign_key_release frees it and is safe on
 * a zeroed or released struct. Private keys are PKCS#8 PEM, encrypted
 * (AES-256-CBC, PBKDF2) when a passphrase is given; public keys are SPKI PEM.
 */
enum key_type {
	KEY_ECDSA_P256 = 0,
	KEY_ED25519 = 1
};

struct sign_key {
	void *pkey; /* EVP_PKEY */
	enum key_type type;
	bool has_private;
};
#define SIGN_KEY_INIT                                                          \
	{                                                                      \
		NULL, KEY_ECDSA_P256, false                                    \
	}

/*
 * Buffer cap for fs_read_file(path, max, ...): it grows the buffer 64 KiB
 * ahead of each read, so the buffer's own cap must leave that headroom.
 */
#define READ_CAP(max) ((max) + 65536 + 1)

/* Environment variable holding the passphrase of encrypted private keys. */
#define SIGN_PASSPHRASE_ENV "SIGN_ARTIFACT_PASSPHRASE"

int key_type_parse(const char *s, enum key_type *out);
const char *key_type_name(enum key_type t);

int sign_key_generate(struct sign_key *k, enum key_type type);
/* PEM writers append to out. passphrase NULL or "" writes a plain key. */
int sign_key_private_pem(
    const struct sign_key *k, const char *passphrase, struct buf *out);
int sign_key_public_pem(const struct sign_key *k, struct buf *out);
/* DER SubjectPublicKeyInfo. */
int sign_key_spki_der(const struct sign_key *k, struct buf *out);
/* base64(SHA-256(SPKI DER)), the hint cosign and sigstore-go write. */
int sign_key_hint(const struct sign_key *k, struct buf *out);

/* Loads a private key PEM (PKCS#8, plain or encrypted, or SEC1). */
int sign_key_load_private(
    struct sign_key *k, const char *path, const char *passphrase);
/* Loads a public key from an SPKI PEM file. */
int sign_key_load_public(struct sign_key *k, const char *path);
/* From memory: PEM text or DER SPKI. */
int sign_key_from_spki_der(struct sign_key *k, const void *der, size_t len);
/* Takes ownership of an EVP_PKEY (public or private). */
int sign_key_from_pkey(struct sign_key *k, void *pkey, bool has_private);
void sign_key_release(struct sign_key *k);

/* Signs msg: DER ECDSA-SHA256 or raw 64-byte Ed25519. Appends to sig. */
int sign_key_sign(
    const struct sign_key *k, const void *msg, size_t len, struct buf *sig);
/*
 * ECDSA only: sign / verify a precomputed SHA-256 digest (the same DER
 * signature as signing the message), so large files are hashed once, fast.
 */
int sign_key_sign_digest(
    const struct sign_key *k, const uint8_t d[32], struct buf *sig);
int sign_key_verify_digest(const struct sign_key *k, const uint8_t d[32],
    const void *sig, size_t siglen);
/* 1 valid, 0 invalid, -1 error. */
int sign_key_verify(const struct sign_key *k, const void *msg, size_t len,
    const void *sig, size_t siglen);

#endif
