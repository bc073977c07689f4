#include "common/compat.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "entry.h"
#include "verify.h"

/* Sequential reader with a sliding window. */
struct seq {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t cap, len, pos;
	uint64_t off; /* file offset of buf[0] */
	bool eof;
};

static void
seq_init(struct seq *s, int fd, const char *name, size_t cap)
{
	s->fd = fd;
	s->name = name;
	s->buf = xmalloc(cap);
	s->cap = cap;
	s->len = s->pos = 0;
	s->off = 0;
	s->eof = false;
}

/* Makes at least `need` bytes available at pos unless at EOF. */
static int
seq_fill(struct seq *s, size_t need, size_t *avail)
{
	ssize_t n;

	if (s->len - s->pos < need && !s->eof) {
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->off += s->pos;
		s->len -= s->pos;
		s->pos = 0;
		while (s->len < s->cap && !s->eof) {
			n = pread(s->fd, s->buf + s->len, s->cap - s->len,
			    (off_t)(s->off + s->len));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return error_errno("cannot read '%s'", s->name);
			if (n == 0)
				s->eof = true;
			s->len += (size_t)n;
		}
	}
	*avail = s->len - s->pos;
	return 0;
}

static uint64_t
seq_where(const struct seq *s)
{
	return s->off + s->pos;
}

/* Checks one entry line; 1 with a message if it is not a canonical
 * JSON object. */
static int
check_json(const uint8_t *p, size_t len, uint64_t i, uint64_t at)
{
	struct buf canon = BUF_INIT(SIZE_MAX);
	cJSON *v = NULL;
	int ret = 1;

	if (json_parse((const char *)p, len, "entry", &v) < 0 ||
	    !cJSON_IsObject(v) || json_canonical(v, &canon) < 0 ||
	    canon.len != len || memcmp(canon.data, p, len) != 0)
		error_msg(
		    "entry %llu at byte %llu of 'entries': not a canonical "
		    "JSON object",
		    (unsigned long long)i, (unsigned long long)at);
	else
		ret = 0;
	cJSON_Delete(v);
	buf_release(&canon);
	return ret;
}

static int
check_entries(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r)
{
	struct seq e, of, h;
	struct merkle_stack st;
	merkle_hash out[65];
	char hx[2][65];
	const uint8_t *p, *nl;
	uint64_t i, at, end;
	size_t avail, len;
	unsigned nout, k;
	int ret = -1;

	seq_init(&e, l->entries_fd, "entries", (size_t)4 << 20);
	seq_init(&of, l->offsets_fd, "offsets", (size_t)1 << 20);
	seq_init(&h, l->hashes_fd, "hashes", (size_t)1 << 20);
	merkle_stack_init(&st);
	for (i = 0; i < l->size; i++) {
		at = seq_where(&e);
		if (seq_fill(&e, LOG_ENTRY_MAX + 1, &avail) < 0)
			goto out;
		p = e.buf + e.pos;
		nl = memchr(p, '\n',
		    avail < LOG_ENTRY_MAX + 1 ? avail : LOG_ENTRY_MAX + 1);
		if (nl == NULL || nl == p) {
			error_msg("entry %llu at byte %llu of 'entries': %s",
			    (unsigned long long)i, (unsigned long long)at,
			    nl == p ? "empty line"
			    : avail == 0
			        ? "missing (file truncated)"
			        : "no line end (entry truncated or too long)");
			ret = 1;
			goto out;
		}
		len = (size_t)(nl - p);
		if (seq_fill(&of, 8, &avail) < 0)
			goto out;
		if (avail < 8) {
			error_msg("'offsets' is truncated at entry %llu",
			    (unsigned long long)i);
			ret = 1;
			goto out;
		}
		end = log_be64(of.buf + of.pos);
		if (end != at + len + 1) {
			error_msg(
			    "entry %llu at byte %llu of 'entries': 'offsets' "
			    "(byte %llu) says it ends at byte %llu, but it ends "
			    "at byte %llu (an entry was inserted, removed or "
			    "resized)",
			    (unsigned long long)i, (unsigned long long)at,
			    (unsigned long long)seq_where(&of),
			    (unsigned long long)end,
			    (unsigned long long)(at + len + 1));
			ret = 1;
			goto out;
		}
		of.pos += 8;
		if (o->strict && check_json(p, len, i, at) != 0) {
			ret = 1;
			goto out;
		}
		if (merkle_leaf_hash(p, len, out[0]) < 0 ||
		    merkle_stack_push(&st, out[0], out, &nout) < 0)
			goto out;
		e.pos += len + 1;
		for (k = 0; k < nout; k++) {
			if (seq_fill(&h, MERKLE_HASH_LEN, &avail) < 0)
				goto out;
			if (avail < MERKLE_HASH_LEN) {
				error_msg("'hashes' is truncated at entry %llu",
				    (unsigned long long)i);
				ret = 1;
				goto out;
			}
			if (memcmp(h.buf + h.pos, out[k], MERKLE_HASH_LEN) !=
			    0) {
				hash_hex(h.buf + h.pos, 32, hx[0]);
				hash_hex(out[k], 32, hx[1]);
				if (k == 0)
					error_msg(
					    "entry %llu at byte %llu of "
					    "'entries': content does not match "
					    "its leaf hash at byte %llu of "
					    "'hashes' (stored %s, computed %s)",
					    (unsigned long long)i,
					    (unsigned long long)at,
					    (unsigned long long)seq_where(&h),
					    hx[0], hx[1]);
				else
					error_msg(
					    "'hashes' byte %llu: tree node "
					    "%u/%llu (completed by entry %llu) "
					    "is %s but the entries give %s",
					    (unsigned long long)seq_where(&h),
					    k, (unsigned long long)(i >> k),
					    (unsigned long long)i, hx[0],
					    hx[1]);
				ret = 1;
				goto out;
			}
			h.pos += MERKLE_HASH_LEN;
		}
	}
	r->size = l->size;
	r->bytes = seq_where(&e);
	if (merkle_stack_root(&st, r->root) < 0)
		goto out;
	if (seq_fill(&e, 1, &avail) < 0)
		goto out;
	if (avail > 0)
		warn_msg(
		    "'entries' has %zu bytes after entry %llu that were "
		    "never committed (an interrupted append); the next append "
		    "discards them",
		    avail, (unsigned long long)l->size);
	ret = 0;
out:
	free(e.buf);
	free(of.buf);
	free(h.buf);
	return ret;
}

