/*
 * fs: atomic replace (old or new, never a mix, no temp left behind), locked
 * appends from concurrent writers, temp files removed on signals and exit.
 */
#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/log.h"
#include "tmpdir.h"

static int
setup(void **state)
{
	*state = tmpdir_make();
	return 0;
}

static int
teardown(void **state)
{
	tmpdir_remove(*state);
	free(*state);
	return 0;
}

static void
assert_file(const char *path, const char *want)
{
	char *got = tmpdir_read(path, NULL);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_write_atomic_replaces(void **state)
{
	const char *dir = *state;
	char *path = tmpdir_path(dir, "f.json");
	struct stat st;

	assert_int_equal(fs_write_atomic(path, "old", 3, 0640), 0);
	assert_file(path, "old");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fs_write_atomic(path, "new!", 4, 0600), 0);
	assert_file(path, "new!");
	assert_int_equal(tmpdir_count(dir), 1);
	free(path);
}

static void
test_write_atomic_failure_keeps_old(void **state)
{
	const char *dir = *state;
	char *path = tmpdir_path(dir, "f");
	char *sub = tmpdir_path(dir, "sub");
	char *inner = NULL, *missing = tmpdir_path(dir, "nodir/f");
	char big[4096];
	pid_t pid;
	int st;

	assert_int_equal(fs_write_atomic(path, "old", 3, 0644), 0);

	/* Write fails mid-way (RLIMIT_FSIZE, in a child): old file stays. */
	memset(big, 'n', sizeof(big));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 100, 100 };
		signal(SIGXFSZ, SIG_IGN);
		log_set_sink(test_log_quiet, NULL);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(fs_write_atomic(path, big, sizeof(big), 0644) == -1 ? 0
		                                                          : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_file(path, "old");
	assert_int_equal(tmpdir_count(dir), 1);

	/* rename fails (target is a non-empty directory): temp removed. */
	assert_int_equal(mkdir(sub, 0755), 0);
	inner = tmpdir_write(sub, "keep", "k");
	assert_int_equal(fs_write_atomic(sub, "x", 1, 0644), -1);
	assert_file(inner, "k");
	assert_int_equal(tmpdir_count(dir), 2);

	/* Directory missing: error, nothing created. */
	assert_int_equal(fs_write_atomic(missing, "x", 1, 0644), -1);
	assert_int_equal(tmpdir_count(dir), 2);
	assert_file(path, "old");
	free(path);
	free(sub);
	free(inner);
	free(missing);
}

#define WRITERS 8
#define RECORDS 200
#define RECLEN 3000

