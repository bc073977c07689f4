#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "log_store.h"
#include "log_tail.h"
#include "note.h"

static const char format_magic[] = "bulwark-audit-log 1\n";

char *
log_store_path(const struct log_store *l, const char *name)
{
	return xasprintf("%s/%s", l->dir, name);
}

uint64_t
log_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

int
log_pread(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_errno("cannot read '%s'", what);
		if (n == 0)
			return error_msg("cannot read '%s': unexpected end of "
			                 "file at byte %llu",
			    what, (unsigned long long)off);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
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
file_size(int fd, const char *what, uint64_t *out)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_errno("cannot stat '%s'", what);
	*out = (uint64_t)st.st_size;
	return 0;
}

static int
open_file(struct log_store *l, const char *name, unsigned flags, int *fd)
{
	char *p = log_store_path(l, name);
	int of = (flags & LOG_WRITE) ? O_RDWR : O_RDONLY;

	if (flags & LOG_CREATE)
		of |= O_CREAT;
	*fd = open(p, of | O_CLOEXEC, 0644);
	if (*fd < 0)
		error_errno("cannot open '%s'", p);
	free(p);
	return *fd < 0 ? -1 : 0;
}

/* Creates the directory and its format marker if missing. */
static int
create_dir(struct log_store *l)
{
	char *p = log_store_path(l, "format");
	int ret = -1;

	if (fs_mkdirs(l->dir, 0755) < 0)
		goto out;
	if (!fs_exists(p) && fs_write_atomic(p, format_magic,
	                         sizeof(format_magic) - 1, 0644) < 0)
		goto out;
	ret = 0;
out:
	free(p);
	return ret;
}

static int
check_format(struct log_store *l)
{
	struct buf b = BUF_INIT(0); /* fs_read_file caps it */
	char *p = log_store_path(l, "format");
	int ret = -1;

	if (!fs_exists(p)) {
		error_msg(
		    "'%s' is not an audit log (no 'format' file)", l->dir);
		goto out;
	}
	if (fs_read_file(p, 256, &b) < 0)
		goto out;
	if (strcmp(b.data, format_magic) != 0) {
		error_msg("'%s': unsupported log format", p);
		goto out;
	}
	ret = 0;
out:
	buf_release(&b);
	free(p);
	return ret;
}

