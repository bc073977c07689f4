#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "log_store.h"
#include "log_store_int.h"
#include "log_tail.h"

/* Reading the tree and entries of an open log, and appending to it. */

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return error_errno("cannot write '%s'", what);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
node(void *ctx, unsigned level, uint64_t k, merkle_hash out)
{
	struct log_store *l = ctx;
	uint64_t idx = merkle_stored_index(level, k);

	if (level >= 64 || ((k + 1) << level) > l->size)
		return error_msg(
		    "tree node %u/%llu is beyond the log size %llu", level,
		    (unsigned long long)k, (unsigned long long)l->size);
	return log_pread(l->hashes_fd, out, MERKLE_HASH_LEN,
	    idx * MERKLE_HASH_LEN, "hashes");
}

void
log_store_src(struct log_store *l, struct merkle_src *s)
{
	s->node = node;
	s->ctx = l;
}

int
log_store_root(struct log_store *l, uint64_t size, merkle_hash out)
{
	struct merkle_src s;

	if (size > l->size)
		return error_msg("size %llu is beyond the log size %llu",
		    (unsigned long long)size, (unsigned long long)l->size);
	if (l->root_ok && size == l->size) {
		memcpy(out, l->root, MERKLE_HASH_LEN);
		return 0;
	}
	log_store_src(l, &s);
	return merkle_root(&s, size, out);
}

int
log_store_entry(
    struct log_store *l, uint64_t i, struct buf *out, uint64_t *offset)
{
	uint8_t be[16];
	uint64_t start = 0, end;

	if (i >= l->size)
		return error_msg("no entry %llu: the log has %llu entries",
		    (unsigned long long)i, (unsigned long long)l->size);
	if (i > 0) {
		if (log_pread(l->offsets_fd, be, 16, (i - 1) * 8, "offsets") <
		    0)
			return -1;
		start = log_be64(be);
		end = log_be64(be + 8);
	} else {
		if (log_pread(l->offsets_fd, be, 8, 0, "offsets") < 0)
			return -1;
		end = log_be64(be);
	}
	if (end <= start || end - start - 1 > LOG_ENTRY_MAX)
		return error_msg("log '%s' is corrupt at entry %llu; run "
		                 "'audit-append verify'",
		    l->dir, (unsigned long long)i);
	if (buf_grow(out, (size_t)(end - start)) < 0 ||
	    log_pread(l->entries_fd, out->data + out->len,
	        (size_t)(end - start - 1), start, "entries") < 0)
		return -1;
	out->len +=
	    log_line_entry_len(out->data + out->len, (size_t)(end - start - 1));
	out->data[out->len] = 0;
	if (offset != NULL)
		*offset = start;
	return 0;
}

/* Loads the perfect-subtree roots of the current tree into a stack. */
static int
load_stack(struct log_store *l, struct merkle_stack *st)
{
	struct merkle_src s;
	uint64_t lo = 0;
	int b;

	merkle_stack_init(st);
	log_store_src(l, &s);
	for (b = 63; b >= 0; b--) {
		if (!(l->size & ((uint64_t)1 << b)))
			continue;
		if (s.node(s.ctx, (unsigned)b, lo >> b, st->h[st->nh]) < 0)
			return -1;
		st->nh++;
		lo += (uint64_t)1 << b;
	}
	st->size = l->size;
	return 0;
}

void
log_index_release(struct log_index *x)
{
	buf_release(&x->hashes);
	buf_release(&x->offs);
}

/*
 * Computes the index records (hashes, offsets) of n framed lines at p and
 * the new root without writing anything, so an append can do it while the
 * disk writes its entries.
 */
