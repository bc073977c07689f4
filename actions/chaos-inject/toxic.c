#include "common/compat.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chaos.h"
#include "common/log.h"
#include "common/strlist.h"
#include "rules.h"

/*
 * Toxic specs, in Toxiproxy's vocabulary (Shopify/toxiproxy toxics/): a type,
 * then attributes. Durations take units ("200ms", "50us"); a bare number is ms.
 *   latency:latency=200ms,jitter=20ms
 *   bandwidth:rate=100            KB/s
 *   slicer:average_size=64,size_variation=32,delay=10us
 *   slow_close:delay=500ms
 *   timeout:timeout=2s            0 = blackhole forever
 *   reset_peer:timeout=100ms
 *   limit_data:bytes=1024
 * plus stream=upstream|downstream (default downstream, as Toxiproxy) and
 * toxicity=P (per-connection probability, default 1).
 */
static const char *const tox_names[] = { "latency", "bandwidth", "slicer",
	"slow_close", "timeout", "reset_peer", "limit_data" };

int
chaos_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hl;
	long p;
	char *end;

	if (colon == NULL)
		return error_msg("'%s': expected host:port", s);
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
		h = s + 1;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen)
		return error_msg("'%s': bad host", s);
	memcpy(host, h, hl);
	host[hl] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || p < 0 || p > 65535)
		return error_msg("'%s': bad port", s);
	*port = (int)p;
	return 0;
}

static int
dur_ms(const char *v, uint64_t *ms)
{
	uint64_t ns;

	if (chaos_parse_duration_ns(v, strlen(v), &ns) != 0)
		return -1;
	*ms = ns / 1000000;
	return 0;
}

static int
num(const char *v, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	x = strtoull(v, &end, 10);
	if (*end != '\0')
		return -1;
	*out = x;
	return 0;
}

static int
set_attr(struct chaos_toxic *t, const char *k, const char *v)
{
	uint64_t ns;

	if (strcmp(k, "stream") == 0) {
		if (strcmp(v, "upstream") == 0)
			t->upstream = true;
		else if (strcmp(v, "downstream") == 0)
			t->upstream = false;
		else
			return -1;
		return 0;
	}
	if (strcmp(k, "toxicity") == 0) {
		char *end;
		t->toxicity = strtod(v, &end);
		return (*end != '\0' || t->toxicity < 0 || t->toxicity > 1) ? -1
		                                                            : 0;
	}
	if (strcmp(k, "latency") == 0)
		return dur_ms(v, &t->latency_ms);
	if (strcmp(k, "jitter") == 0)
		return dur_ms(v, &t->jitter_ms);
	if (strcmp(k, "rate") == 0)
		return num(v, &t->rate_kbps);
	if (strcmp(k, "average_size") == 0)
		return num(v, &t->avg_size);
	if (strcmp(k, "size_variation") == 0)
		return num(v, &t->size_var);
	if (strcmp(k, "bytes") == 0)
		return num(v, &t->bytes);
	if (strcmp(k, "timeout") == 0)
		return dur_ms(v, &t->timeout_ms);
	if (strcmp(k, "delay") == 0) {
		if (chaos_parse_duration_ns(v, strlen(v), &ns) != 0)
			return -1;
		t->delay_us = ns / 1000;
		t->delay_ms = ns / 1000000;
		return 0;
	}
	return -2;
}

int
chaos_toxic_parse(const char *spec, struct chaos_toxic *t)
{
	struct strlist f = STRLIST_INIT;
	const char *colon = strchr(spec, ':');
	size_t tl = colon ? (size_t)(colon - spec) : strlen(spec), i;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	t->toxicity = 1.0;
	for (i = 0; i < ARRAY_SIZE(tox_names); i++)
		if (strlen(tox_names[i]) == tl &&
		    strncmp(spec, tox_names[i], tl) == 0)
			break;
	if (i == ARRAY_SIZE(tox_names))
		return error_msg(
		    "toxic '%s': unknown type (latency, bandwidth, slicer, slow_close, timeout, reset_peer, limit_data)",
		    spec);
	t->type = (enum chaos_toxic_type)i;
	if (colon != NULL)
		strlist_split(&f, colon + 1, ',', 1);
	for (i = 0; i < f.nr; i++) {
		char *eq = strchr(f.items[i], '=');
		int r;

		if (eq == NULL) {
			error_msg("toxic '%s': expected key=value, got '%s'",
			    spec, f.items[i]);
			goto out;
		}
		*eq = '\0';
		r = set_attr(t, f.items[i], eq + 1);
		if (r != 0) {
			error_msg(r == -2 ? "toxic '%s': unknown attribute '%s'"
			                  : "toxic '%s': bad value for '%s'",
			    spec, f.items[i]);
			goto out;
		}
	}
	if (t->type == CHAOS_TOX_BANDWIDTH && t->rate_kbps == 0) {
		error_msg("toxic '%s': bandwidth needs rate=KB/s", spec);
		goto out;
	}
	if (t->type == CHAOS_TOX_SLICER && t->avg_size == 0) {
		error_msg("toxic '%s': slicer needs average_size", spec);
		goto out;
	}
	if (t->type == CHAOS_TOX_LIMIT_DATA && t->bytes == 0) {
		error_msg("toxic '%s': limit_data needs bytes", spec);
		goto out;
	}
	rc = 0;
out:
	strlist_release(&f);
	return rc;
}
