#ifndef PERF_SHARD_RUN_H
#define PERF_SHARD_RUN_H

#include "common/compat.h"
#include "common/strlist.h"

/*
 * Output formats of a shard's items:
 *   lines   one per line (default)
 *   args    shell-quoted, space separated
 *   pytest  node ids, shell-quoted (same as args; pytest takes ids)
 *   jest    one regex for --testPathPattern: ^(a|b)$ with escaping
 *   go      -run regex of the test names: ^(TestA|TestB)$ (after "::")
 */
enum fmt {
	FMT_LINES = 0,
	FMT_ARGS,
	FMT_PYTEST,
	FMT_JEST,
	FMT_GO
};

int fmt_parse(const char *s, enum fmt *f);
int fmt_items(enum fmt f, const char *const *items, size_t n, struct buf *out);

/*
 * Runs cmd with the items substituted: each "{}" argument becomes the
 * items as separate arguments; "{@}" becomes the path of a temp file with
 * one item per line. Without a placeholder the items are appended. If the
 * items would exceed RUN_MAX_ARGS bytes, "{}" becomes "@FILE" (the
 * argument-file syntax of pytest, javac, gcc) with a warning.
 * No items: a notice and 0, the command is not run (pytest would exit 5).
 * Returns the command's exit status as proc reports it (124/126/127/128+N),
 * or -1 (125 for the caller) if we failed ourselves.
 */
#define RUN_MAX_ARGS ((size_t)128 * 1024)

int run_items(
    char **cmd, int ncmd, const char *const *items, size_t n, bool dry_run);

/*
 * A test id starting with '-' substituted for "{}" (or appended) would be
 * read by the command as an option ("-rf", "--deselect=..."). Such ids are
 * refused unless the command has a "--" argument before the place they go
 * ("pytest -- {}"), or they travel in a file ("{@}"). -1 with a message
 * naming the first offending id, else 0.
 */
int run_check_dashes(
    char *const *cmd, int ncmd, const char *const *items, size_t n);

#endif
