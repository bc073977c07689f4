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
#include "log_store_int.h"
#include "note.h"

static const char format_magic[] = "bulwark-audit-log 1\n";

char *
log_store_path(const struct log_store *l, const char *name)
{
	/* Not xasprintf: its printf machinery is most of an append's own
	 * instructions, and this runs for every file the append opens. */
	size_t d = strlen(l->dir), n = strlen(name);
	char *p = xmalloc(d + n + 2);

	memcpy(p, l->dir, d);
	p[d] = '/';
	memcpy(p + d + 1, name, n + 1);
	return p;
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

/*
 * Checks the format marker with one open and one read (a regular file
 * returns all it has up to the buffer size). *missing says that it does
 * not exist, which is an error unless the caller may create the log.
 */
static int
check_format(struct log_store *l, bool *missing)
{
	char b[64], *p = log_store_path(l, "format");
	ssize_t n;
	int fd, ret = -1;

	*missing = false;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*missing = true;
			ret = 0;
		} else
			error_errno("cannot open '%s'", p);
		goto out;
	}
	do
		n = read(fd, b, sizeof(b));
	while (n < 0 && errno == EINTR);
	(void)close(fd);
	if (n < 0) {
		error_errno("cannot read '%s'", p);
		goto out;
	}
	if ((size_t)n != sizeof(format_magic) - 1 ||
	    memcmp(b, format_magic, sizeof(format_magic) - 1) != 0) {
		error_msg("'%s': unsupported log format", p);
		goto out;
	}
	ret = 0;
out:
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

int
log_store_open(struct log_store *l, const char *dir, unsigned flags)
{
	bool write = (flags & LOG_WRITE) != 0, missing;
	int ret = -1;

	l->dir = xstrdup(dir);
	if (check_format(l, &missing) < 0)
		goto out;
	if (missing && !(flags & LOG_CREATE)) {
		error_msg(
		    "'%s' is not an audit log (no 'format' file)", l->dir);
		goto out;
	}
	if (missing && create_dir(l) < 0)
		goto out;
	if (lock_dir(l, write) < 0)
		goto out;
	if (open_file(l, "entries", flags, &l->entries_fd) < 0 ||
	    open_file(l, "offsets", flags, &l->offsets_fd) < 0 ||
	    open_file(l, "hashes", flags, &l->hashes_fd) < 0)
		goto out;
	if ((read_signed_size(l) < 0 && !(flags & LOG_LENIENT)) ||
	    log_recover(l, write, (flags & LOG_LENIENT) != 0) < 0)
		goto out;
	/*
	 * The directory entries of new files must be durable before the
	 * first commit is acknowledged, and so must the log directory's own
	 * entry. Synced whenever a writer finds the log empty, not only by
	 * the process that created them: that one may have died first.
	 */
	if ((flags & LOG_CREATE) && write && l->size == 0 &&
	    (fs_fsync_dir(l->dir) < 0 || fs_fsync_parent(l->dir) < 0))
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
