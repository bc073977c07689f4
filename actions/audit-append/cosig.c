#include "common/compat.h"

#include <string.h>

#include "common/base64.h"
#include "common/log.h"
#include "cosig.h"
#include "log_store.h"

static const char sig_prefix[] = "\xe2\x80\x94 ";

int
cosig_message(const char *text, size_t len, uint64_t timestamp, struct buf *out)
{
	if (buf_addf(out, "cosignature/v1\ntime %llu\n",
	        (unsigned long long)timestamp) < 0 ||
	    buf_add(out, text, len) < 0)
		return -1;
	return 0;
}

/* The witness of w that a signature line names, or nw. */
static size_t
witness_of(const struct note_verifier *w, size_t nw, const char *name,
    size_t nlen, const uint8_t *raw)
{
	uint32_t id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	              (uint32_t)raw[2] << 8 | raw[3];
	size_t k;

	for (k = 0; k < nw; k++)
		if (w[k].alg == NOTE_ALG_COSIGNATURE && w[k].id == id &&
		    strlen(w[k].name) == nlen &&
		    memcmp(w[k].name, name, nlen) == 0)
			break;
	return k;
}

int
cosig_check(const char *what, const char *msg, size_t len,
    const struct note_verifier *w, size_t nw, bool *found, uint64_t *when)
{
	struct buf raw = BUF_INIT(256), m = BUF_INIT(NOTE_MAX_SIZE + 64);
	size_t tl, p, e, k, plen = sizeof(sig_prefix) - 1;
	const char *line, *sp;
	uint64_t ts;
	int ret = -1;

	if (note_split(msg, len, &tl) < 0)
		goto out;
	for (p = tl + 1; p < len; p = e + 1) {
		for (e = p; e < len && msg[e] != '\n'; e++)
			;
		line = msg + p;
		if (e - p < plen || memcmp(line, sig_prefix, plen) != 0)
			continue; /* note_open reports malformed lines */
		line += plen;
		sp = memchr(line, ' ', (size_t)(msg + e - line));
		buf_reset(&raw);
		if (sp == NULL ||
		    base64_decode(&raw, sp + 1, (size_t)(msg + e - sp - 1)) <
		        0 ||
		    raw.len < 4)
			continue;
		k = witness_of(w, nw, line, (size_t)(sp - line),
		    (const uint8_t *)raw.data);
		if (k == nw)
			continue;
		if (raw.len != 4 + 8 + 64) {
			error_msg("'%s': cosignature from witness '%s' has %zu "
			          "bytes, not 76 (key id, time, Ed25519)",
			    what, w[k].name, raw.len);
			goto out;
		}
		ts = log_be64((const uint8_t *)raw.data + 4);
		buf_reset(&m);
		if (cosig_message(msg, tl, ts, &m) < 0)
			goto out;
		if (!note_ed25519_verify(w[k].pub, m.data, m.len,
		        (const uint8_t *)raw.data + 12, 64)) {
			error_msg(
			    "'%s': invalid cosignature from witness '%s' "
			    "(key %08x, time %llu): the checkpoint or the "
			    "cosignature was altered",
			    what, w[k].name, (unsigned)w[k].id,
			    (unsigned long long)ts);
			goto out;
		}
		found[k] = true;
		if (when != NULL)
			when[k] = ts;
	}
	ret = 0;
out:
	buf_release(&raw);
	buf_release(&m);
	return ret;
}
