#ifndef BULWARK_OPT_H
#define BULWARK_OPT_H

#include <stdint.h>
#include <stdio.h>
#include "common/compat.h"
#include "common/strlist.h"

/*
 * Option tables (git parse-options, libgit2 cli_opt) on top of getopt_long.
 * The table is the single source of --help.
 *
 * Precedence is config file < environment < command line: opt_parse first
 * applies each option's `env` variable (if set and non-empty), then argv.
 * A tool that reads a config file loads it into the same struct before
 * calling opt_parse (opt_peek finds --config without parsing).
 *
 * --help and --version are always accepted and need not be in the table.
 *
 * Value pointers by type:
 *   OPT_T_BOOL     bool *          (--name sets true, --no-name false)
 *   OPT_T_STRING   const char **   (points into argv/environ; not copied)
 *   OPT_T_INT      long *          (decimal, range checked against min/max)
 *   OPT_T_DURATION int64_t *       milliseconds; "250ms", "30s", "5m", "1h",
 *                                  "1.5s", bare number = seconds
 *   OPT_T_SIZE     uint64_t *      bytes; "512", "64k", "10M", "1G" (1024)
 *   OPT_T_LIST     struct strlist * (repeatable; each use appends a copy)
 *   OPT_T_VERBOSE  -v/--verbose raises the log level (no value pointer)
 *   OPT_T_QUIET    -q/--quiet lowers it to errors only
 *   OPT_T_CALLBACK cb(opt, arg) returns 0 or -1 with a message
 */
enum opt_type {
	OPT_T_END = 0,
	OPT_T_BOOL,
	OPT_T_STRING,
	OPT_T_INT,
	OPT_T_DURATION,
	OPT_T_SIZE,
	OPT_T_LIST,
	OPT_T_VERBOSE,
	OPT_T_QUIET,
	OPT_T_CALLBACK,
};

struct opt;
typedef int opt_cb_fn(const struct opt *o, const char *arg);

struct opt {
	enum opt_type type;
	int short_name; /* 0 for none */
	const char *long_name;
	void *value;
	const char *argh; /* placeholder in help, e.g. "DIR" */
	const char *help;
	const char *env; /* environment variable, or NULL */
	long min, max;   /* OPT_T_INT range (both 0 = unchecked) */
	opt_cb_fn *cb;
};

#define OPT_BOOL(s, l, v, h)                                                   \
	{                                                                      \
		OPT_T_BOOL, s, l, v, NULL, h, NULL, 0, 0, NULL                 \
	}
#define OPT_STRING(s, l, v, a, h)                                              \
	{                                                                      \
		OPT_T_STRING, s, l, v, a, h, NULL, 0, 0, NULL                  \
	}
#define OPT_STRING_ENV(s, l, v, a, e, h)                                       \
	{                                                                      \
		OPT_T_STRING, s, l, v, a, h, e, 0, 0, NULL                     \
	}
#define OPT_INT(s, l, v, a, lo, hi, h)                                         \
	{                                                                      \
		OPT_T_INT, s, l, v, a, h, NULL, lo, hi, NULL                   \
	}
#define OPT_DURATION(s, l, v, h)                                               \
	{                                                                      \
		OPT_T_DURATION, s, l, v, "DURATION", h, NULL, 0, 0, NULL       \
	}
#define OPT_SIZE(s, l, v, h)                                                   \
	{                                                                      \
		OPT_T_SIZE, s, l, v, "SIZE", h, NULL, 0, 0, NULL               \
	}
#define OPT_LIST(s, l, v, a, h)                                                \
	{                                                                      \
		OPT_T_LIST, s, l, v, a, h, NULL, 0, 0, NULL                    \
	}
#define OPT_CALLBACK(s, l, a, cbfn, h)                                         \
	{                                                                      \
		OPT_T_CALLBACK, s, l, NULL, a, h, NULL, 0, 0, cbfn             \
	}
#define OPT__VERBOSE                                                           \
	{                                                                      \
		OPT_T_VERBOSE, 'v', "verbose", NULL, NULL, "more output",      \
		    NULL, 0, 0, NULL                                           \
	}
#define OPT__QUIET                                                             \
	{                                                                      \
		OPT_T_QUIET, 'q', "quiet", NULL, NULL, "errors only", NULL, 0, \
		    0, NULL                                                    \
	}
#define OPT__JSON(v) OPT_BOOL(0, "json", v, "machine-readable JSON on stdout")
#define OPT__DRY_RUN(v)                                                        \
	OPT_BOOL('n', "dry-run", v, "show what would change, change nothing")
#define OPT__CONFIG(v) OPT_STRING('c', "config", v, "FILE", "YAML config file")
#define OPT_END()                                                              \
	{                                                                      \
		OPT_T_END, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL         \
	}

/*
 * usage: NULL-terminated lines, the first being the synopsis
 * ("audit-append append --log DIR --event TYPE [options]").
 */
enum {
	OPT_DONE = -2, /* --help or --version was printed; exit 0 */
	OPT_ERROR = -1 /* error printed with short usage; exit RC_USAGE */
};

/*
 * Parses argv[1..]. Stops at the first operand or "--" (which is skipped)
 * and returns its index (argc if none). Options may not follow operands,
 * so `tool run -- cmd -x` and `tool run cmd -x` both keep -x for cmd.
 */
int opt_parse(
    int argc, char **argv, const struct opt *opts, const char *const *usage);

void opt_print_help(FILE *fp, const struct opt *opts, const char *const *usage);
void opt_print_version(FILE *fp);

/* The value of --name=X / --name X in argv, or NULL. Does not consume. */
const char *opt_peek(int argc, char **argv, const char *long_name);

int opt_parse_duration(const char *s, int64_t *ms);
int opt_parse_size(const char *s, uint64_t *bytes);
int opt_parse_long(const char *s, long min, long max, long *out);

/*
 * Subcommand dispatch: `tool VERB args...`. Handles --help/--version and an
 * unknown verb (exit RC_USAGE via return value). Returns the verb's status.
 */
struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

int opt_dispatch(
    int argc, char **argv, const struct subcmd *cmds, const char *summary);

#endif
