#include "common/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chaos.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"

int
chaos_hex_encode(struct buf *out, const char *s)
{
	static const char d[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return buf_adds(out, "-");
	for (; *p != '\0'; p++) {
		if (buf_addch(out, d[*p >> 4]) != 0 ||
		    buf_addch(out, d[*p & 15]) != 0)
			return -1;
	}
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
chaos_hex_decode(struct buf *out, const char *hex)
{
	size_t i, n = strlen(hex);

	if (strcmp(hex, "-") == 0)
		return 0;
	if (n % 2 != 0)
		return error_msg("journal: odd hex string");
	for (i = 0; i < n; i += 2) {
		int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return error_msg("journal: bad hex string");
		if (buf_addch(out, (char)(hi * 16 + lo)) != 0)
			return -1;
	}
	return 0;
}

uint64_t
chaos_proc_start(pid_t pid)
{
	char path[64], data[1024], *p;
	uint64_t start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	data[n] = '\0';
	/* comm may hold spaces and ')': fields restart after the last ')' */
	p = strrchr(data, ')');
	if (p == NULL)
		return 0;
	for (field = 2; *p != '\0' && field < 22; p++)
		if (*p == ' ')
			field++;
	start = strtoull(p, NULL, 10);
	return start;
}

int
chaos_state_dir(const char *override, struct buf *out)
{
	const char *rt = getenv("RUNNER_TEMP");
	const char *tmp = getenv("TMPDIR");

	if (override != NULL && *override != '\0')
		buf_adds(out, override);
	else if (rt != NULL && *rt != '\0')
		buf_addf(out, "%s/bulwark-chaos", rt);
	else
		buf_addf(out, "%s/bulwark-chaos-%u",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp",
		    (unsigned)getuid());
	if (fs_mkdirs(out->data, 0700) != 0)
		return -1;
	return 0;
}

int
chaos_journal_open(struct chaos_journal *j, const char *state_dir)
{
	char *path = xasprintf("%s/undo-%d.log", state_dir, (int)getpid());
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_errno("cannot create journal '%s'", path);
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		error_errno("cannot lock journal '%s'", path);
		close(fd);
		free(path);
		return -1;
	}
	j->path = path;
	j->lock_fd = fd;
	return chaos_journal_add(j, "owner", NULL, NULL, NULL);
}

int
chaos_journal_add(struct chaos_journal *j, const char *kind, const char *a,
    const char *b, const char *extra)
{
	struct buf line = BUF_INIT(0);
	int rc = -1;

	buf_adds(&line, kind);
	if (a != NULL) {
		buf_addch(&line, ' ');
		if (chaos_hex_encode(&line, a) != 0)
			goto out;
	}
	if (b != NULL) {
		buf_addch(&line, ' ');
		if (chaos_hex_encode(&line, b) != 0)
			goto out;
	}
	if (extra != NULL)
		buf_addf(&line, " %s", extra);
	buf_addch(&line, '\n');
	/* write-ahead: the record is on disk before the change is made */
	rc = fs_append(j->path, line.data, line.len, FS_SYNC, 0600);
out:
	buf_release(&line);
	return rc;
}

int
chaos_journal_add_pid(struct chaos_journal *j, const char *kind, pid_t pid)
{
	char extra[64];

	snprintf(extra, sizeof(extra), "%d %llu", (int)pid,
	    (unsigned long long)chaos_proc_start(pid));
	return chaos_journal_add(j, kind, NULL, NULL, extra);
}

/* Closes every fd but keep (moved to 3) and points stdio at /dev/null, so
 * the watchdog holds no pipe a caller may be waiting on. */
static void
detach_fds(int keep)
{
	int fd, null = open("/dev/null", O_RDWR);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (keep != 3) {
		dup2(keep, 3);
		close(keep);
	}
	for (fd = 4; fd < 1024; fd++)
		close(fd);
}

int
chaos_journal_start_watchdog(struct chaos_journal *j)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return error_errno("cannot create watchdog pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return error_errno("cannot fork watchdog");
	}
	if (pid == 0) {
		char c;

		/* our copy of the lock fd must not keep the lock alive */
		close(j->lock_fd);
		close(p[1]);
		setsid();
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		detach_fds(p[0]);
		while (read(3, &c, 1) < 0 && errno == EINTR)
			;
		/* controller gone (EOF): undo whatever it left behind */
		if (access(j->path, F_OK) == 0)
			(void)chaos_rollback_path(j->path, true, NULL);
		_exit(0);
	}
	close(p[0]);
	j->watchdog_fd = p[1];
	j->watchdog = pid;
	return 0;
}

void
chaos_journal_release(struct chaos_journal *j)
{
	/* unlock first: a watchdog woken below may need the lock to retry a
	 * rollback that failed here */
	if (j->lock_fd >= 0) {
		close(j->lock_fd);
		j->lock_fd = -1;
	}
	if (j->watchdog_fd >= 0) {
		close(j->watchdog_fd);
		j->watchdog_fd = -1;
	}
	if (j->watchdog > 0) {
		waitpid(j->watchdog, NULL, 0);
		j->watchdog = -1;
	}
	free(j->path);
	j->path = NULL;
}

int
chaos_journal_finish(struct chaos_journal *j, struct buf *report)
{
	int rc = 0;

	if (j->path != NULL)
		rc = chaos_rollback_locked(j->path, j->lock_fd, report);
	chaos_journal_release(j);
	return rc;
}