static void
test_append_concurrent_locked(void **state)
{
	const char *dir = *state;
	char *path = tmpdir_path(dir, "log");
	char *data, *line, *save = NULL;
	int w, st, next[WRITERS] = { 0 }, lines = 0;
	size_t len;

	for (w = 0; w < WRITERS; w++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			char rec[RECLEN + 1];
			int i, bad = 0;
			for (i = 0; i < RECORDS; i++) {
				int n =
				    snprintf(rec, sizeof(rec), "%d:%d:", w, i);
				memset(
				    rec + n, 'a' + w, RECLEN - 1 - (size_t)n);
				rec[RECLEN - 1] = '\n';
				bad |= fs_append(path, rec, RECLEN,
				    FS_LOCK | FS_CREATE, 0644);
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	data = tmpdir_read(path, &len);
	assert_int_equal(len, (size_t)WRITERS * RECORDS * RECLEN);
	/* Every record whole, in order per writer. */
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		int id, seq, n = 0;
		size_t k;
		assert_int_equal(sscanf(line, "%d:%d:%n", &id, &seq, &n), 2);
		assert_true(id >= 0 && id < WRITERS);
		assert_int_equal(seq, next[id]);
		next[id]++;
		assert_int_equal(strlen(line), RECLEN - 1);
		for (k = (size_t)n; k < RECLEN - 1; k++)
			assert_int_equal(line[k], 'a' + id);
		lines++;
	}
	assert_int_equal(lines, WRITERS * RECORDS);
	free(data);
	free(path);
}

static void
test_append_flags(void **state)
{
	const char *dir = *state;
	char *path = tmpdir_path(dir, "a");
	struct stat st;

	/* Without FS_CREATE a missing file is an error and is not made. */
	assert_int_equal(fs_append(path, "x", 1, FS_LOCK, 0644), -1);
	assert_false(fs_exists(path));
	assert_int_equal(
	    fs_append(path, "one\n", 4, FS_CREATE | FS_SYNC | FS_LOCK, 0600),
	    0);
	assert_int_equal(fs_append(path, "two\n", 4, FS_SYNC, 0600), 0);
	assert_int_equal(fs_append(path, "three\n", 6, 0, 0600), 0);
	assert_file(path, "one\ntwo\nthree\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(path);
}

/* Child: create a temp file, tell the parent, wait to be killed. */
static pid_t
spawn_temp_holder(const char *dir, int how)
{
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct fs_temp t = FS_TEMP_INIT;
		close(pfd[0]);
		if (fs_temp_create(&t, dir, "held") < 0)
			_exit(3);
		if (write(t.fd, "partial", 7) != 7 ||
		    write(pfd[1], "r", 1) != 1)
			_exit(4);
		if (how == 0)
			exit(0); /* atexit cleanup */
		for (;;)
			pause();
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	return pid;
}

static void
test_temp_removed_on_signal(void **state)
{
	const char *dir = *state;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;
	pid_t pid;
	int st;

	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		pid = spawn_temp_holder(dir, 1);
		assert_int_equal(tmpdir_count(dir), 1);
		assert_int_equal(kill(pid, sigs[i]), 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		/* It still dies of the signal, after cleaning up. */
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), sigs[i]);
		assert_int_equal(tmpdir_count(dir), 0);
	}
	pid = spawn_temp_holder(dir, 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(tmpdir_count(dir), 0);
}

static void
test_temp_not_removed_by_forked_child(void **state)
{
	const char *dir = *state;
	struct fs_temp t = FS_TEMP_INIT;
	char *dest = tmpdir_path(dir, "final");
	pid_t pid;
	int st;

	assert_int_equal(fs_temp_create(&t, dir, "mine"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exit(0); /* must not unlink the parent's temp file */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(fs_exists(t.path));
	assert_int_equal(write(t.fd, "done", 4), 4);
	assert_int_equal(fs_temp_commit(&t, dest), 0);
	assert_null(t.path);
	assert_file(dest, "done");
	assert_int_equal(tmpdir_count(dir), 1);
	fs_temp_release(&t); /* safe after commit */
	assert_true(fs_exists(dest));
	free(dest);
}

static void
test_read_file_cap(void **state)
{
	const char *dir = *state;
	char content[101];
	char *path, *missing = tmpdir_path(dir, "missing");
	struct buf b = BUF_INIT(0);

	memset(content, 'z', 100);
	content[100] = '\0';
	path = tmpdir_write(dir, "r", content);
	buf_adds(&b, "pre:");
	assert_int_equal(fs_read_file(path, 99, &b), -1);
	assert_string_equal(b.data, "pre:"); /* unchanged on error */
	assert_int_equal(fs_read_file(path, 100, &b), 0);
	assert_int_equal(b.len, 104);
	assert_memory_equal(b.data + 4, content, 100);
	assert_int_equal(fs_read_file(missing, 100, &b), -1);
	assert_int_equal(b.len, 104);
	buf_release(&b);
	free(path);
	free(missing);
}

static void
test_mkdirs(void **state)
{
	const char *dir = *state;
	char *deep = tmpdir_path(dir, "a/b/c");
	char *file = tmpdir_write(dir, "plain", "x");
	char *under = tmpdir_path(dir, "plain/sub");
	struct stat st;

	assert_int_equal(fs_mkdirs(deep, 0755), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_mkdirs(deep, 0755), 0);
	assert_int_equal(fs_mkdirs(file, 0755), -1);
	assert_int_equal(fs_mkdirs(under, 0755), -1);
	assert_int_equal(fs_fsync_dir(deep), 0);
	free(deep);
	free(file);
	free(under);
}

/* fs_fsync_parent opens the directory holding the last part: a regular
 * file's parent works, the file itself (O_DIRECTORY) would not. */
static void
test_fsync_parent(void **state)
{
	const char *dir = *state;
	char *file = tmpdir_write(dir, "plain", "x");
	char *slashed = tmpdir_path(dir, "plain//");
	char *missing = tmpdir_path(dir, "missing/x");

	assert_int_equal(fs_fsync_parent(file), 0);
	assert_int_equal(fs_fsync_parent(slashed), 0);
	assert_int_equal(fs_fsync_parent(missing), -1);
	assert_int_equal(fs_fsync_parent("/tmp"), 0);
	assert_int_equal(fs_fsync_parent("relative-name"), 0);
	free(file);
	free(slashed);
	free(missing);
}

static void
test_lock_excludes(void **state)
{
	const char *dir = *state;
	char *path = tmpdir_path(dir, "lock");
	struct fs_lock l = FS_LOCK_INIT;
	pid_t pid;
	int st;

	assert_int_equal(fs_lock_acquire(&l, path, true), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		_exit(flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK
		          ? 0
		          : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	fs_lock_release(&l);
	assert_int_equal(l.fd, -1);
	pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
	free(path);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_atomic_replaces),
		T(test_write_atomic_failure_keeps_old),
		T(test_append_concurrent_locked),
		T(test_append_flags),
		T(test_temp_removed_on_signal),
		T(test_temp_not_removed_by_forked_child),
		T(test_read_file_cap),
		T(test_mkdirs),
		T(test_fsync_parent),
		T(test_lock_excludes),
	};

	log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
