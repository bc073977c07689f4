#include "common/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaos.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"

#define JOURNAL_MAX_BYTES ((size_t)16 << 20)

/*
 * Undo steps, newest first. Each is idempotent: a step whose change was
 * never made (the controller died between journaling and acting) or was
 * already undone is a no-op, so a rollback may be interrupted and rerun.
 */

/* "what 'a'" as one line of the report */
static void
note(struct buf *rep, const char *what, const char *a)
{
	if (rep != NULL)
		buf_addf(rep, "%s '%s'\n", what, a);
}

static int
undo_pid(bool group, const char *spid, const char *sstart, struct buf *rep)
{
	long pid = strtol(spid, NULL, 10);
	uint64_t start = strtoull(sstart, NULL, 10), now;

	if (pid <= 1)
		return error_msg("journal: bad pid '%s'", spid);
	now = chaos_proc_start((pid_t)pid);
	if (now != 0 && start != 0 && now != start)
		return 0; /* the pid was reused: not ours */
	if (group) {
		if (kill(-(pid_t)pid, SIGKILL) == 0)
			note(rep, "killed process group", spid);
	} else if (now != 0 && kill((pid_t)pid, SIGKILL) == 0) {
		note(rep, "killed helper", spid);
	}
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static int
remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies src over dst atomically (temp file in dst's dir + rename). */
static int
copy_over(const char *src, const char *dst)
{
	struct fs_temp t = FS_TEMP_INIT;
	char *dir = xstrdup(dst), *slash = strrchr(dir, '/');
	char buf[65536];
	struct stat st;
	int in = -1, rc = -1;
	ssize_t n;

	if (slash != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) != 0) {
		error_errno("cannot open backup '%s'", src);
		goto out;
	}
	if (fs_temp_create(&t, slash != NULL ? dir : ".", ".chaos-restore") !=
	    0)
		goto out;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(t.fd, buf, (size_t)n) != n) {
			error_errno("cannot write '%s'", t.path);
			goto out;
		}
	}
	if (n < 0 || fchmod(t.fd, st.st_mode & 07777) != 0) {
		error_errno("cannot restore '%s'", dst);
		goto out;
	}
	rc = fs_temp_commit(&t, dst);
out:
	fs_temp_release(&t);
	if (in >= 0)
		close(in);
	free(dir);
	return rc;
}

static int
undo_backup(
    const char *path, const char *backup, const char *sha, struct buf *rep)
{
	uint8_t d[HASH_SHA256_LEN];
	char hex[2 * HASH_SHA256_LEN + 1];

	if (access(backup, F_OK) != 0)
		return 0; /* never backed up, or already restored */
	if (copy_over(backup, path) != 0)
		return -1;
	if (hash_file(path, d, NULL) != 0)
		return -1;
	hash_hex(d, sizeof(d), hex);
	if (strcmp(hex, sha) != 0)
		return error_msg("restored '%s' but its sha256 is %s, not %s",
		    path, hex, sha);
	unlink(backup);
	note(rep, "restored", path);
	return 0;
}

static int
undo_moved(const char *orig, const char *aside, struct buf *rep)
{
	if (access(aside, F_OK) != 0)
		return 0;
	/* what the command put in the empty stand-in is discarded */
	if (remove_tree(orig) != 0)
		return error_errno("cannot remove stand-in '%s'", orig);
	if (rename(aside, orig) != 0)
		return error_errno("cannot move '%s' back", aside);
	note(rep, "moved back", orig);
	return 0;
}

/* Journals hold real paths (absolute, no `..`); a forged one must not aim
 * a restore or a removal at the system. */
static bool
journal_path_bad(const char *p)
{
	const char *d = strstr(p, "/..");

	while (d != NULL && d[3] != '\0' && d[3] != '/')
		d = strstr(d + 3, "/..");
	return p[0] != '/' || d != NULL || chaos_path_is_system(p);
}

