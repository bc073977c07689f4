#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/github.h"
#include "common/xalloc.h"

/* RFC 8288 Link headers, as GitHub sends them for pagination. */

/* Does a rel value (space-separated relation types) contain "next"? */
static bool
rel_has_next(const char *v)
{
	while (*v) {
		size_t n;

		v += strspn(v, " \t");
		n = strcspn(v, " \t");
		if (n == 4 && strncasecmp(v, "next", 4) == 0)
			return true;
		v += n;
	}
	return false;
}

/* Reads a token or quoted-string parameter value at *pp into val. */
static void
param_value(const char **pp, char *val, size_t size)
{
	const char *p = *pp;
	size_t n = 0;
	bool over = false;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < size)
				val[n++] = *p;
			else
				over = true;
		}
		if (*p == '"')
			p++;
	} else {
		size_t len = strcspn(p, ";, \t");

		over = len >= size;
		n = over ? 0 : len;
		memcpy(val, p, n);
		p += len;
	}
	val[over ? 0 : n] = '\0'; /* a cut value must not match by accident */
	*pp = p;
}

/* Skips to the next top-level ',' (quoted strings may contain commas). */
static const char *
skip_to_comma(const char *p)
{
	while (*p && *p != ',') {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p == '\0')
				break;
		}
		p++;
	}
	return p;
}

static bool
url_ok(const char *u, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f || u[i] == '<')
			return false;
	return true;
}

/* RFC 8288: link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ),
 * comma-separated. Anything malformed is skipped, never trusted. */
char *
github_link_next(const char *link)
{
	const char *p = link;

	while (*p) {
		const char *u, *ue;
		bool next = false;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		if (*p != '<') {
			p = skip_to_comma(p);
			continue;
		}
		u = p + 1;
		ue = strchr(u, '>');
		if (ue == NULL)
			return NULL;
		p = ue + 1;
		for (;;) {
			char val[256];
			const char *name;
			size_t nlen;

			p += strspn(p, " \t");
			if (*p != ';')
				break;
			p++;
			p += strspn(p, " \t");
			name = p;
			nlen = strcspn(p, "=;, \t");
			p += nlen;
			p += strspn(p, " \t");
			val[0] = '\0';
			if (*p == '=') {
				p++;
				p += strspn(p, " \t");
				param_value(&p, val, sizeof(val));
			}
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 &&
			    rel_has_next(val))
				next = true;
		}
		p = skip_to_comma(p);
		if (next && url_ok(u, (size_t)(ue - u)))
			return xstrndup(u, (size_t)(ue - u));
	}
	return NULL;
}
