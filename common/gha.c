#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "common/gha.h"
#include "common/log.h"

#define GHA_DELIM_PREFIX "ghadelimiter_"

bool
gha_active(void)
{
	const char *v = getenv("GITHUB_ACTIONS");

	return v != NULL && strcmp(v, "true") == 0;
}

int
gha_random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[64];
	size_t got = 0, i;

	if (nbytes > sizeof(raw))
		return error_msg(
		    "random token of %zu bytes is too long", nbytes);
	while (got < nbytes) {
		ssize_t n = getrandom(raw + got, nbytes - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return error_errno("cannot get random bytes");
		}
		got += (size_t)n;
	}
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

static int
check_key(const char *var, const char *key)
{
	if (key[0] == '\0')
		return error_msg("empty name for '%s'", var);
	/* The runner splits at whichever of '=' or "<<" comes first. */
	if (strchr(key, '=') != NULL || strstr(key, "<<") != NULL ||
	    strpbrk(key, "\r\n") != NULL)
		return error_msg(
		    "invalid name '%s' for '%s': it must not contain "
		    "'=', '<<' or a line break",
		    key, var);
	return 0;
}

/* Appends n heredoc records sharing one fresh delimiter, in one locked
 * write; nothing is written unless every record is valid. */
static int
file_commands(const char *var, const struct gha_output *o, size_t n)
{
	char delim[sizeof(GHA_DELIM_PREFIX) + 32];
	struct buf rec = BUF_INIT(0);
	const char *path = getenv(var);
	size_t i;
	int ret = -1;

	if (path == NULL || path[0] == '\0')
		return error_msg("'%s' is not set", var);
	for (i = 0; i < n; i++)
		if (check_key(var, o[i].name) < 0)
			return -1;
	memcpy(delim, GHA_DELIM_PREFIX, sizeof(GHA_DELIM_PREFIX) - 1);
	if (gha_random_hex(delim + sizeof(GHA_DELIM_PREFIX) - 1, 16) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strstr(o[i].name, delim) != NULL ||
		    strstr(o[i].value, delim) != NULL) {
			error_msg(
			    "value of '%s' contains the delimiter", o[i].name);
			goto out;
		}
		if (buf_addf(&rec, "%s<<%s\n%s\n%s\n", o[i].name, delim,
		        o[i].value, delim) < 0)
			goto out;
	}
	/* No FS_CREATE: the runner creates the file, we never do. */
	ret = fs_append(path, rec.data, rec.len, FS_LOCK, 0);
out:
	buf_release(&rec);
	return ret;
}

int
gha_file_command(const char *var, const char *key, const char *value)
{
	struct gha_output one = { key, value };

	return file_commands(var, &one, 1);
}

static int
tool_file_command(const char *var, const char *key, const char *value)
{
	const char *path = getenv(var);

	if ((path == NULL || path[0] == '\0') && !gha_active())
		return 0;
	return gha_file_command(var, key, value);
}

int
gha_set_output(const char *name, const char *value)
{
	return tool_file_command("GITHUB_OUTPUT", name, value);
}

int
gha_set_outputs(const struct gha_output *o, size_t n)
{
	const char *path = getenv("GITHUB_OUTPUT");

	if ((path == NULL || path[0] == '\0') && !gha_active())
		return 0;
	return file_commands("GITHUB_OUTPUT", o, n);
}

int
gha_export_var(const char *name, const char *value)
{
	return tool_file_command("GITHUB_ENV", name, value);
}

int
gha_save_state(const char *name, const char *value)
{
	return tool_file_command("GITHUB_STATE", name, value);
}

int
gha_add_path(const char *dir)
{
	const char *path = getenv("GITHUB_PATH");
	struct buf line = BUF_INIT(0);
	int ret = -1;

	if ((path == NULL || path[0] == '\0') && !gha_active())
		return 0;
	if (path == NULL || path[0] == '\0')
		return error_msg("'GITHUB_PATH' is not set");
	if (dir[0] == '\0' || strpbrk(dir, "\r\n") != NULL)
		return error_msg(
		    "invalid directory '%s' for 'GITHUB_PATH'", dir);
	if (buf_addf(&line, "%s\n", dir) == 0)
		ret = fs_append(path, line.data, line.len, FS_LOCK, 0);
	buf_release(&line);
	return ret;
}

