#ifndef AUDIT_VERIFY_H
#define AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "log_store.h"
#include "merkle.h"
#include "note.h"

/*
 * Full verification of a log: every entry is re-hashed and the tree is
 * rebuilt in one sequential pass over entries, offsets and hashes (no
 * random reads), comparing every stored hash and offset. Then each signed
 * checkpoint (the log's own checkpoints/ plus `extra` files) is verified
 * against `keys` and must match the recomputed root at its size, which
 * also proves the checkpoints consistent with one another.
 *
 * Returns 0 if everything holds, 1 if the check failed (the first problem is
 * reported with error_msg: entry index, byte offset, file and reason), -1
 * if it could not run. r receives the size and root.
 */
struct verify_opts {
	const struct note_verifier *keys;
	size_t nkeys;
	char *const *extra; /* checkpoint files, NULL-terminated or NULL */
	/* Witness keys (NOTE_ALG_COSIGNATURE): any cosignature of theirs
	 * must be valid and each must cosign at least one checkpoint. */
	const struct note_verifier *witnesses;
	size_t nwitnesses;
	bool strict; /* also require canonical JSON objects */
};

struct verify_result {
	uint64_t size;
	merkle_hash root;
	uint64_t checkpoints;
	uint64_t signed_size;
	uint64_t bytes;
	uint64_t cosigned; /* witnesses with a valid cosignature */
};

int log_verify(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r);

#endif
