#include "common/compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rules.h"

/* No malloc, no stdio beyond snprintf into the caller's buffer: the shim
 * runs this in its constructor, before the program's allocator is ready. */

static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
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
chaos_parse_duration_ns(const char *s, size_t len, uint64_t *ns)
{
	uint64_t whole = 0, frac = 0, fdiv = 1, unit = 1000000;
	size_t i = 0, ulen;
	const char *u;

	if (len == 0 || len > 32)
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > 100000000000ULL)
			return -1;
		whole = whole * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (fdiv < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				fdiv *= 10;
			}
		}
	}
	u = s + i;
	ulen = len - i;
	if (ulen == 0 || (ulen == 2 && memcmp(u, "ms", 2) == 0))
		unit = 1000000ULL;
	else if (ulen == 2 && memcmp(u, "us", 2) == 0)
		unit = 1000ULL;
	else if (ulen == 2 && memcmp(u, "ns", 2) == 0)
		unit = 1ULL;
	else if (ulen == 1 && u[0] == 's')
		unit = 1000000000ULL;
	else if (ulen == 1 && u[0] == 'm')
		unit = 60000000000ULL;
	else
		return -1;
	if (whole > UINT64_MAX / unit / 2)
		return -1;
	*ns = whole * unit + frac * unit / fdiv;
	return 0;
}

/* "0.25", "1", "25%" -> threshold on a 64-bit draw. */
static int
parse_prob(struct chaos_rule *r, const char *s, size_t len)
{
	uint64_t num = 0, den = 1;
	size_t i = 0;
	bool pct = false;

	if (len > 0 && s[len - 1] == '%') {
		pct = true;
		len--;
	}
	if (len == 0)
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (num > 1000)
			return -1;
		num = num * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (den < 1000000000ULL) {
				num = num * 10 + (uint64_t)(s[i] - '0');
				den *= 10;
			}
		}
	}
	if (i != len)
		return -1;
	if (pct)
		den *= 100;
	if (num > den)
		return -1;
	r->p_always = (num == den);
	if (num == den) {
		r->p_threshold = UINT64_MAX;
	} else {
		/* num/den * 2^64; a double is exact enough for a probability */
		double v = (double)num / (double)den * 18446744073709551616.0;
		r->p_threshold =
		    v >= 18446744073709549568.0 ? UINT64_MAX - 1 : (uint64_t)v;
	}
	return 0;
}

static int
parse_calls(struct chaos_rule *r, const char *s, size_t len)
{
	size_t i, start = 0;
	uint32_t bit;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '|')
			continue;
		if (chaos_call_parse(s + start, i - start, &bit) != 0)
			return -1;
		r->calls |= bit;
		start = i + 1;
	}
	return 0;
}

static int
parse_host(struct chaos_rule *r, const char *s, size_t len)
{
	struct chaos_addr *a = &r->addrs[0];

	if (len == 0 || len >= sizeof(r->host))
		return -1;
	memcpy(r->host, s, len);
	r->host[len] = '\0';
	r->naddrs = 0;
	if (strcmp(r->host, "localhost") == 0) {
		r->addrs[0].family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", r->addrs[0].bytes);
		r->addrs[1].family = AF_INET6;
		inet_pton(AF_INET6, "::1", r->addrs[1].bytes);
		r->naddrs = 2;
		r->host_is_name = true;
	} else if (inet_pton(AF_INET, r->host, a->bytes) == 1) {
		a->family = AF_INET;
		r->naddrs = 1;
	} else if (inet_pton(AF_INET6, r->host, a->bytes) == 1) {
		a->family = AF_INET6;
		r->naddrs = 1;
	} else {
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			if (!((c >= 'a' && c <= 'z') ||
			        (c >= 'A' && c <= 'Z') ||
			        (c >= '0' && c <= '9') || c == '-' ||
			        c == '.' || c == '_'))
				return -1;
		}
		r->host_is_name = true;
	}
	return 0;
}

