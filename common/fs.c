#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"

/*
 * Registry of temp files to unlink on SIGINT/SIGTERM/SIGHUP and at exit
 * (git tempfile.c). The signal handler only reads the slots and calls
 * unlink(2), getpid(2), sigaction(2) and raise(3), all async-signal-safe.
 * A slot is published after its string is complete and cleared before the
 * string is freed, so the handler never sees a dangling pointer.
 */
#define FS_TEMP_SLOTS 64

static char *volatile temp_slots[FS_TEMP_SLOTS];
/* Creator of each slot's file: a forked child must not remove it. */
static volatile pid_t temp_owner[FS_TEMP_SLOTS];
static struct sigaction temp_old[3];
static const int temp_signals[3] = { SIGINT, SIGTERM, SIGHUP };
static bool temp_installed;

static void
temp_unlink_all(void)
{
	pid_t self = getpid();
	size_t i;

	for (i = 0; i < FS_TEMP_SLOTS; i++) {
		char *p = temp_slots[i];
		if (p != NULL && temp_owner[i] == self)
			(void)unlink(p);
	}
}

static void
temp_on_signal(int sig)
{
	int saved = errno;
	size_t i;

	temp_unlink_all();
	for (i = 0; i < ARRAY_SIZE(temp_signals); i++) {
		if (temp_signals[i] != sig)
			continue;
		if (temp_old[i].sa_handler == SIG_IGN)
			break;
		if (temp_old[i].sa_handler != SIG_DFL &&
		    !(temp_old[i].sa_flags & SA_SIGINFO)) {
			temp_old[i].sa_handler(sig);
			break;
		}
		/* Die of the same signal so our parent sees why. */
		(void)sigaction(sig, &temp_old[i], NULL);
		(void)raise(sig);
		break;
	}
	errno = saved;
}

static void
temp_install(void)
{
	struct sigaction sa;
	size_t i;

	if (temp_installed)
		return;
	temp_installed = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = temp_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(temp_signals); i++) {
		(void)sigaction(temp_signals[i], NULL, &temp_old[i]);
		/* A shell may start us with SIGINT ignored: keep that. */
		if (temp_old[i].sa_handler == SIG_IGN)
			continue;
		(void)sigaction(temp_signals[i], &sa, NULL);
	}
	(void)atexit(temp_unlink_all);
}

static int
temp_register(char *path)
{
	size_t i;

	temp_install();
	for (i = 0; i < FS_TEMP_SLOTS; i++) {
		if (temp_slots[i] == NULL) {
			temp_owner[i] = getpid();
			temp_slots[i] = path;
			return 0;
		}
	}
	return error_msg("too many temporary files at once");
}

static void
temp_unregister(const char *path)
{
	size_t i;

	for (i = 0; i < FS_TEMP_SLOTS; i++)
		if (temp_slots[i] == path)
			temp_slots[i] = NULL;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fs_temp_create(struct fs_temp *t, const char *dir, const char *prefix)
{
	char *path = xasprintf("%s/%s.XXXXXX", dir, prefix);

	/* Registered before mkstemp fills in the name, so no window. */
	if (temp_register(path) < 0) {
		free(path);
		return -1;
	}
	t->fd = mkostemp(path, O_CLOEXEC);
	if (t->fd < 0) {
		int err = errno;
		temp_unregister(path);
		errno = err;
		error_errno("cannot create a temporary file in '%s'", dir);
		free(path);
		t->path = NULL;
		return -1;
	}
	t->path = path;
	return 0;
}

void
fs_temp_release(struct fs_temp *t)
{
	if (t->fd >= 0)
		(void)close(t->fd);
	t->fd = -1;
	if (t->path != NULL) {
		(void)unlink(t->path);
		temp_unregister(t->path);
		free(t->path);
		t->path = NULL;
	}
}

int
fs_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return error_errno("cannot open directory '%s'", dir);
	/* Some file systems cannot fsync a directory; that is not fatal. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOTSUP)
		ret = error_errno("cannot fsync directory '%s'", dir);
	(void)close(fd);
	return ret;
}

int
fs_fsync_parent(const char *path)
{
	char *dir = xstrdup(path), *slash;
	size_t n = strlen(dir);
	int ret;

	while (n > 1 && dir[n - 1] == '/') /* "a/b/" names b */
		dir[--n] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else {
		slash[slash == dir ? 1 : 0] = '\0'; /* "/a" -> "/" */
	}
	ret = fs_fsync_dir(dir);
	free(dir);
	return ret;
}