static int
lock_dir(struct log_store *l, bool exclusive)
{
	char *p = log_store_path(l, "lock");
	int ret = -1;

	l->lock_fd = open(
	    p, (exclusive ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0644);
	if (l->lock_fd < 0) {
		/* A read-only copy of a log can still be read. */
		if (!exclusive &&
		    (errno == ENOENT || errno == EACCES || errno == EROFS))
			ret = 0;
		else
			error_errno("cannot open lock file '%s'", p);
		goto out;
	}
	while (flock(l->lock_fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
		if (errno != EINTR) {
			error_errno("cannot lock '%s'", p);
			goto out;
		}
	ret = 0;
out:
	free(p);
	return ret;
}

/* Size of the latest signed checkpoint, read without verifying it. */
static int
read_signed_size(struct log_store *l)
{
	struct checkpoint c = { 0 };
	char *p = log_store_path(l, "checkpoint");
	int ret = -1;

	l->signed_size = 0;
	if (!fs_exists(p)) {
		ret = 0;
		goto out;
	}
	if (checkpoint_load(p, &c, NULL) < 0)
		goto out;
	l->signed_size = c.size;
	ret = 0;
out:
	checkpoint_release(&c);
	free(p);
	return ret;
}

static int
truncate_to(int fd, uint64_t len, const char *what)
{
	if (ftruncate(fd, (off_t)len) < 0)
		return error_errno("cannot truncate '%s'", what);
	if (fdatasync(fd) < 0)
		return error_errno("cannot fsync '%s'", what);
	return 0;
}

static int index_lines(struct log_store *l, const char *p, size_t len, size_t n,
    merkle_hash *leaf);

/*
 * Indexes the complete commits past the index and cuts the rest of the
 * entries file (a torn tail) and any partial index record. Entries that
 * get indexed are synced first: the index never points at bytes that a
 * power loss could take back.
 */
static int
repair(struct log_store *l, uint64_t e)
{
	struct buf tail = BUF_INIT(SIZE_MAX);
	size_t n, end;
	uint64_t keep;
	int ret = -1;

	if (e - l->entries_end > SIZE_MAX - 1 ||
	    buf_grow(&tail, (size_t)(e - l->entries_end)) < 0)
		goto out;
	if (log_pread(l->entries_fd, tail.data, (size_t)(e - l->entries_end),
	        l->entries_end, "entries") < 0)
		goto out;
	tail.len = (size_t)(e - l->entries_end);
	log_tail_scan(tail.data, tail.len, &n, &end);
	keep = l->entries_end + end;
	if (keep < e) {
		if (l->size + n < l->signed_size) {
			error_msg("log '%s' has %llu complete entries but its "
			          "checkpoint signs %llu; refusing to truncate "
			          "below a signed size",
			    l->dir, (unsigned long long)(l->size + n),
			    (unsigned long long)l->signed_size);
			goto out;
		}
		warn_msg("log '%s': discarding a torn tail of %llu bytes "
		         "left by an interrupted append (entries after index "
		         "%llu were never acknowledged)",
		    l->dir, (unsigned long long)(e - keep),
		    (unsigned long long)(l->size + n));
		if (truncate_to(l->entries_fd, keep, "entries") < 0)
			goto out;
	}
	/* A partial index record of an interrupted append: derived data. */
	if (ftruncate(l->offsets_fd, (off_t)(l->size * 8)) < 0 ||
	    ftruncate(l->hashes_fd,
	        (off_t)(merkle_stored_count(l->size) * MERKLE_HASH_LEN)) < 0) {
		error_errno("cannot truncate the index of '%s'", l->dir);
		goto out;
	}
	if (n > 0) {
		if (fdatasync(l->entries_fd) < 0) {
			error_errno("cannot fsync '%s/entries'", l->dir);
			goto out;
		}
		if (index_lines(l, tail.data, end, n, NULL) < 0)
			goto out;
		l->indexed = n;
	}
	l->torn_bytes = 0;
	ret = 0;
out:
	buf_release(&tail);
	return ret;
}

/* Finds the indexed size; with `repair`, brings the index up to date. */
static int
recover(struct log_store *l, bool write, bool lenient)
{
	uint64_t e = 0, o = 0, h = 0, n, hs;
	uint8_t be[8];
	char nl = 0;

	if (file_size(l->entries_fd, "entries", &e) < 0 ||
	    file_size(l->offsets_fd, "offsets", &o) < 0 ||
	    file_size(l->hashes_fd, "hashes", &h) < 0)
		return -1;
	n = o / 8;
	hs = merkle_size_for_stored(h / MERKLE_HASH_LEN);
	if (hs < n)
		n = hs;
	l->entries_end = 0;
	if (n > 0) {
		if (log_pread(l->offsets_fd, be, 8, (n - 1) * 8, "offsets") < 0)
			return -1;
		l->entries_end = log_be64(be);
		if (l->entries_end > 0 && l->entries_end <= e &&
		    log_pread(l->entries_fd, &nl, 1, l->entries_end - 1,
		        "entries") < 0)
			return -1;
	}
	l->size = n;
	if ((l->entries_end > e || (n > 0 && nl != '\n')) && lenient)
		return 0;
	if (l->entries_end > e || (n > 0 && nl != '\n'))
		return error_msg(
		    "log '%s' is corrupt: 'entries' has %llu bytes "
		    "but 'offsets' says entry %llu ends at byte %llu; run "
		    "'audit-append verify'",
		    l->dir, (unsigned long long)e, (unsigned long long)(n - 1),
		    (unsigned long long)l->entries_end);
	l->torn_bytes = (e - l->entries_end) + (o - n * 8) +
	                (h - merkle_stored_count(n) * MERKLE_HASH_LEN);
	if (write && l->torn_bytes > 0 && repair(l, e) < 0)
		return -1;
	/* Readers may see entries the next writer indexes. */
	if (l->size < l->signed_size && !lenient &&
	    (write || l->entries_end == e))
		return error_msg(
		    "log '%s' has %llu complete entries but its "
		    "checkpoint signs %llu; refusing to truncate below a signed "
		    "size",
		    l->dir, (unsigned long long)l->size,
		    (unsigned long long)l->signed_size);
	return 0;
}

int
log_store_open(struct log_store *l, const char *dir, unsigned flags)
{
	bool write = (flags & LOG_WRITE) != 0, fresh = false;
	int ret = -1;

	l->dir = xstrdup(dir);
	if ((flags & LOG_CREATE) && create_dir(l) < 0)
		goto out;
	/* New files need their directory entry made durable, once. */
	if (flags & LOG_CREATE) {
		char *p = log_store_path(l, "hashes");

		fresh = !fs_exists(p);
		free(p);
	}
	if (check_format(l) < 0 || lock_dir(l, write) < 0)
		goto out;
	if (open_file(l, "entries", flags, &l->entries_fd) < 0 ||
	    open_file(l, "offsets", flags, &l->offsets_fd) < 0 ||
	    open_file(l, "hashes", flags, &l->hashes_fd) < 0)
		goto out;
	if (fresh && fs_fsync_dir(l->dir) < 0)
		goto out;
	if ((read_signed_size(l) < 0 && !(flags & LOG_LENIENT)) ||
	    recover(l, write, (flags & LOG_LENIENT) != 0) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		log_store_close(l);
	return ret;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

void
log_store_close(struct log_store *l)
{
	close_fd(&l->entries_fd);
	close_fd(&l->offsets_fd);
	close_fd(&l->hashes_fd);
	close_fd(&l->lock_fd); /* drops the flock */
	free(l->dir);
	l->dir = NULL;
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

/*
 * Writes the index records (hashes, offsets) of n framed lines at p,
 * which are already durable in `entries`, and advances the size. No sync:
 * the index can be rebuilt from `entries`.
 */
static int
index_lines(
    struct log_store *l, const char *p, size_t len, size_t n, merkle_hash *leaf)
{
	struct buf hashes = BUF_INIT(SIZE_MAX), offs = BUF_INIT(SIZE_MAX);
	struct merkle_stack st;
	merkle_hash out[65];
	uint8_t be[8];
	uint64_t end = l->entries_end;
	size_t i, pos = 0, llen;
	const char *nl;
	unsigned nout;
	int ret = -1;

	if (load_stack(l, &st) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		nl = memchr(p + pos, '\n', len - pos);
		if (nl == NULL) /* callers pass n complete lines */
			goto out;
		llen = (size_t)(nl - (p + pos));
		if (merkle_leaf_hash(p + pos, log_line_entry_len(p + pos, llen),
		        out[0]) < 0 ||
		    merkle_stack_push(&st, out[0], out, &nout) < 0)
			goto out;
		if (leaf != NULL)
			memcpy(leaf[i], out[0], MERKLE_HASH_LEN);
		end += llen + 1;
		put_be64(be, end);
		if (buf_add(&hashes, out, nout * MERKLE_HASH_LEN) < 0 ||
		    buf_add(&offs, be, 8) < 0)
			goto out;
		pos += llen + 1;
	}
	/* hashes before offsets: the size is the smaller of the two. */
	if (pwrite_all(l->hashes_fd, hashes.data, hashes.len,
	        merkle_stored_count(l->size) * MERKLE_HASH_LEN, "hashes") < 0 ||
	    pwrite_all(
	        l->offsets_fd, offs.data, offs.len, l->size * 8, "offsets") < 0)
		goto out;
	l->size += n;
	l->entries_end = end;
	ret = 0;
out:
	buf_release(&hashes);
	buf_release(&offs);
	return ret;
}

int
log_store_append(struct log_store *l, const char *data, const size_t *lens,
    size_t n, uint64_t *first, merkle_hash *leaf)
{
	struct buf ent = BUF_INIT(SIZE_MAX);
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
	/* The commit: one write and one sync of `entries`. */
	if (pwrite_all(l->entries_fd, ent.data, ent.len, l->entries_end,
	        "entries") < 0)
		goto out;
	if (fdatasync(l->entries_fd) < 0) {
		error_errno("cannot fsync '%s/entries'", l->dir);
		goto out;
	}
	*first = l->size;
	if (index_lines(l, ent.data, ent.len, n, leaf) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&ent);
	return ret;
}
