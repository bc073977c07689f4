#ifndef AUDIT_CHECKPOINT_H
#define AUDIT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "merkle.h"
#include "note.h"

/*
 * C2SP tlog-checkpoint v1.0.0 bodies: "<origin>\n<size>\n<base64 root>\n"
 * followed by optional extension lines (kept verbatim, not interpreted).
 * The signed form is a signed note (note.h) over that body.
 *
 * struct checkpoint owns origin; checkpoint_release frees it.
 */
struct checkpoint {
	char *origin;
	uint64_t size;
	merkle_hash root;
};

int checkpoint_format(
    const char *origin, uint64_t size, const merkle_hash root, struct buf *out);
/* Parses a checkpoint body (the note text); -1 with a message naming
 * `what` (a file name) and the bad line. */
int checkpoint_parse(
    const char *what, const char *text, size_t len, struct checkpoint *c);
/* Verifies the note with `known` (nknown may be 0: signatures are then not
 * checked, only the format), then parses the body. */
int checkpoint_open(const char *what, const char *msg, size_t len,
    const struct note_verifier *known, size_t nknown, struct checkpoint *c);
/* Reads the signed checkpoint file at path (signatures are not checked
 * here; verify does that) and parses it into *c. The note's bytes are
 * appended to note when it is non-NULL. -1 with a message naming path. */
int checkpoint_load(const char *path, struct checkpoint *c, struct buf *note);
void checkpoint_release(struct checkpoint *c);

#endif
