#include "common/compat.h"

#include <string.h>

#include "common/base64.h"
#include "common/log.h"
#include "proof.h"

static const char header[] = "c2sp.org/tlog-proof@v1";

void
proof_init(struct proof *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->extra, PROOF_MAX_SIZE);
	buf_init(&p->note, PROOF_MAX_SIZE);
}

void
proof_release(struct proof *p)
{
	buf_release(&p->extra);
	buf_release(&p->note);
}

int
proof_format(const struct proof *p, struct buf *out)
{
	size_t i;

	if (p->has_index) {
		if (buf_addf(out, "%s\n", header) < 0)
			return -1;
		if (p->extra.len > 0 &&
		    (buf_adds(out, "extra ") < 0 ||
		        base64_encode(out, p->extra.data, p->extra.len) < 0 ||
		        buf_addch(out, '\n') < 0))
			return -1;
		if (buf_addf(out, "index %llu\n", (unsigned long long)p->n) < 0)
			return -1;
	} else if (buf_addf(out, "old %llu\n", (unsigned long long)p->n) < 0)
		return -1;
	for (i = 0; i < p->len; i++)
		if (base64_encode(out, p->path[i], MERKLE_HASH_LEN) < 0 ||
		    buf_addch(out, '\n') < 0)
			return -1;
	if (buf_addch(out, '\n') < 0 || buf_addbuf(out, &p->note) < 0)
		return -1;
	return 0;
}

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int
proof_parse(const char *what, const char *data, size_t len, struct proof *p)
{
	enum {
		HEADER,
		INDEX,
		PATH
	} state = HEADER;
	struct buf h = BUF_INIT(64);
	size_t pos = 0, e, lineno = 0, ll;
	const char *line, *nl;
	int ret = -1;

	buf_reset(&p->extra);
	buf_reset(&p->note);
	p->len = 0;
	p->has_index = false;
	for (;;) {
		nl = pos < len ? memchr(data + pos, '\n', len - pos) : NULL;
		if (nl == NULL) {
			error_msg("'%s': line %zu: proof ends before the "
			          "checkpoint",
			    what, lineno + 1);
			goto out;
		}
		e = (size_t)(nl - data);
		line = data + pos;
		ll = e - pos;
		lineno++;
		pos = e + 1;
		if (state == HEADER) {
			if (ll == sizeof(header) - 1 &&
			    memcmp(line, header, ll) == 0) {
				p->has_index = true;
				state = INDEX;
			} else if (ll > 4 && memcmp(line, "old ", 4) == 0 &&
			           parse_u64(line + 4, ll - 4, &p->n) == 0)
				state = PATH;
			else
				goto bad;
			continue;
		}
		if (state == INDEX) {
			if (ll > 6 && memcmp(line, "extra ", 6) == 0 &&
			    p->extra.len == 0) {
				if (base64_decode(&p->extra, line + 6, ll - 6) <
				    0)
					goto bad;
			} else if (ll > 6 && memcmp(line, "index ", 6) == 0 &&
			           parse_u64(line + 6, ll - 6, &p->n) == 0)
				state = PATH;
			else
				goto bad;
			continue;
		}
		if (ll == 0)
			break;
		buf_reset(&h);
		if (p->len >= 63 || base64_decode(&h, line, ll) < 0 ||
		    h.len != MERKLE_HASH_LEN)
			goto bad;
		memcpy(p->path[p->len++], h.data, MERKLE_HASH_LEN);
	}
	if (pos >= len) {
		error_msg("'%s': proof has no checkpoint", what);
		goto out;
	}
	if (buf_add(&p->note, data + pos, len - pos) < 0)
		goto out;
	ret = 0;
	goto out;
bad:
	error_msg("'%s': line %zu: malformed proof line", what, lineno);
out:
	buf_release(&h);
	return ret;
}
