#ifndef SIGN_SIGNER_H
#define SIGN_SIGNER_H

#include <sys/types.h>

#include "bundle.h"
#include "common/buf.h"
#include "common/compat.h"
#include "common/strlist.h"
#include "digest.h"
#include "keyless.h"
#include "keys.h"
#include "sign.h"
#include "trust.h"

/*
 * What sign and attest share: operand expansion, parallel hashing, the
 * signer (a loaded key or a keyless session), the bundle's verification
 * material, the self-check against --trusted-root and whole-file writes.
 * Internal to sign-artifact; see sign.h for the verbs.
 */
#define ED25519_MSG_MAX ((size_t)1 << 30)

/* The signer: a loaded key, or the keyless session's ephemeral key. */
struct signer {
	struct sign_key key;
	struct keyless kl;
	bool keyless;
	struct trust_root root;
	bool has_root;
};

/* Operands are files or globs; appends to out; -1 if none. */
int expand_operands(int argc, char **argv, struct strlist *out);
/* Hashes all paths in parallel; NULL (message logged) if any failed. */
struct digest_item *hash_all(const struct strlist *paths, long jobs);

/* The signer: memset and filled; signer_close is safe after a failure. */
int signer_open(struct signer *s, const struct sign_opts *o);
const struct sign_key *signer_key(const struct signer *s);
void signer_close(struct signer *s);
/* hint is the buffer that keeps a keyed hint alive. */
void material_init(
    struct bundle_material *m, const struct signer *s, struct buf *hint);
/* 0 when no --trusted-root, or when the bundle text verifies. */
int self_check(const struct signer *s, const char *text, const char *artifact,
    const uint8_t d[32]);

/* Temp file + rename in the same directory (no fsync: regenerable). */
int write_replace(const char *path, const void *data, size_t len, mode_t mode);

#endif