/* True if the file already ends with the truncation note. */
static bool
summary_has_note(int fd, off_t size)
{
	char tail[sizeof(GHA_SUMMARY_TRUNCATED_NOTE)];
	size_t n = sizeof(GHA_SUMMARY_TRUNCATED_NOTE) - 1;

	if (size < (off_t)n)
		return false;
	if (pread(fd, tail, n, size - (off_t)n) != (ssize_t)n)
		return false;
	return memcmp(tail, GHA_SUMMARY_TRUNCATED_NOTE, n) == 0;
}

int
gha_summary_append(const char *markdown)
{
	static const char note[] = GHA_SUMMARY_TRUNCATED_NOTE;
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	size_t len = strlen(markdown), cut, size, room;
	struct buf rec = BUF_INIT(0);
	struct stat st;
	int fd, ret = -1;

	if ((path == NULL || path[0] == '\0') && !gha_active())
		return 0;
	if (path == NULL || path[0] == '\0')
		return error_msg("'GITHUB_STEP_SUMMARY' is not set");
	/* Read-write: the tail is checked for an earlier note. */
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			error_errno("cannot lock '%s'", path);
			goto out;
		}
	}
	if (fstat(fd, &st) < 0) {
		error_errno("cannot stat '%s'", path);
		goto out;
	}
	size = (size_t)st.st_size;
	/* Already truncated (by us or another process of the step): drop. */
	if (summary_has_note(fd, st.st_size)) {
		ret = 1;
		goto out;
	}
	if (size + len <= GHA_SUMMARY_MAX) {
		if (buf_add(&rec, markdown, len) < 0)
			goto out;
		ret = 0;
	} else {
		room = size + sizeof(note) - 1 < GHA_SUMMARY_MAX
		           ? GHA_SUMMARY_MAX - size - (sizeof(note) - 1)
		           : 0;
		/* Cut after the last newline that fits. */
		cut = room < len ? room : len;
		while (cut > 0 && markdown[cut - 1] != '\n')
			cut--;
		if (buf_add(&rec, markdown, cut) < 0 ||
		    buf_add(&rec, note, sizeof(note) - 1) < 0)
			goto out;
		ret = 1;
	}
	if (write(fd, rec.data, rec.len) != (ssize_t)rec.len) {
		ret = error_errno("cannot append to '%s'", path);
		goto out;
	}
out:
	buf_release(&rec);
	(void)close(fd);
	return ret;
}

static int
escape(struct buf *out, const char *s, bool prop)
{
	size_t start = out->len;
	int ret = 0;

	for (; *s != '\0' && ret == 0; s++) {
		switch (*s) {
		case '%':
			ret = buf_adds(out, "%25");
			break;
		case '\r':
			ret = buf_adds(out, "%0D");
			break;
		case '\n':
			ret = buf_adds(out, "%0A");
			break;
		case ':':
			ret = prop ? buf_adds(out, "%3A") : buf_addch(out, ':');
			break;
		case ',':
			ret = prop ? buf_adds(out, "%2C") : buf_addch(out, ',');
			break;
		default:
			ret = buf_addch(out, *s);
			break;
		}
	}
	if (ret < 0)
		buf_truncate(out, start);
	return ret;
}

int
gha_escape_data(struct buf *out, const char *s)
{
	return escape(out, s, false);
}

int
gha_escape_prop(struct buf *out, const char *s)
{
	return escape(out, s, true);
}

int
gha_command_line(struct buf *out, const char *cmd, const char *key,
    const char *val, const char *msg)
{
	size_t start = out->len;

	if (buf_addf(out, "::%s", cmd) < 0)
		goto fail;
	if (key != NULL && val != NULL &&
	    (buf_addf(out, " %s=", key) < 0 || gha_escape_prop(out, val) < 0))
		goto fail;
	if (buf_adds(out, "::") < 0 ||
	    gha_escape_data(out, msg != NULL ? msg : "") < 0)
		goto fail;
	return 0;
fail:
	buf_truncate(out, start);
	return -1;
}

