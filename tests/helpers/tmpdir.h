#ifndef BULWARK_TEST_TMPDIR_H
#define BULWARK_TEST_TMPDIR_H

#include <stddef.h>

#include "common/log.h"

/*
 * Test helpers: temp directories, files and a fake GitHub runner.
 * Every returned string is malloc'd and owned by the caller. All helpers
 * abort the test program on failure (they are not under test).
 */

/* mkdtemp under $TMPDIR (or /tmp): "<tmp>/bulwark-test.XXXXXX". */
char *tmpdir_make(void);
/* rm -rf; NULL is ignored. Frees nothing. */
void tmpdir_remove(const char *dir);
/* "dir/name". */
char *tmpdir_path(const char *dir, const char *name);
/* Creates/truncates dir/name with content; returns the full path. */
char *tmpdir_write(const char *dir, const char *name, const char *content);
/* Whole file, NUL-terminated; *len (if non-NULL) gets its size. NULL if
 * the file cannot be read. */
char *tmpdir_read(const char *path, size_t *len);
/* Number of entries in dir, not counting "." and "..". */
int tmpdir_count(const char *dir);

/*
 * Redirects stdout (fd 1) into a temp file until stdout_capture_end, which
 * restores it and returns everything written meanwhile.
 */
struct stdout_capture {
	int saved_fd;
	char *path;
};
void stdout_capture_begin(struct stdout_capture *c);
char *stdout_capture_end(struct stdout_capture *c);

/*
 * A fake runner: a temp dir with empty GITHUB_OUTPUT/ENV/PATH/STATE/
 * STEP_SUMMARY files (as the runner creates them), the variables set, plus
 * GITHUB_ACTIONS=true and RUNNER_TEMP. fake_runner_end unsets all of them
 * and removes the dir.
 */
struct fake_runner {
	char *dir;
	char *output, *env, *path, *state, *summary;
};
void fake_runner_begin(struct fake_runner *r);
void fake_runner_end(struct fake_runner *r);

/* A log sink that drops every message: log_set_sink(test_log_quiet, NULL)
 * for tests that provoke errors on purpose. */
void test_log_quiet(enum log_level lvl, const char *msg, void *ctx);

#endif
