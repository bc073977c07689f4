#include "common/compat.h"

#include <string.h>

#include "checkpoint.h"
#include "note.h"
#include "common/base64.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"

int
checkpoint_format(
    const char *origin, uint64_t size, const merkle_hash root, struct buf *out)
{
	if (buf_addf(out, "%s\n%llu\n", origin, (unsigned long long)size) < 0 ||
	    base64_encode(out, root, MERKLE_HASH_LEN) < 0 ||
	    buf_addch(out, '\n') < 0)
		return -1;
	return 0;
}

/* Next line [p, *e) of text; -1 if there is no terminated line. */
static int
next_line(const char *text, size_t len, size_t p, size_t *e)
{
	const char *nl = memchr(text + p, '\n', len - p);

	if (p >= len || nl == NULL)
		return -1;
	*e = (size_t)(nl - text);
	return 0;
}

int
checkpoint_parse(
    const char *what, const char *text, size_t len, struct checkpoint *c)
{
	struct buf raw = BUF_INIT(64);
	size_t e1, e2, e3, i, ol;
	uint64_t size = 0;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (next_line(text, len, 0, &e1) < 0 || e1 == 0 ||
	    memchr(text, 0, e1) != NULL) {
		error_msg("'%s': checkpoint line 1: expected an origin", what);
		goto out;
	}
	ol = e1;
	if (next_line(text, len, e1 + 1, &e2) < 0 || e2 == e1 + 1 ||
	    e2 - e1 - 1 > 20 || (text[e1 + 1] == '0' && e2 > e1 + 2)) {
		error_msg(
		    "'%s': checkpoint line 2: expected a decimal size", what);
		goto out;
	}
	for (i = e1 + 1; i < e2; i++) {
		if (text[i] < '0' || text[i] > '9' ||
		    size > (UINT64_MAX >> 1) / 10) {
			error_msg("'%s': checkpoint line 2: expected a decimal "
			          "size",
			    what);
			goto out;
		}
		size = size * 10 + (uint64_t)(text[i] - '0');
	}
	if (next_line(text, len, e2 + 1, &e3) < 0 ||
	    base64_decode(&raw, text + e2 + 1, e3 - e2 - 1) < 0 ||
	    raw.len != MERKLE_HASH_LEN) {
		error_msg("'%s': checkpoint line 3: expected a base64 SHA-256 "
		          "root",
		    what);
		goto out;
	}
	/* Extension lines must be non-empty. */
	for (i = e3 + 1; i < len; i = e1 + 1)
		if (next_line(text, len, i, &e1) < 0 || e1 == i) {
			error_msg(
			    "'%s': checkpoint has an empty or unterminated "
			    "extension line",
			    what);
			goto out;
		}
	c->origin = xstrndup(text, ol);
	c->size = size;
	memcpy(c->root, raw.data, MERKLE_HASH_LEN);
	ret = 0;
out:
	buf_release(&raw);
	return ret;
}

int
checkpoint_open(const char *what, const char *msg, size_t len,
    const struct note_verifier *known, size_t nknown, struct checkpoint *c)
{
	size_t tl, ver, unk;

	memset(c, 0, sizeof(*c));
	if (nknown == 0) {
		if (note_split(msg, len, &tl) < 0)
			return error_msg("'%s': not a signed checkpoint", what);
	} else if (note_open(msg, len, known, nknown, &tl, &ver, &unk) < 0)
		return error_msg(
		    "'%s': checkpoint signature check failed", what);
	return checkpoint_parse(what, msg, tl, c);
}

int
checkpoint_load(const char *path, struct checkpoint *c, struct buf *note)
{
	struct buf own = BUF_INIT(NOTE_MAX_SIZE);
	struct buf *b = note ? note : &own;
	size_t start = b->len, tl;
	int ret = -1;

	if (fs_read_file(path, NOTE_MAX_SIZE, b) < 0 ||
	    note_split(b->data + start, b->len - start, &tl) < 0 ||
	    checkpoint_parse(path, b->data + start, tl, c) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&own);
	return ret;
}

void
checkpoint_release(struct checkpoint *c)
{
	free(c->origin);
	memset(c, 0, sizeof(*c));
}
