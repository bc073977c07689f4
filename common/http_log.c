#include "common/compat.h"

#include <stdarg.h>
#include <string.h>

#include "common/buf.h"
#include "common/http.h"
#include "common/http_int.h"
#include "common/log.h"
#include "common/strlist.h"

/* Secrets registered with http_redact: never printed by this module. */
static struct strlist redactions = STRLIST_INIT;

void
http_redact(const char *secret)
{
	size_t i;

	if (secret == NULL || *secret == '\0')
		return;
	for (i = 0; i < redactions.nr; i++)
		if (strcmp(redactions.items[i], secret) == 0)
			return;
	strlist_push(&redactions, secret);
}

/* Replace every registered secret in line with "***". */
static void
redact_line(struct buf *line)
{
	size_t i;

	for (i = 0; i < redactions.nr; i++) {
		const char *s = redactions.items[i];
		size_t n = strlen(s);
		struct buf out = BUF_INIT(0);
		const char *p = line->data, *hit;

		if (strstr(p, s) == NULL)
			continue;
		while ((hit = strstr(p, s)) != NULL) {
			(void)buf_add(&out, p, (size_t)(hit - p));
			(void)buf_adds(&out, "***");
			p = hit + n;
		}
		(void)buf_adds(&out, p);
		buf_release(line);
		*line = out;
	}
}

static bool
sensitive_param(const char *name, size_t len)
{
	static const char *const words[] = { "sig", "token", "key", "secret",
		"credential", "auth", "password" };
	char tmp[64];
	size_t i;

	if (len >= sizeof(tmp))
		return true;
	for (i = 0; i < len; i++)
		tmp[i] = (char)(name[i] | 0x20);
	tmp[len] = '\0';
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (strstr(tmp, words[i]))
			return true;
	return false;
}

/* A URL for logs: userinfo and the values of credential-like query
 * parameters (pre-signed storage URLs carry "sig=...") are masked. */
void
http_url_for_log(struct buf *out, const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at, *q, *p;

	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	(void)buf_add(out, url, (size_t)(auth - url));
	if (at) {
		(void)buf_adds(out, "***@");
		auth = at + 1;
	}
	q = strchr(auth, '?');
	if (q == NULL) {
		(void)buf_adds(out, auth);
		return;
	}
	(void)buf_add(out, auth, (size_t)(q + 1 - auth));
	for (p = q + 1; *p;) {
		size_t len = strcspn(p, "&#");
		const char *eq = memchr(p, '=', len);

		if (eq && sensitive_param(p, (size_t)(eq - p))) {
			(void)buf_add(out, p, (size_t)(eq + 1 - p));
			(void)buf_adds(out, "***");
		} else {
			(void)buf_add(out, p, len);
		}
		p += len;
		if (*p == '#') {
			(void)buf_adds(out, p);
			break;
		}
		if (*p == '&')
			(void)buf_addch(out, *p++);
	}
}

void
http_log(enum log_level lvl, const char *fmt, ...)
{
	struct buf line = BUF_INIT(0);
	va_list ap;

	if (lvl > log_get_level())
		return;
	va_start(ap, fmt);
	(void)buf_vaddf(&line, fmt, ap);
	va_end(ap);
	redact_line(&line);
	if (lvl == LOG_ERROR)
		error_msg("%s", line.data);
	else if (lvl == LOG_WARN)
		warn_msg("%s", line.data);
	else if (lvl == LOG_INFO)
		info_msg("%s", line.data);
	else
		debug_msg("%s", line.data);
	buf_release(&line);
}
