#include "common/compat.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "log_store.h"
#include "log_store_int.h"
#include "log_tail.h"

/*
 * Crash recovery of the index at open (the commit protocol is in
 * log_store.h): the index may lag behind `entries` after a crash, never
 * run ahead of it.
 */

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
truncate_to(int fd, uint64_t len, const char *what)
{
	if (ftruncate(fd, (off_t)len) < 0)
		return error_errno("cannot truncate '%s'", what);
	if (fdatasync(fd) < 0)
		return error_errno("cannot fsync '%s'", what);
	return 0;
}

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
		if (log_index_lines(l, tail.data, end, n, NULL) < 0)
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
int
log_recover(struct log_store *l, bool write, bool lenient)
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
	l->root_ok = false;
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
