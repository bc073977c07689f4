#ifndef AUDIT_SYNC_H
#define AUDIT_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "note.h"

/*
 * Sharing one log between runners through a git branch (real `git` CLI,
 * no shell).
 *
 * Each runner keeps its own local log as an outbox. The branch holds the
 * shared log directory plus sync-state/<source-id>: how many of that
 * source's local entries are already in the shared log. A sync:
 *   1. clones the branch (or starts it, orphan, if it does not exist);
 *   2. verifies the shared log (every hash; checkpoint signatures with the
 *      verifier keys, if given) and that it is consistent with the shared
 *      checkpoint this runner saw last (remote-checkpoint in the local log),
 *      so a rewritten branch is refused;
 *   3. appends the local entries not yet pushed, in order, as one commit,
 *      signs a checkpoint if a signer is given, updates sync-state;
 *   4. pushes without force. A rejected push (someone else appended first)
 *      starts over from a fresh clone, up to `retries` times with jittered
 *      backoff. Because sync-state moves in the same commit as the entries,
 *      an entry is never pushed twice or lost.
 * Returns 0, 1 if the shared log failed verification or diverged, -1 on
 * other errors.
 */
struct sync_opts {
	const char *log, *remote, *branch;
	const struct note_signer *signer; /* NULL: no checkpoint */
	const struct note_verifier *keys;
	size_t nkeys;
	long retries;
	uint64_t pushed, size; /* results */
	uint64_t attempts;
};

int log_sync(struct sync_opts *o);

#endif