static int
set_err(char *err, size_t errlen, size_t idx, const char *what, const char *s,
    size_t len)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "rule %zu: %s '%.*s'", idx + 1, what,
		    (int)(len > 64 ? 64 : len), s);
	return -1;
}

#define KEY(k) (klen == sizeof(k) - 1 && memcmp(key, k, klen) == 0)

static int
parse_field(struct chaos_rule *r, size_t idx, const char *f, size_t flen,
    bool first, char *err, size_t errlen)
{
	const char *eq = memchr(f, '=', flen);
	const char *key, *val;
	size_t klen, vlen;

	if (eq == NULL) {
		if (first && parse_calls(r, f, flen) == 0)
			return 0;
		return set_err(
		    err, errlen, idx, "expected key=value, got", f, flen);
	}
	key = f;
	klen = (size_t)(eq - f);
	val = eq + 1;
	vlen = flen - klen - 1;
	if (KEY("call")) {
		if (parse_calls(r, val, vlen) != 0)
			return set_err(
			    err, errlen, idx, "unknown call in", val, vlen);
	} else if (KEY("path")) {
		if (vlen == 0 || vlen >= sizeof(r->path) || val[0] != '/')
			return set_err(err, errlen, idx,
			    "path must be absolute and short, got", val, vlen);
		memcpy(r->path, val, vlen);
		r->path[vlen] = '\0';
		r->path_len = vlen;
	} else if (KEY("host")) {
		if (parse_host(r, val, vlen) != 0)
			return set_err(err, errlen, idx, "bad host", val, vlen);
	} else if (KEY("port")) {
		uint64_t p;
		if (parse_u64(val, vlen, &p) != 0 || p == 0 || p > 65535)
			return set_err(err, errlen, idx, "bad port", val, vlen);
		r->port = (int)p;
	} else if (KEY("p")) {
		if (parse_prob(r, val, vlen) != 0)
			return set_err(err, errlen, idx,
			    "probability must be within 0..1 or 0..100%, got",
			    val, vlen);
	} else if (KEY("nth") || KEY("after") || KEY("times")) {
		uint64_t v;
		if (parse_u64(val, vlen, &v) != 0 || (v == 0 && !KEY("after")))
			return set_err(
			    err, errlen, idx, "bad count", val, vlen);
		if (KEY("nth"))
			r->nth = v;
		else if (KEY("after"))
			r->after = v;
		else
			r->times = v;
	} else if (KEY("delay") || KEY("jitter")) {
		uint64_t ns;
		if (chaos_parse_duration_ns(val, vlen, &ns) != 0 ||
		    ns > 3600ULL * 1000000000ULL)
			return set_err(err, errlen, idx,
			    "bad duration (max 1h)", val, vlen);
		if (KEY("delay"))
			r->delay_ns = ns;
		else
			r->jitter_ns = ns;
	} else if (KEY("errno")) {
		if (chaos_errno_parse(val, vlen, &r->err) != 0)
			return set_err(
			    err, errlen, idx, "unknown errno", val, vlen);
	} else if (KEY("action")) {
		if (vlen == 4 && memcmp(val, "fail", 4) == 0)
			r->action = CHAOS_ACT_FAIL;
		else if (vlen == 5 && memcmp(val, "delay", 5) == 0)
			r->action = CHAOS_ACT_DELAY;
		else if (vlen == 5 && memcmp(val, "short", 5) == 0)
			r->action = CHAOS_ACT_SHORT;
		else if (vlen == 7 && memcmp(val, "corrupt", 7) == 0)
			r->action = CHAOS_ACT_CORRUPT;
		else
			return set_err(
			    err, errlen, idx, "unknown action", val, vlen);
	} else {
		return set_err(err, errlen, idx, "unknown key", key, klen);
	}
	return 0;
}

