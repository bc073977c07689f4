#include "common/compat.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"

/* cJSON's own nesting limit is 1000; ours is lower and checked first so a
 * deep document costs nothing. Counts brackets outside strings. */
static int
check_depth(const char *p, size_t len, const char *what)
{
	size_t i, depth = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > JSON_MAX_DEPTH)
				return error_msg(
				    "%s: JSON nested deeper than %d "
				    "levels at byte %zu",
				    what, JSON_MAX_DEPTH, i);
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

int
json_parse(const char *data, size_t len, const char *what, cJSON **out)
{
	const char *end = NULL;
	cJSON *v;
	size_t off;

	*out = NULL;
	if (check_depth(data, len, what) < 0)
		return -1;
	v = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (v == NULL) {
		off = end && end >= data ? (size_t)(end - data) : 0;
		if (off >= len)
			return error_msg(
			    "%s: invalid JSON: unexpected end of input", what);
		return error_msg("%s: invalid JSON at byte %zu", what, off);
	}
	for (off = (size_t)(end - data); off < len; off++) {
		char c = data[off];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
		    c != '\0') {
			cJSON_Delete(v);
			return error_msg("%s: unexpected data after JSON value "
			                 "at byte %zu",
			    what, off);
		}
	}
	*out = v;
	return 0;
}

int
json_load_file(const char *path, size_t max, cJSON **out)
{
	struct buf b = BUF_INIT(max);
	int rc;

	*out = NULL;
	if (fs_read_file(path, max, &b) < 0)
		return -1;
	rc = json_parse(b.data, b.len, path, out);
	buf_release(&b);
	return rc;
}

static const cJSON *
member(const cJSON *obj, const char *key)
{
	if (!cJSON_IsObject(obj))
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

int
json_get_str(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *m = member(obj, key);

	if (!cJSON_IsString(m) || m->valuestring == NULL)
		return error_msg("'%s': expected a string", key);
	*out = m->valuestring;
	return 0;
}

const char *
json_opt_str(const cJSON *obj, const char *key)
{
	const cJSON *m = member(obj, key);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

#define JSON_INT_MAX 9007199254740992.0 /* 2^53 */

int
json_get_int(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *m = member(obj, key);
	double d;

	if (!cJSON_IsNumber(m))
		return error_msg("'%s': expected an integer", key);
	d = m->valuedouble;
	if (!isfinite(d) || d != floor(d) || fabs(d) > JSON_INT_MAX)
		return error_msg("'%s': expected an integer", key);
	*out = (int64_t)d;
	return 0;
}

int
json_get_double(const cJSON *obj, const char *key, double *out)
{
	const cJSON *m = member(obj, key);

	if (!cJSON_IsNumber(m))
		return error_msg("'%s': expected a number", key);
	*out = m->valuedouble;
	return 0;
}

int
json_get_bool(const cJSON *obj, const char *key, bool *out)
{
	const cJSON *m = member(obj, key);

	if (!cJSON_IsBool(m))
		return error_msg("'%s': expected true or false", key);
	*out = cJSON_IsTrue(m);
	return 0;
}

char *
json_print(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s == NULL)
		s = xstrdup("null");
	return s;
}

/* Next UTF-8 code point; -1 on malformed input. */
static long
utf8_next(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	long cp;
	int n, i;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		n = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		n = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		n = 3;
	} else {
		return -1;
	}
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
	    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*pp = p + n + 1;
	return cp;
}

/* Order by UTF-16 code units (RFC 8785 §3.2.3). */
int
json_key_cmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	while (*pa && *pb) {
		long ca = utf8_next(&pa), cb = utf8_next(&pb);

		if (ca < 0 || cb < 0)
			return strcmp(a, b);
		if (ca >= 0x10000)
			ca = 0xd800 + ((ca - 0x10000) >> 10);
		if (cb >= 0x10000)
			cb = 0xd800 + ((cb - 0x10000) >> 10);
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (*pa != 0) - (*pb != 0);
}

/* Copies runs of plain ASCII at once: entries are mostly that. */
int
json_canon_string(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t elen;

	if (buf_addch(out, '"') < 0)
		return -1;
	while (*p != 0) {
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			if (utf8_next(&p) < 0)
				return error_msg("string is not valid UTF-8");
			continue;
		}
		if (buf_add(out, run, (size_t)(p - run)) < 0)
			return -1;
		elen = 2;
		switch (*p) {
		case '"':
		case '\\':
			esc[1] = (char)*p;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[1] = 'u';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			elen = 6;
		}
		if (buf_add(out, esc, elen) < 0)
			return -1;
		run = ++p;
	}
	if (buf_add(out, run, (size_t)(p - run)) < 0)
		return -1;
	return buf_addch(out, '"');
}

static int
cmp_members(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a;
	const cJSON *y = *(const cJSON *const *)b;

	return json_key_cmp(x->string, y->string);
}

static int canon_value(const cJSON *v, struct buf *out, int depth);

static int
canon_object(const cJSON *v, struct buf *out, int depth)
{
	const cJSON **m = NULL, *c;
	size_t n = 0, cap = 0, i;
	int rc = -1;

	for (c = v->child; c; c = c->next) {
		xgrow((void **)&m, &cap, n + 1, sizeof(*m));
		m[n++] = c;
	}
	if (n > 1)
		qsort(m, n, sizeof(*m), cmp_members);
	if (buf_addch(out, '{') < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(m[i - 1]->string, m[i]->string) == 0) {
			error_msg("duplicate key '%s'", m[i]->string);
			goto out;
		}
		if ((i > 0 && buf_addch(out, ',') < 0) ||
		    json_canon_string(m[i]->string, out) < 0 ||
		    buf_addch(out, ':') < 0 ||
		    canon_value(m[i], out, depth + 1) < 0)
			goto out;
	}
	rc = buf_addch(out, '}');
out:
	free(m);
	return rc;
}

static int
canon_value(const cJSON *v, struct buf *out, int depth)
{
	const cJSON *c;
	double d;

	if (depth > JSON_MAX_DEPTH)
		return error_msg(
		    "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
	switch (v->type & 0xff) {
	case cJSON_NULL:
		return buf_adds(out, "null");
	case cJSON_True:
		return buf_adds(out, "true");
	case cJSON_False:
		return buf_adds(out, "false");
	case cJSON_Number:
		d = v->valuedouble;
		if (!isfinite(d) || d != floor(d) || fabs(d) > JSON_INT_MAX)
			return error_msg("number %g is not an integer within "
			                 "+-2^53",
			    d);
		return buf_addf(out, "%lld", (long long)d + 0LL);
	case cJSON_String:
		return json_canon_string(
		    v->valuestring ? v->valuestring : "", out);
	case cJSON_Array:
		if (buf_addch(out, '[') < 0)
			return -1;
		for (c = v->child; c; c = c->next)
			if ((c != v->child && buf_addch(out, ',') < 0) ||
			    canon_value(c, out, depth + 1) < 0)
				return -1;
		return buf_addch(out, ']');
	case cJSON_Object:
		return canon_object(v, out, depth);
	default:
		return error_msg("unsupported JSON value");
	}
}

int
json_canonical(const cJSON *v, struct buf *out)
{
	size_t old = out->len;

	if (canon_value(v, out, 0) < 0) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}
