#ifndef AUDIT_PROOF_H
#define AUDIT_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "merkle.h"

/*
 * Proof files.
 *
 * Inclusion: C2SP tlog-proof v1 (research/tlog.md §3),
 *   c2sp.org/tlog-proof@v1
 *   extra <base64 entry>          (optional; we put the entry itself here)
 *   index <N>
 *   <base64 hash>                 (inclusion path, leaf side first)
 *   ...
 *   <blank line>
 *   <signed checkpoint note>
 *
 * Consistency: the C2SP tlog-witness add-checkpoint body,
 *   old <M>
 *   <base64 hash>...
 *   <blank line>
 *   <signed checkpoint note of the new size>
 *
 * struct proof owns `extra` and `note`; proof_release frees them.
 */
#define PROOF_MAX_SIZE ((size_t)1 << 20)

struct proof {
	bool has_index; /* inclusion (index) or consistency (old size) */
	uint64_t n;     /* index, or old size */
	merkle_hash path[MERKLE_MAX_PATH];
	size_t len;
	struct buf extra; /* decoded extra data (inclusion only) */
	struct buf note;  /* the checkpoint note, verbatim */
};

void proof_init(struct proof *p);
void proof_release(struct proof *p);

int proof_format(const struct proof *p, struct buf *out);
/* -1 with a message naming `what` and the line. */
int proof_parse(
    const char *what, const char *data, size_t len, struct proof *p);

#endif
