#ifndef BULWARK_LOG_H
#define BULWARK_LOG_H

#include <stdarg.h>
#include "common/compat.h"

/*
 * Diagnostics on stderr, one line each: "prog: message". Grammar (git):
 * lowercase, no trailing period, the subject in single quotes, what failed
 * first: "cannot open 'x': No such file or directory".
 *
 * error_msg/error_errno return -1 so library code can write
 * `return error_msg(...)`. die/die_errno exit with RC_WRAPPER-style codes and
 * are for tools only (never called from common/ except xalloc's OOM path).
 *
 * Inside GitHub Actions (GITHUB_ACTIONS=true) errors and warnings are also
 * emitted as `::error title=prog::msg` annotations, escaped as the toolkit
 * does, so one call both logs and annotates.
 *
 * Messages are passed through a sink so tests can capture them
 * (log_set_sink); the default sink writes stderr.
 */
enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3
};

typedef void log_sink_fn(enum log_level lvl, const char *msg, void *ctx);

/* prog is kept by pointer (pass argv[0]-lifetime or static storage). */
void log_init(const char *prog);
const char *log_prog(void);
/* LOG_INFO by default; -q lowers to LOG_ERROR, -v raises to LOG_DEBUG. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* NULL restores the stderr sink. */
void log_set_sink(log_sink_fn *fn, void *ctx);
/* The current sink (NULL: stderr), so a caller can swap and restore it. */
void log_get_sink(log_sink_fn **fn, void **ctx);
/* A sink that drops everything (fuzz targets, tests of error paths). */
log_sink_fn log_discard;

void debug_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
void info_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
void warn_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
int error_msg(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* Appends ": strerror(errno)". */
int error_errno(const char *fmt, ...) ATTR_PRINTF(1, 2);
void vlog_msg(enum log_level lvl, const char *fmt, va_list ap)
    ATTR_PRINTF(2, 0);

/* Tools only: print and exit(code). */
void die(int code, const char *fmt, ...) ATTR_PRINTF(2, 3) ATTR_NORETURN;
void die_errno(int code, const char *fmt, ...) ATTR_PRINTF(2, 3) ATTR_NORETURN;

#endif
