#include "common/compat.h"

#include <string.h>

#include "common/base64.h"
#include "common/log.h"

static const char std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
encode(
    struct buf *out, const void *data, size_t len, const char *alpha, bool pad)
{
	const unsigned char *p = data;
	size_t start = out->len, i;
	char q[4];

	if (buf_grow(out, (len + 2) / 3 * 4) < 0)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v =
		    (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = alpha[v >> 18 & 63];
		q[1] = alpha[v >> 12 & 63];
		q[2] = alpha[v >> 6 & 63];
		q[3] = alpha[v & 63];
		(void)buf_add(out, q, 4);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t n = 2;
		if (i + 1 < len) {
			v |= (uint32_t)p[i + 1] << 8;
			n = 3;
		}
		q[0] = alpha[v >> 18 & 63];
		q[1] = alpha[v >> 12 & 63];
		q[2] = n == 3 ? alpha[v >> 6 & 63] : '=';
		q[3] = '=';
		if (buf_add(out, q, pad ? 4 : n) < 0) {
			buf_truncate(out, start);
			return -1;
		}
	}
	return 0;
}

static int
sextet(char c, const char *alpha)
{
	const char *p;

	if (c == '\0' || (p = strchr(alpha, c)) == NULL)
		return -1;
	return (int)(p - alpha);
}

static int
decode(struct buf *out, const char *s, size_t len, const char *alpha, bool pad)
{
	size_t start = out->len, i, padn = 0, nq;
	uint32_t acc = 0;
	unsigned char tmp[3];
	const char *what = pad ? "base64" : "base64url";

	if (pad) {
		if (len % 4 != 0)
			return error_msg("invalid %s: length %zu is not a "
			                 "multiple of 4",
			    what, len);
		while (padn < 2 && padn < len && s[len - 1 - padn] == '=')
			padn++;
	} else if (len % 4 == 1) {
		return error_msg(
		    "invalid %s: impossible length %zu", what, len);
	}
	nq = len - padn;
	if (buf_grow(out, nq / 4 * 3 + 3) < 0)
		return -1;
	for (i = 0; i < nq; i++) {
		int v = sextet(s[i], alpha);
		if (v < 0) {
			error_msg(
			    "invalid %s: bad character at offset %zu", what, i);
			goto fail;
		}
		acc = acc << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			tmp[0] = (unsigned char)(acc >> 16);
			tmp[1] = (unsigned char)(acc >> 8);
			tmp[2] = (unsigned char)acc;
			(void)buf_add(out, tmp, 3);
			acc = 0;
		}
	}
	switch (nq % 4) {
	case 0:
		break;
	case 1:
		error_msg("invalid %s: truncated input", what);
		goto fail;
	case 2:
		if (acc & 0xf)
			goto bits;
		tmp[0] = (unsigned char)(acc >> 4);
		(void)buf_add(out, tmp, 1);
		break;
	default:
		if (acc & 0x3)
			goto bits;
		tmp[0] = (unsigned char)(acc >> 10);
		tmp[1] = (unsigned char)(acc >> 2);
		(void)buf_add(out, tmp, 2);
		break;
	}
	return 0;
bits:
	error_msg("invalid %s: non-zero padding bits", what);
fail:
	buf_truncate(out, start);
	return -1;
}

int
base64_encode(struct buf *out, const void *data, size_t len)
{
	return encode(out, data, len, std_alpha, true);
}

int
base64_decode(struct buf *out, const char *s, size_t len)
{
	return decode(out, s, len, std_alpha, true);
}

int
base64url_encode(struct buf *out, const void *data, size_t len)
{
	return encode(out, data, len, url_alpha, false);
}

int
base64url_decode(struct buf *out, const char *s, size_t len)
{
	return decode(out, s, len, url_alpha, false);
}