static int
check_checkpoint(struct log_store *l, const struct verify_opts *o,
    const char *path, char **origin, struct verify_result *r)
{
	struct buf b = BUF_INIT(NOTE_MAX_SIZE);
	struct checkpoint c = { 0 };
	merkle_hash root;
	char hx[65];
	int ret = 1;

	if (fs_read_file(path, NOTE_MAX_SIZE, &b) < 0) {
		ret = -1;
		goto out;
	}
	if (checkpoint_open(path, b.data, b.len, o->keys, o->nkeys, &c) < 0)
		goto out;
	if (*origin == NULL)
		*origin = xstrdup(c.origin);
	else if (strcmp(*origin, c.origin) != 0) {
		error_msg(
		    "'%s': origin '%s' differs from '%s' (a checkpoint of "
		    "another log)",
		    path, c.origin, *origin);
		goto out;
	}
	if (c.size > r->size) {
		error_msg("'%s' signs %llu entries but the log has only %llu "
		          "(entries were deleted or truncated)",
		    path, (unsigned long long)c.size,
		    (unsigned long long)r->size);
		goto out;
	}
	if (log_store_root(l, c.size, root) < 0) {
		ret = -1;
		goto out;
	}
	if (memcmp(root, c.root, MERKLE_HASH_LEN) != 0) {
		hash_hex(root, 32, hx);
		error_msg(
		    "'%s': the log's first %llu entries have root %s, not "
		    "the signed one (history was rewritten after signing)",
		    path, (unsigned long long)c.size, hx);
		goto out;
	}
	if (c.size > r->signed_size)
		r->signed_size = c.size;
	r->checkpoints++;
	ret = 0;
out:
	checkpoint_release(&c);
	buf_release(&b);
	return ret;
}

static bool
same_file(const char *a, const char *b)
{
	struct buf x = BUF_INIT(0), y = BUF_INIT(0);
	bool same = fs_read_file(a, NOTE_MAX_SIZE, &x) == 0 &&
	            fs_read_file(b, NOTE_MAX_SIZE, &y) == 0 && x.len == y.len &&
	            memcmp(x.data, y.data, x.len) == 0;

	buf_release(&x);
	buf_release(&y);
	return same;
}

static int
check_all_checkpoints(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r)
{
	struct strlist files = STRLIST_INIT;
	char *dir = log_store_path(l, "checkpoints"), *origin = NULL, *latest;
	struct dirent *de;
	DIR *d;
	size_t i;
	int ret = 0;

	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			strlist_push_owned(
			    &files, xasprintf("%s/%s", dir, de->d_name));
	if (d != NULL)
		(void)closedir(d);
	strlist_sort(&files);
	latest = log_store_path(l, "checkpoint");
	/* The latest is normally a copy of the newest history file: check it
	 * (it could be edited on its own) but count it once. */
	if (fs_exists(latest) &&
	    (files.nr == 0 || !same_file(latest, files.items[files.nr - 1])))
		strlist_push(&files, latest);
	for (i = 0; o->extra != NULL && o->extra[i] != NULL; i++)
		strlist_push(&files, o->extra[i]);
	for (i = 0; i < files.nr && ret == 0; i++)
		ret = check_checkpoint(l, o, files.items[i], &origin, r);
	if (ret == 0 && r->checkpoints > 0 && o->nkeys == 0)
		warn_msg("checkpoint signatures were not checked: give the "
		         "log's verifier key with --key");
	free(origin);
	free(latest);
	free(dir);
	strlist_release(&files);
	return ret;
}

int
log_verify(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = check_entries(l, o, r);
	if (rc != 0)
		return rc;
	return check_all_checkpoints(l, o, r);
}
