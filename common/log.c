#include "common/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/gha.h"
#include "common/log.h"

static const char *log_progname = "bulwark";
static enum log_level log_level = LOG_INFO;
static log_sink_fn *log_sink;
static void *log_sink_ctx;

void
log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');

	log_progname = slash ? slash + 1 : prog;
}

const char *
log_prog(void)
{
	return log_progname;
}

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

void
log_set_sink(log_sink_fn *fn, void *ctx)
{
	log_sink = fn;
	log_sink_ctx = ctx;
}

void
log_get_sink(log_sink_fn **fn, void **ctx)
{
	*fn = log_sink;
	*ctx = log_sink_ctx;
}

void
log_discard(enum log_level lvl, const char *msg, void *ctx)
{
	(void)lvl;
	(void)msg;
	(void)ctx;
}

static void
stderr_sink(enum log_level lvl, const char *msg)
{
	static const char *const kind[] = { "error", "warning", NULL, NULL };
	struct buf line = BUF_INIT(0);

	fflush(stdout);
	if (lvl <= LOG_WARN && gha_active()) {
		/* One call both logs and annotates. */
		if (gha_command_line(
		        &line, kind[lvl], "title", log_progname, msg) == 0)
			fprintf(stderr, "%s\n", line.data);
		buf_release(&line);
		return;
	}
	if (lvl == LOG_WARN)
		fprintf(stderr, "%s: warning: %s\n", log_progname, msg);
	else
		fprintf(stderr, "%s: %s\n", log_progname, msg);
}

void
vlog_msg(enum log_level lvl, const char *fmt, va_list ap)
{
	char msg[4096];

	if (lvl > log_level)
		return;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink)
		log_sink(lvl, msg, log_sink_ctx);
	else
		stderr_sink(lvl, msg);
}

#define DEFINE_LOG(name, lvl)                                                  \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog_msg(lvl, fmt, ap);                                        \
		va_end(ap);                                                    \
	}

DEFINE_LOG(debug_msg, LOG_DEBUG)
DEFINE_LOG(info_msg, LOG_INFO)
DEFINE_LOG(warn_msg, LOG_WARN)

int
error_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(LOG_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

static void verrno(enum log_level lvl, int err, const char *fmt, va_list ap)
    ATTR_PRINTF(3, 0);

static void
verrno(enum log_level lvl, int err, const char *fmt, va_list ap)
{
	char msg[3072];

	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	if (lvl <= log_level) {
		char full[4096];
		(void)snprintf(
		    full, sizeof(full), "%s: %s", msg, strerror(err));
		if (log_sink)
			log_sink(lvl, full, log_sink_ctx);
		else
			stderr_sink(lvl, full);
	}
}

int
error_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	verrno(LOG_ERROR, err, fmt, ap);
	va_end(ap);
	return -1;
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_msg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(code);
}

void
die_errno(int code, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	verrno(LOG_ERROR, err, fmt, ap);
	va_end(ap);
	exit(code);
}