int
fs_temp_commit(struct fs_temp *t, const char *dest)
{
	char *dir = NULL;
	int ret = -1;

	if (t->path == NULL || t->fd < 0)
		return error_msg("no temporary file to commit to '%s'", dest);
	if (fsync(t->fd) < 0) {
		error_errno("cannot fsync '%s'", t->path);
		goto out;
	}
	if (close(t->fd) < 0) {
		t->fd = -1;
		error_errno("cannot close '%s'", t->path);
		goto out;
	}
	t->fd = -1;
	if (rename(t->path, dest) < 0) {
		error_errno("cannot rename '%s' to '%s'", t->path, dest);
		goto out;
	}
	temp_unregister(t->path);
	free(t->path);
	t->path = NULL;
	dir = dir_of(dest);
	ret = fs_fsync_dir(dir);
out:
	if (ret < 0)
		fs_temp_release(t);
	free(dir);
	return ret;
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct fs_temp t = FS_TEMP_INIT;
	const char *base = strrchr(path, '/');
	char *dir = dir_of(path);
	char *prefix = xasprintf(".%s", base ? base + 1 : path);
	int ret = -1;

	if (fs_temp_create(&t, dir, prefix) < 0)
		goto out;
	if (write_all(t.fd, data, len) < 0) {
		error_errno("cannot write '%s'", t.path);
		goto out;
	}
	if (fchmod(t.fd, mode) < 0) {
		error_errno("cannot chmod '%s'", t.path);
		goto out;
	}
	ret = fs_temp_commit(&t, path);
out:
	fs_temp_release(&t);
	free(prefix);
	free(dir);
	return ret;
}

static int
lock_fd(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

int
fs_append(
    const char *path, const void *data, size_t len, unsigned flags, mode_t mode)
{
	struct stat st;
	bool created = false;
	off_t old_len = -1;
	ssize_t n;
	int fd, ret = -1;

	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && (flags & FS_CREATE)) {
		fd =
		    open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_CREAT, mode);
		created = fd >= 0;
	}
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	if ((flags & FS_LOCK) && lock_fd(fd, LOCK_EX) < 0) {
		error_errno("cannot lock '%s'", path);
		goto out;
	}
	if ((flags & FS_LOCK) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		old_len = st.st_size;
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		if (n >= 0)
			errno = ENOSPC;
		error_errno("cannot append to '%s'", path);
		/* Only under the lock is the tail ours to cut. */
		if (n > 0 && old_len >= 0 && ftruncate(fd, old_len) < 0)
			error_errno("cannot roll back '%s'", path);
		goto out;
	}
	if ((flags & FS_SYNC) && fsync(fd) < 0) {
		error_errno("cannot fsync '%s'", path);
		goto out;
	}
	ret = 0;
	if (created && (flags & FS_SYNC)) {
		char *dir = dir_of(path);
		ret = fs_fsync_dir(dir);
		free(dir);
	}
out:
	(void)close(fd); /* also drops the flock */
	return ret;
}

int
fs_read_file(const char *path, size_t max, struct buf *out)
{
	size_t start = out->len, total = 0;
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	int ret = -1;

	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	for (;;) {
		size_t lim = out->max ? out->max : BUF_MAX_DEFAULT;
		size_t want = 65536;
		ssize_t n;
		char probe;

		/* Read at most one byte past `max`, and never ask the buffer
		 * for more than its own cap allows. */
		if (want > max - total + 1)
			want = max - total + 1;
		if (want > lim - out->len)
			want = lim - out->len;
		if (want == 0) {
			/* Buffer full: fine only if the file ends here. */
			n = read(fd, &probe, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0)
				break;
			error_msg(
			    "'%s' is larger than %zu bytes", path, lim - start);
			goto out;
		}
		if (buf_grow(out, want) < 0)
			goto out;
		n = read(fd, out->data + out->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			error_errno("cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > max) {
			error_msg("'%s' is larger than %zu bytes", path, max);
			goto out;
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
	ret = 0;
out:
	if (ret < 0) {
		out->len = start;
		out->data[start] = '\0';
	}
	if (!is_stdin)
		(void)close(fd);
	return ret;
}

int
fs_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	char *s = p;
	struct stat st;
	int ret = -1;

	for (;;) {
		char c;

		while (*s == '/')
			s++;
		while (*s != '\0' && *s != '/')
			s++;
		c = *s;
		*s = '\0';
		if (mkdir(p, mode) == 0) {
			/* a new entry in the parent: durable before we go on */
			if (fs_fsync_parent(p) < 0)
				goto out;
		} else if (errno != EEXIST) {
			error_errno("cannot create directory '%s'", p);
			goto out;
		}
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			error_msg(
			    "cannot create directory '%s': not a directory", p);
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

bool
fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
fs_lock_acquire(struct fs_lock *l, const char *path, bool exclusive)
{
	l->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return error_errno("cannot open lock file '%s'", path);
	if (lock_fd(l->fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		error_errno("cannot lock '%s'", path);
		(void)close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

void
fs_lock_release(struct fs_lock *l)
{
	if (l->fd >= 0)
		(void)close(l->fd);
	l->fd = -1;
}