static int
add_prop(struct buf *out, bool *first, const char *key, const char *val)
{
	if (buf_addf(out, "%c%s=", *first ? ' ' : ',', key) < 0)
		return -1;
	*first = false;
	return gha_escape_prop(out, val);
}

static int
add_num_prop(struct buf *out, bool *first, const char *key, long v)
{
	char num[32];

	if (v <= 0)
		return 0;
	(void)snprintf(num, sizeof(num), "%ld", v);
	return add_prop(out, first, key, num);
}

void
gha_annotate(const char *level, const struct gha_loc *loc, const char *fmt, ...)
{
	struct buf msg = BUF_INIT(0), line = BUF_INIT(0);
	bool first = true;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		goto out;
	if (!gha_active()) {
		fflush(stdout);
		if (loc != NULL && loc->file != NULL && loc->line > 0)
			fprintf(stderr, "%s: %s: %s:%ld: %s\n", log_prog(),
			    level, loc->file, loc->line, msg.data);
		else
			fprintf(stderr, "%s: %s: %s\n", log_prog(), level,
			    msg.data);
		goto out;
	}
	/* Property order as toolkit's toCommandProperties. */
	if (buf_addf(&line, "::%s", level) < 0)
		goto out;
	if (loc != NULL) {
		if ((loc->title != NULL &&
		        add_prop(&line, &first, "title", loc->title) < 0) ||
		    (loc->file != NULL &&
		        add_prop(&line, &first, "file", loc->file) < 0) ||
		    add_num_prop(&line, &first, "line", loc->line) < 0 ||
		    add_num_prop(&line, &first, "endLine", loc->end_line) < 0 ||
		    add_num_prop(&line, &first, "col", loc->col) < 0 ||
		    add_num_prop(&line, &first, "endColumn", loc->end_col) < 0)
			goto out;
	}
	if (buf_adds(&line, "::") < 0 || gha_escape_data(&line, msg.data) < 0)
		goto out;
	printf("%s\n", line.data);
	fflush(stdout);
out:
	buf_release(&msg);
	buf_release(&line);
}

static void
print_mask(const char *s, size_t len)
{
	struct buf line = BUF_INIT(0);
	struct buf val = BUF_INIT(0);

	if (buf_add(&val, s, len) == 0 &&
	    gha_command_line(&line, "add-mask", NULL, NULL, val.data) == 0)
		printf("%s\n", line.data);
	buf_release(&line);
	buf_release(&val);
}

void
gha_mask(const char *secret)
{
	const char *p = secret;

	if (!gha_active() || secret[0] == '\0')
		return;
	print_mask(secret, strlen(secret));
	if (strpbrk(secret, "\r\n") == NULL)
		goto out;
	/* Each trimmed line too, as the runner does for multi-line values. */
	while (*p != '\0') {
		size_t n = strcspn(p, "\r\n");
		const char *b = p, *e = p + n;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b)
			print_mask(b, (size_t)(e - b));
		p += n;
		if (*p != '\0')
			p++;
	}
out:
	fflush(stdout);
}

void
gha_group_begin(const char *title)
{
	struct buf line = BUF_INIT(0);

	if (!gha_active())
		return;
	if (gha_command_line(&line, "group", NULL, NULL, title) == 0)
		printf("%s\n", line.data);
	fflush(stdout);
	buf_release(&line);
}

void
gha_group_end(void)
{
	if (!gha_active())
		return;
	printf("::endgroup::\n");
	fflush(stdout);
}

void
gha_untrusted_begin(struct gha_untrusted *u, FILE *fp)
{
	u->on = false;
	u->token[0] = '\0';
	if (!gha_active() || gha_random_hex(u->token, 16) < 0)
		return;
	fprintf(fp, "::stop-commands::%s\n", u->token);
	fflush(fp);
	u->on = true;
}

void
gha_untrusted_end(struct gha_untrusted *u, FILE *fp)
{
	if (!u->on)
		return;
	/*
	 * The resume marker only counts at the start of a line; untrusted
	 * text may end without a newline, so start a fresh one.
	 */
	fprintf(fp, "\n::%s::\n", u->token);
	fflush(fp);
	u->on = false;
}