static int
undo_line(char *line, struct buf *rep)
{
	struct strlist f = STRLIST_INIT;
	struct buf a = BUF_INIT(0), b = BUF_INIT(0);
	int rc = 0;

	strlist_split(&f, line, ' ', 1);
	if (f.nr == 0)
		goto out;
	if (strcmp(f.items[0], "pid") == 0 ||
	    strcmp(f.items[0], "group") == 0) {
		if (f.nr >= 3)
			rc = undo_pid(
			    f.items[0][0] == 'g', f.items[1], f.items[2], rep);
		goto out;
	}
	if (f.nr >= 2 && chaos_hex_decode(&a, f.items[1]) != 0) {
		rc = -1;
		goto out;
	}
	if (f.nr >= 3 && chaos_hex_decode(&b, f.items[2]) != 0) {
		rc = -1;
		goto out;
	}
	/* temp files live in the state directory, wherever that is */
	if ((strcmp(f.items[0], "fill") == 0 ||
	        strcmp(f.items[0], "backup") == 0 ||
	        strcmp(f.items[0], "moved") == 0) &&
	    f.nr >= 2 &&
	    (journal_path_bad(a.data) ||
	        (f.nr >= 3 && strcmp(f.items[0], "moved") == 0 &&
	            journal_path_bad(b.data)))) {
		rc = error_msg(
		    "journal: refusing to touch '%s': not a real path outside the system directories",
		    a.data);
		goto out;
	}
	if ((strcmp(f.items[0], "fill") == 0 ||
	        strcmp(f.items[0], "temp") == 0) &&
	    f.nr >= 2) {
		if (unlink(a.data) == 0) {
			if (f.items[0][0] == 'f')
				note(rep, "removed fill file", a.data);
		} else if (errno != ENOENT) {
			rc = error_errno("cannot remove '%s'", a.data);
		}
	} else if (strcmp(f.items[0], "backup") == 0 && f.nr >= 4) {
		rc = undo_backup(a.data, b.data, f.items[3], rep);
	} else if (strcmp(f.items[0], "moved") == 0 && f.nr >= 3) {
		rc = undo_moved(a.data, b.data, rep);
	} else if (strcmp(f.items[0], "cgroup") == 0 && f.nr >= 2) {
		rc = chaos_cgroup_undo(a.data, rep);
	} else if (strcmp(f.items[0], "qdisc") == 0 && f.nr >= 2) {
		rc = chaos_netem_undo(a.data, rep);
	}
	/* "owner" and unknown kinds: nothing to undo */
out:
	buf_release(&a);
	buf_release(&b);
	strlist_release(&f);
	return rc;
}

int
chaos_rollback_locked(const char *path, int lock_fd, struct buf *report)
{
	struct buf data = BUF_INIT(JOURNAL_MAX_BYTES);
	struct strlist lines = STRLIST_INIT;
	struct stat st;
	size_t i;
	int failed = 0;

	if (fstat(lock_fd, &st) == 0 && st.st_nlink == 0)
		return 0; /* its owner finished while we waited */
	if (fs_read_file(path, JOURNAL_MAX_BYTES, &data) != 0)
		return errno == ENOENT ? 0 : -1;
	strlist_split(&lines, data.data, '\n', 1);
	for (i = lines.nr; i > 0; i--)
		if (undo_line(lines.items[i - 1], report) != 0)
			failed++;
	strlist_release(&lines);
	buf_release(&data);
	if (failed)
		return error_msg(
		    "rollback of '%s': %d step(s) failed; kept for a retry",
		    path, failed);
	if (unlink(path) != 0 && errno != ENOENT)
		return error_errno("cannot remove journal '%s'", path);
	return 0;
}

int
chaos_rollback_path(const char *path, bool wait_lock, struct buf *report)
{
	int fd, rc;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
		           ? 0
		           : error_errno("cannot open journal '%s'", path);
	while (flock(fd, LOCK_EX | (wait_lock ? 0 : LOCK_NB)) != 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		if (errno == EWOULDBLOCK)
			return 1; /* a live controller owns it */
		return error_errno("cannot lock journal '%s'", path);
	}
	rc = chaos_rollback_locked(path, fd, report);
	close(fd);
	return rc;
}

int
chaos_rollback_stale(const char *state_dir, struct buf *report)
{
	DIR *d = opendir(state_dir);
	struct dirent *e;
	int n = 0, failed = 0;

	if (d == NULL)
		return errno == ENOENT
		           ? 0
		           : error_errno("cannot open '%s'", state_dir);
	while ((e = readdir(d)) != NULL) {
		char *path;
		int rc;

		if (strncmp(e->d_name, "undo-", 5) != 0 ||
		    strstr(e->d_name, ".log") == NULL)
			continue;
		path = xasprintf("%s/%s", state_dir, e->d_name);
		rc = chaos_rollback_path(path, false, report);
		if (rc == 0)
			n++;
		else if (rc < 0)
			failed++;
		free(path);
	}
	closedir(d);
	return failed ? -1 : n;
}