int
log_index_prepare(struct log_store *l, const char *p, size_t len, size_t n,
    merkle_hash *leaf, struct log_index *x)
{
	struct merkle_stack st;
	merkle_hash out[65];
	uint8_t be[8];
	size_t i, pos = 0, llen;
	const char *nl;
	unsigned nout;

	x->end = l->entries_end;
	x->n = 0;
	if (load_stack(l, &st) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		nl = memchr(p + pos, '\n', len - pos);
		if (nl == NULL) /* callers pass n complete lines */
			return error_msg("internal error: %zu lines expected, "
			                 "%zu found",
			    n, i);
		llen = (size_t)(nl - (p + pos));
		if (merkle_leaf_hash(p + pos, log_line_entry_len(p + pos, llen),
		        out[0]) < 0 ||
		    merkle_stack_push(&st, out[0], out, &nout) < 0)
			return -1;
		if (leaf != NULL)
			memcpy(leaf[i], out[0], MERKLE_HASH_LEN);
		x->end += llen + 1;
		put_be64(be, x->end);
		if (buf_add(&x->hashes, out, nout * MERKLE_HASH_LEN) < 0 ||
		    buf_add(&x->offs, be, 8) < 0)
			return -1;
		pos += llen + 1;
	}
	x->n = n;
	x->root_ok = merkle_stack_root(&st, x->root) == 0;
	return 0;
}

/*
 * Writes prepared records, whose lines are already durable in `entries`,
 * and advances the size. No sync: the index can be rebuilt from `entries`.
 */
int
log_index_commit(struct log_store *l, const struct log_index *x)
{
	/* hashes before offsets: the size is the smaller of the two. */
	if (pwrite_all(l->hashes_fd, x->hashes.data, x->hashes.len,
	        merkle_stored_count(l->size) * MERKLE_HASH_LEN, "hashes") < 0 ||
	    pwrite_all(l->offsets_fd, x->offs.data, x->offs.len, l->size * 8,
	        "offsets") < 0)
		return -1;
	l->size += x->n;
	l->entries_end = x->end;
	/* The new root from memory spares print_result reading it back. */
	l->root_ok = x->root_ok;
	if (x->root_ok)
		memcpy(l->root, x->root, MERKLE_HASH_LEN);
	return 0;
}

int
log_index_lines(
    struct log_store *l, const char *p, size_t len, size_t n, merkle_hash *leaf)
{
	struct log_index x = LOG_INDEX_INIT;
	int ret = -1;

	if (log_index_prepare(l, p, len, n, leaf, &x) < 0 ||
	    log_index_commit(l, &x) < 0)
		goto out;
	ret = 0;
out:
	log_index_release(&x);
	return ret;
}

/* Starts writing the new bytes to the disk without waiting, where the
 * kernel can: a hint, so errors are left to the fdatasync that follows. */
static void
start_writeback(int fd, uint64_t off, size_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(
	    fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)off;
	(void)len;
#endif
}

int
log_store_append(struct log_store *l, const char *data, const size_t *lens,
    size_t n, uint64_t *first, merkle_hash *leaf)
{
	struct buf ent = BUF_INIT(SIZE_MAX);
	struct log_index x = LOG_INDEX_INIT;
	size_t i, pos = 0;
	int ret = -1;

	for (i = 0; i < n; i++) {
		if (lens[i] == 0 || lens[i] > LOG_ENTRY_MAX ||
		    memchr(data + pos, '\n', lens[i]) != NULL ||
		    data[pos + lens[i] - 1] == ' ') {
			error_msg("entry %zu: must be 1..%zu bytes without a "
			          "newline or a trailing space (got %zu bytes)",
			    i, LOG_ENTRY_MAX, lens[i]);
			goto out;
		}
		if (buf_add(&ent, data + pos, lens[i]) < 0 ||
		    (i + 1 < n && buf_addch(&ent, ' ') < 0) ||
		    buf_addch(&ent, '\n') < 0)
			goto out;
		pos += lens[i];
	}
	/*
	 * The commit: one write and one sync of `entries`. The index records
	 * are computed while the disk writes (reads and hashing only) but
	 * written after the sync: the index never runs ahead of `entries`.
	 */
	if (pwrite_all(l->entries_fd, ent.data, ent.len, l->entries_end,
	        "entries") < 0)
		goto out;
	start_writeback(l->entries_fd, l->entries_end, ent.len);
	if (log_index_prepare(l, ent.data, ent.len, n, leaf, &x) < 0)
		goto out;
	if (fdatasync(l->entries_fd) < 0) {
		error_errno("cannot fsync '%s/entries'", l->dir);
		goto out;
	}
	*first = l->size;
	if (log_index_commit(l, &x) < 0)
		goto out;
	ret = 0;
out:
	log_index_release(&x);
	buf_release(&ent);
	return ret;
}
