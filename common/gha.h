#ifndef BULWARK_GHA_H
#define BULWARK_GHA_H

#include <stdio.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * The GitHub Actions runner interface: file commands and workflow commands,
 * written exactly as actions/toolkit does (research/gha-runtime.md §1-2).
 *
 * File commands ($GITHUB_OUTPUT, _ENV, _STATE): always the heredoc form
 *   key<<ghadelimiter_<32 random hex>\nvalue\nghadelimiter_...\n
 * with a fresh random delimiter per call. Refused (-1, nothing written):
 * a value or key containing the delimiter; a key that is empty or contains
 * '=', "<<", '\r' or '\n'. The file is opened O_APPEND without O_CREAT: if
 * the variable is unset or the file does not exist that is an error, and the
 * file is never created or truncated. Writes take an flock and are one
 * write(2).
 */
bool gha_active(void); /* GITHUB_ACTIONS=true */

/* Strict primitive: var is "GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STATE". */
int gha_file_command(const char *var, const char *key, const char *value);

/*
 * Tool-level helpers. With the file variable unset and not inside Actions
 * they do nothing and return 0 (a laptop has no runner); inside Actions an
 * unset or missing file is an error.
 */
int gha_set_output(const char *name, const char *value);
/* Several outputs in one locked append: all are written or none (a bad
 * name or a value holding the delimiter refuses the whole set). */
struct gha_output {
	const char *name, *value;
};
int gha_set_outputs(const struct gha_output *o, size_t n);
int gha_export_var(const char *name, const char *value);
int gha_save_state(const char *name, const char *value);
/* One line to $GITHUB_PATH; refuses '\r' or '\n' in dir. */
int gha_add_path(const char *dir);

/*
 * Appends Markdown to $GITHUB_STEP_SUMMARY, keeping the file below
 * GHA_SUMMARY_MAX: if the addition would pass it, as much as fits is written
 * (cut at a line boundary) followed by GHA_SUMMARY_TRUNCATED_NOTE, and later
 * appends are dropped. Returns 1 if it truncated, 0 if written whole.
 */
#define GHA_SUMMARY_MAX ((size_t)1024 * 1024 - 4096)
#define GHA_SUMMARY_TRUNCATED_NOTE                                             \
	"\n\n> **Note:** summary truncated: GitHub accepts at most 1 MiB per step.\n"
int gha_summary_append(const char *markdown);

/* Escaping exactly as toolkit command.ts. Append to out. */
int gha_escape_data(struct buf *out, const char *s);
int gha_escape_prop(struct buf *out, const char *s);

/*
 * Builds "::cmd key=escaped(val)::escaped(msg)" (no newline) into out.
 * key/val may be NULL for a command without properties.
 */
int gha_command_line(struct buf *out, const char *cmd, const char *key,
    const char *val, const char *msg);

/* Annotation location; any field may be 0/NULL. */
struct gha_loc {
	const char *file;
	long line, end_line, col, end_col;
	const char *title;
};
/* level: "error", "warning", "notice". Printed to stdout inside Actions,
 * as "prog: level: msg" on stderr elsewhere. */
void gha_annotate(const char *level, const struct gha_loc *loc, const char *fmt,
    ...) ATTR_PRINTF(3, 4);

/* ::add-mask:: for the value and each trimmed CR/LF line of it. No-op
 * outside Actions. Empty values are ignored. */
void gha_mask(const char *secret);

void gha_group_begin(const char *title);
void gha_group_end(void);

/*
 * Untrusted text (logs, PR titles, API bodies) is printed between
 * gha_untrusted_begin/end: "::stop-commands::<token>" ... "::<token>::",
 * with a fresh random 32-hex token, so no line inside can be a workflow
 * command. gha_untrusted_end starts a new line before its marker, since the
 * runner only sees "::<token>::" at the start of a line and the text may
 * not end with a newline. Outside Actions they print nothing. Not nestable.
 */
struct gha_untrusted {
	char token[33];
	bool on;
};
void gha_untrusted_begin(struct gha_untrusted *u, FILE *fp);
void gha_untrusted_end(struct gha_untrusted *u, FILE *fp);

/* n random bytes as 2n lowercase hex + NUL into out (getrandom). */
int gha_random_hex(char *out, size_t nbytes);

#endif
