#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "jsonr.h"

void
jsonr_init(struct jsonr *r, const char *data, size_t len, const char *what)
{
	r->p = r->start = data;
	r->end = data + len;
	r->what = what;
	buf_init(&r->str, (size_t)1 << 30);
}

void
jsonr_release(struct jsonr *r)
{
	buf_release(&r->str);
}

int
jsonr_error(struct jsonr *r, const char *what)
{
	return error_msg("'%s': invalid JSON at byte %zu: %s", r->what,
	    (size_t)(r->p - r->start), what);
}

char
jsonr_peek(struct jsonr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	                            *r->p == '\r' || *r->p == '\t'))
		r->p++;
	return r->p < r->end ? *r->p : 0;
}

int
jsonr_expect(struct jsonr *r, char c)
{
	if (jsonr_peek(r) != c) {
		char m[] = "expected 'x'";

		m[10] = c;
		return jsonr_error(r, m);
	}
	r->p++;
	return 0;
}

int
jsonr_more(struct jsonr *r, char close)
{
	char c = jsonr_peek(r);

	if (c == ',' || c == close) {
		r->p++;
		return c == ',';
	}
	return jsonr_error(
	    r, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/* After a backslash: one escape into r->str. */
static int
unescape(struct jsonr *r)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned cp, lo;

	if (r->p >= r->end)
		return jsonr_error(r, "unterminated string");
	e = strchr(from, *r->p);
	if (*r->p && e) {
		r->p++;
		return buf_addch(&r->str, to[e - from]);
	}
	if (*r->p != 'u' || r->end - r->p < 5 || hex4(r->p + 1, &cp) < 0)
		return jsonr_error(r, "bad escape");
	r->p += 5;
	if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 6 &&
	    r->p[0] == '\\' && r->p[1] == 'u' && hex4(r->p + 2, &lo) == 0 &&
	    lo >= 0xdc00 && lo < 0xe000) {
		r->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return put_utf8(&r->str, cp);
}

const char *
jsonr_string(struct jsonr *r)
{
	const char *run;

	if (jsonr_expect(r, '"') < 0)
		return NULL;
	buf_reset(&r->str);
	for (run = r->p; r->p < r->end; r->p++) {
		unsigned char c = (unsigned char)*r->p;

		if (c == '"' || c == '\\') {
			if (buf_add(&r->str, run, (size_t)(r->p - run)) < 0)
				return NULL;
			r->p++;
			if (c == '"')
				return r->str.data;
			if (unescape(r) < 0)
				return NULL;
			run = r->p--;
		} else if (c < 0x20) {
			jsonr_error(r, "control character in string");
			return NULL;
		}
	}
	jsonr_error(r, "unterminated string");
	return NULL;
}

int
jsonr_number(struct jsonr *r, double *out)
{
	const char *s, *q;
	char tmp[64];
	uint64_t v = 0;
	bool digits_only = true;

	jsonr_peek(r);
	s = q = r->p;
	if (q < r->end && *q == '-')
		q++;
	if (q >= r->end || *q < '0' || *q > '9' ||
	    (*q == '0' && q + 1 < r->end && q[1] >= '0' && q[1] <= '9'))
		return jsonr_error(r, "expected a number");
	for (; q < r->end && strchr("0123456789+-.eE", *q) && *q; q++) {
		if (*q < '0' || *q > '9')
			digits_only = false;
		else if (v < (uint64_t)1 << 60)
			v = v * 10 + (uint64_t)(*q - '0');
	}
	if (digits_only && *s != '-' && q - s < 16) {
		r->p = q;
		*out = (double)v;
		return 0;
	}
	if ((size_t)(q - s) >= sizeof(tmp))
		return jsonr_error(r, "number too long");
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = 0;
	{
		char *end;

		*out = strtod(tmp, &end);
		if (*end)
			return jsonr_error(r, "bad number");
	}
	r->p = q;
	return 0;
}

static int
skip_lit(struct jsonr *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
		return jsonr_error(r, "unexpected byte");
	r->p += n;
	return 0;
}

static int
skip_depth(struct jsonr *r, int depth)
{
	char c = jsonr_peek(r), close;
	double d;

	if (depth > JSONR_MAX_DEPTH)
		return jsonr_error(r, "nested too deeply");
	if (c == '"')
		return jsonr_string(r) ? 0 : -1;
	if (c == 't')
		return skip_lit(r, "true");
	if (c == 'f')
		return skip_lit(r, "false");
	if (c == 'n')
		return skip_lit(r, "null");
	if (c != '{' && c != '[')
		return jsonr_number(r, &d);
	close = c == '{' ? '}' : ']';
	r->p++;
	if (jsonr_peek(r) == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		int m;

		if (close == '}' &&
		    (!jsonr_string(r) || jsonr_expect(r, ':') < 0))
			return -1;
		if (skip_depth(r, depth + 1) < 0)
			return -1;
		m = jsonr_more(r, close);
		if (m <= 0)
			return m;
	}
}

int
jsonr_skip(struct jsonr *r)
{
	return skip_depth(r, 1);
}

int
jsonr_end(struct jsonr *r)
{
	return jsonr_peek(r) ? jsonr_error(r, "trailing bytes") : 0;
}
