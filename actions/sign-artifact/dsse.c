#include "common/compat.h"

#include <string.h>

#include "common/log.h"
#include "dsse.h"

int
dsse_pae(struct buf *out, const char *type, const void *body, size_t len)
{
	size_t tl = strlen(type);

	if (buf_addf(out, "DSSEv1 %zu %s %zu ", tl, type, len) < 0)
		return -1;
	return buf_add(out, body, len);
}

/* Reads "<decimal> " at *p; no leading zeros (except "0"), no overflow. */
static int
pae_len(const char **p, const char *end, size_t *out)
{
	const char *s = *p;
	size_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -1;
	if (*s == '0' && s + 1 < end && s[1] != ' ')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		size_t d = (size_t)(*s - '0');

		if (v > (SIZE_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	if (s >= end || *s != ' ')
		return -1;
	*p = s + 1;
	*out = v;
	return 0;
}

int
dsse_pae_parse(const void *pae, size_t len, const char **type, size_t *type_len,
    const char **body, size_t *body_len)
{
	const char *p = pae, *end = p + len;

	if (len < 7 || memcmp(p, "DSSEv1 ", 7) != 0)
		return error_msg("bad PAE: missing 'DSSEv1' prefix");
	p += 7;
	if (pae_len(&p, end, type_len) < 0 || *type_len > (size_t)(end - p))
		return error_msg("bad PAE: type length");
	*type = p;
	/* A payload type is a media type: text, never NUL. */
	if (memchr(p, '\0', *type_len) != NULL)
		return error_msg("bad PAE: NUL in payload type");
	p += *type_len;
	if (p >= end || *p != ' ')
		return error_msg("bad PAE: type length");
	p++;
	if (pae_len(&p, end, body_len) < 0 || *body_len != (size_t)(end - p))
		return error_msg("bad PAE: body length");
	*body = p;
	return 0;
}