static int
check_rule(struct chaos_rule *r, size_t idx, bool action_set, bool p_set,
    char *err, size_t errlen)
{
	uint32_t bit;

	if (r->calls == 0)
		return set_err(err, errlen, idx, "no call given", "", 0);
	if (!action_set && r->err == 0 && r->delay_ns > 0)
		r->action = CHAOS_ACT_DELAY;
	if ((r->action == CHAOS_ACT_SHORT || r->action == CHAOS_ACT_CORRUPT) &&
	    (r->calls & ~(uint32_t)(CHAOS_READ | CHAOS_RECV |
	                            (r->action == CHAOS_ACT_SHORT
	                                    ? CHAOS_WRITE | CHAOS_SEND
	                                    : 0))) != 0)
		return set_err(err, errlen, idx,
		    "short/corrupt apply to read/recv (short also to write/send), not",
		    "other calls", 11);
	if (r->action == CHAOS_ACT_DELAY && r->delay_ns == 0)
		return set_err(
		    err, errlen, idx, "action delay needs", "delay", 5);
	for (bit = 1; bit & CHAOS_CALL_ALL; bit <<= 1) {
		if (!(r->calls & bit) || r->err == 0 ||
		    chaos_rule_errno_ok(bit, r->err))
			continue;
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "rule %zu: errno '%s' makes no sense for '%s'",
			    idx + 1, chaos_errno_name(r->err),
			    chaos_call_name(bit));
		return -1;
	}
	if (r->path_len > 0 && (r->calls & (CHAOS_CONNECT | CHAOS_DNS)))
		return set_err(err, errlen, idx, "path does not apply to",
		    "connect/dns", 11);
	if ((r->host[0] != '\0' || r->port != 0) &&
	    (r->calls & (CHAOS_OPEN | CHAOS_FSYNC | CHAOS_MALLOC | CHAOS_FORK)))
		return set_err(err, errlen, idx, "host/port do not apply to",
		    "file/malloc/fork calls", 22);
	if (!p_set) {
		r->p_always = true;
		r->p_threshold = UINT64_MAX;
	}
	return 0;
}

int
chaos_rules_parse(
    struct chaos_rules *rs, const char *text, char *err, size_t errlen)
{
	const char *s = text, *end;

	memset(rs, 0, sizeof(*rs));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		return 0;
	while (*s != '\0') {
		struct chaos_rule *r;
		const char *f;
		bool first = true, action_set = false, p_set = false;
		size_t idx = rs->n;

		end = s + strcspn(s, ";\n");
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s == end) {
			s = *end ? end + 1 : end;
			continue;
		}
		if (rs->n == CHAOS_MAX_RULES)
			return set_err(err, errlen, idx,
			    "too many rules (max 16) at", s, (size_t)(end - s));
		r = &rs->r[rs->n++];
		for (f = s; f < end;) {
			const char *fe = memchr(f, ',', (size_t)(end - f));
			size_t flen;

			if (fe == NULL)
				fe = end;
			flen = (size_t)(fe - f);
			while (flen > 0 &&
			       (f[flen - 1] == ' ' || f[flen - 1] == '\r' ||
			           f[flen - 1] == '\t'))
				flen--;
			if (flen >= 7 && memcmp(f, "action=", 7) == 0)
				action_set = true;
			if (flen >= 2 && memcmp(f, "p=", 2) == 0)
				p_set = true;
			if (flen == 0 || parse_field(r, idx, f, flen, first,
			                     err, errlen) != 0)
				return flen == 0 ? set_err(err, errlen, idx,
				                       "empty field in", s,
				                       (size_t)(end - s))
				                 : -1;
			first = false;
			f = fe < end ? fe + 1 : end;
			while (f < end && (*f == ' ' || *f == '\t'))
				f++;
		}
		if (check_rule(r, idx, action_set, p_set, err, errlen) != 0)
			return -1;
		s = *end ? end + 1 : end;
	}
	return 0;
}

uint32_t
chaos_rules_calls(const struct chaos_rules *rs)
{
	uint32_t m = 0;
	size_t i;

	for (i = 0; i < rs->n; i++)
		m |= rs->r[i].calls;
	return m;
}
