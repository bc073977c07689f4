#include "common/compat.h"

#include <stdio.h>
#include <string.h>

#include "jsonw.h"

/* 1 for bytes written as they are (not NUL, control, '"', '\\'). */
static const unsigned char plain[256] = {
#define R4(v) v, v, v, v
#define R16(v) R4(v), R4(v), R4(v), R4(v)
	R16(0),
	R16(0), /* 0x00-0x1f */
	1,
	1,
	0,
	R4(1),
	R4(1),
	R4(1),
	R4(1),
	R4(1),
	R4(1),
	R4(1),
	1, /* 0x20-0x3f */
	R16(1),
	R4(1),
	R4(1),
	R4(1),
	0,
	1,
	1,
	1, /* 0x40-0x5f */
	R16(1),
	R16(1), /* 0x60-0x7f */
	R16(1),
	R16(1),
	R16(1),
	R16(1),
	R16(1),
	R16(1),
	R16(1),
	R16(1),
#undef R16
#undef R4
};

int
jsonw_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	int r = buf_addch(b, '"');

	for (;; s++) {
		unsigned char c;
		char esc[7] = { '\\', 0, 0, 0, 0, 0, 0 };
		size_t n = 2;

		while (plain[(unsigned char)*s])
			s++;
		c = (unsigned char)*s;
		if (!c)
			break;
		r |= buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
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
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		r |= buf_add(b, esc, n);
	}
	r |= buf_add(b, run, (size_t)(s - run));
	r |= buf_addch(b, '"');
	return r ? -1 : 0;
}

int
jsonw_i64(struct buf *b, int64_t v)
{
	char tmp[64];
	uint64_t u;
	size_t n = 0, i;
	double d = (double)v;

	/* cJSON: "%d" for ints, "%1.15g" else (plain digits below 1e15) */
	if (v <= -1000000000000000LL || v >= 1000000000000000LL) {
		double back = 0;

		snprintf(tmp, sizeof(tmp), "%1.15g", d);
		if (sscanf(tmp, "%lg", &back) != 1 || back != d)
			snprintf(tmp, sizeof(tmp), "%1.17g", d);
		return buf_adds(b, tmp);
	}
	if (v < 0 && buf_addch(b, '-') < 0)
		return -1;
	u = v < 0 ? (uint64_t)-v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	for (i = 0; i < n / 2; i++) {
		char c = tmp[i];

		tmp[i] = tmp[n - 1 - i];
		tmp[n - 1 - i] = c;
	}
	return buf_add(b, tmp, n);
}

int
jsonw_indent(struct buf *b, unsigned n)
{
	static const char tabs[] = "\t\t\t\t\t\t\t\t";

	while (n > 8) {
		if (buf_add(b, tabs, 8) < 0)
			return -1;
		n -= 8;
	}
	return buf_add(b, tabs, n);
}

int
jsonw_key(struct buf *b, unsigned depth, const char *key)
{
	if (jsonw_indent(b, depth) < 0 || jsonw_str(b, key) < 0)
		return -1;
	return buf_add(b, ":\t", 2);
}
