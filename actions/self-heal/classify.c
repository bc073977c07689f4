#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * The streaming classifier. Per line: clean (timestamp, ANSI), run the
 * automaton over the cleaned bytes, confirm candidate rules with their
 * regex and `near` context, and remember each rule's first hit. The
 * winner is chosen only when the result is asked for, because exit code
 * and signal conditions are known last.
 */
static const struct {
	const char *name;
	int prio;
	bool transient;
} classes[HEAL_CLASS_MAX] = {
	[HEAL_NONE] = { "none", 0, false },
	[HEAL_DETERMINISTIC] = { "deterministic", 100, false },
	[HEAL_DEPENDENCY] = { "dependency", 90, false },
	[HEAL_DISK_FULL] = { "disk_full", 60, true },
	[HEAL_CACHE_CORRUPT] = { "cache_corrupt", 50, true },
	[HEAL_RATE_LIMIT] = { "rate_limit", 40, true },
	[HEAL_OOM] = { "oom", 35, true },
	[HEAL_INFRA] = { "infra", 30, true },
	[HEAL_NETWORK] = { "network", 20, true },
	[HEAL_FLAKY_TEST] = { "flaky_test", 10, true },
	[HEAL_TIMEOUT] = { "timeout", 5, false },
	[HEAL_UNKNOWN] = { "unknown", 1, false },
};

const char *
heal_class_name(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX ? classes[c].name : "unknown";
}

int
heal_class_parse(const char *s, enum heal_class *out)
{
	size_t i;

	for (i = 1; i < HEAL_CLASS_MAX; i++)
		if (!strcmp(s, classes[i].name)) {
			*out = (enum heal_class)i;
			return 0;
		}
	return error_msg("unknown class '%s'", s);
}

int
heal_class_priority(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX ? classes[c].prio : 0;
}

bool
heal_class_transient(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX && classes[c].transient;
}

/* "2024-10-18T23:27:40.6602932Z " : digits and punctuation at fixed
 * places, any number of fractional digits. */
static size_t
timestamp_len(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	if (len < 20)
		return 0;
	for (i = 0; i < 19; i++) {
		char c = s[i];
		if (shape[i] == 'd' ? (c < '0' || c > '9') : c != shape[i])
			return 0;
	}
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < len && s[i] == 'Z')
		i++;
	else
		return 0;
	if (i < len && s[i] == ' ')
		i++;
	return i;
}

void
heal_clean_line(const char *line, size_t len, struct buf *out)
{
	size_t i = timestamp_len(line, len), base = out->len;

	if (!memchr(line + i, 0x1b, len - i) &&
	    !memchr(line + i, '\r', len - i)) {
		(void)buf_add(out, line + i, len - i);
		return;
	}
	for (; i < len; i++) {
		if (line[i] == '\r') {
			/* a progress bar: keep what follows the last CR */
			if (i + 1 < len)
				buf_truncate(out, base);
			continue;
		}
		if (line[i] != 0x1b) {
			(void)buf_addch(out, line[i]);
			continue;
		}
		if (i + 1 < len && line[i + 1] == '[') {
			/* CSI: parameters and intermediates, then a final
			 * byte in 0x40-0x7e */
			for (i += 2; i < len; i++)
				if (line[i] >= 0x40 && line[i] <= 0x7e)
					break;
		} else if (i + 1 < len && line[i + 1] == ']') {
			/* OSC: up to BEL or ESC \ */
			for (i += 2; i < len; i++) {
				if (line[i] == 0x07)
					break;
				if (line[i] == 0x1b && i + 1 < len &&
				    line[i + 1] == '\\') {
					i++;
					break;
				}
			}
		} else {
			/* other escapes: intermediates 0x20-0x2f, then one
			 * final byte ("ESC ( B") */
			for (i++;
			     i + 1 < len && line[i] >= 0x20 && line[i] <= 0x2f;
			     i++)
				;
		}
	}
}

void
heal_evidence_copy(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i, n = 0;

	/* skip leading blanks */
	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (cap == 0)
		return;
	if (len > cap - 1) {
		len = cap - 1;
		/* do not end inside a UTF-8 sequence */
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

struct heal_pending {
	size_t rule;
	long line;
	long deadline;
	char ev[HEAL_EVIDENCE_MAX + 1];
};
#define MAX_PENDING 32

void
heal_scan_init(struct heal_scan *s, struct heal_rules *rules)
{
	memset(s, 0, sizeof(*s));
	s->rules = rules;
	buf_init(&s->carry, 1 << 16);
	buf_init(&s->work, 1 << 17);
}

/* On the first line or the result: a run that succeeds quietly never
 * loads the rules or allocates the per-rule state. */
static void
scan_prepare(struct heal_scan *s)
{
	size_t nr;

	if (s->hit_line != NULL)
		return;
	(void)heal_rules_ready(s->rules); /* bad rules end up disabled */
	nr = s->rules->nr ? s->rules->nr : 1;
	s->hit_line = xcalloc(nr, sizeof(long));
	s->hit_ev = xcalloc(nr, sizeof(*s->hit_ev));
	s->pend = xcalloc(MAX_PENDING, sizeof(*s->pend));
}

void
heal_scan_release(struct heal_scan *s)
{
	free(s->hit_line);
	free(s->hit_ev);
	free(s->pend);
	buf_release(&s->carry);
	buf_release(&s->work);
	s->hit_line = NULL;
	s->hit_ev = NULL;
	s->pend = NULL;
}

static bool
near_match(const struct heal_rule *r, const char *line)
{
	size_t i;

	for (i = 0; i < r->nnear; i++)
		if (regexec(&r->near_re[i], line, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* Searches the kept previous lines (newest first) for a near pattern. */
static bool
near_before(const struct heal_scan *s, const struct heal_rule *r)
{
	long k;
	long w = r->window > 0 ? r->window : 3;

	for (k = 1; k <= w && k < s->lineno; k++) {
		size_t slot = (size_t)((s->lineno - k) % HEAL_MAX_WINDOW);
		if (near_match(r, s->ring[slot]))
			return true;
	}
	return false;
}

static void
record_hit(
    struct heal_scan *s, size_t rule, long line, const char *ev, size_t len)
{
	if (s->hit_line[rule])
		return;
	s->hit_line[rule] = line;
	heal_evidence_copy(s->hit_ev[rule], sizeof(s->hit_ev[rule]), ev, len);
}

static void
candidate(struct heal_scan *s, size_t rule)
{
	struct heal_rule *r = &s->rules->v[rule];
	const char *line = s->work.data;

	if (s->hit_line[rule] || r->disabled)
		return;
	if (!r->prepared && heal_rule_prepare(r) < 0) {
		r->disabled = true; /* reported once, then ignored */
		return;
	}
	if (r->has_re && regexec(&r->re, line, 0, NULL, 0) != 0)
		return;
	if (r->nnear && !near_match(r, line) && !near_before(s, r)) {
		struct heal_pending *p;
		if (s->npend == MAX_PENDING)
			memmove(s->pend, s->pend + 1,
			    (MAX_PENDING - 1) * sizeof(*s->pend));
		else
			s->npend++;
		p = &s->pend[s->npend - 1];
		p->rule = rule;
		p->line = s->lineno;
		p->deadline = s->lineno + (r->window > 0 ? r->window : 3);
		heal_evidence_copy(p->ev, sizeof(p->ev), line, s->work.len);
		return;
	}
	record_hit(s, rule, s->lineno, line, s->work.len);
}

const char *const heal_hint_keys[HEAL_NHINT] = { "retry-after",
	"x-ratelimit-reset", "retry after", "try again in", "retry in" };

static int
on_pattern(size_t pat, void *ctx)
{
	struct heal_scan *s = ctx;

	if (pat >= s->rules->nr)
		s->line_hint = true;
	else
		candidate(s, pat);
	return 0;
}

/* retry-after: N, x-ratelimit-reset: EPOCH, "retry after N seconds",
 * "try again in N seconds|minutes". */
static void
wait_hint(struct heal_scan *s, const char *line)
{
	const char *const *keys = heal_hint_keys;
	size_t k;

	for (k = 0; k < HEAL_NHINT; k++) {
		const char *p = strcasestr(line, keys[k]);
		char *end;
		long long v;
		int64_t ms;

		if (!p)
			continue;
		p += strlen(keys[k]);
		while (*p == ' ' || *p == ':' || *p == '=' || *p == '"' ||
		       *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			continue;
		v = strtoll(p, &end, 10);
		if (v < 0 || v > 100000000000LL)
			continue;
		if (k == 1) {
			int64_t now = s->now_s ? s->now_s : (int64_t)time(NULL);
			if (v < 1000000000LL)
				continue; /* not an epoch */
			ms = ((int64_t)v - now) * 1000;
			if (ms < 0)
				ms = 0;
		} else {
			while (*end == ' ')
				end++;
			ms = (int64_t)v * 1000;
			if (!strncasecmp(end, "ms", 2) ||
			    !strncasecmp(end, "milli", 5))
				ms = (int64_t)v;
			else if (!strncasecmp(end, "min", 3) ||
			         (end[0] == 'm' &&
			             (end[1] == '\0' || end[1] == ' ')))
				ms = (int64_t)v * 60000;
			else if (!strncasecmp(end, "hour", 4) ||
			         (end[0] == 'h' &&
			             (end[1] == '\0' || end[1] == ' ')))
				ms = (int64_t)v * 3600000;
		}
		/* several hints: the longest wait is the safe one */
		if (!s->have_wait || ms > s->wait_ms)
			s->wait_ms = ms;
		s->have_wait = true;
	}
}

void
heal_scan_line(struct heal_scan *s, const char *line, size_t len)
{
	size_t i, slot;

	scan_prepare(s);
	s->lineno++;
	s->bytes += len + 1;
	buf_reset(&s->work);
	heal_clean_line(line, len, &s->work);
	if (s->work.len > 4096)
		buf_truncate(&s->work, 4096); /* regexes see a bounded line */

	if (s->work.data[0] == '#' &&
	    !strncmp(s->work.data, "##[group]Run ", 13))
		heal_evidence_copy(s->step_name, sizeof(s->step_name),
		    s->work.data + 13, s->work.len - 13);

	/* pending `near` candidates look for their context here */
	for (i = 0; i < s->npend;) {
		struct heal_pending *p = &s->pend[i];
		const struct heal_rule *r = &s->rules->v[p->rule];
		if (!s->hit_line[p->rule] && near_match(r, s->work.data))
			record_hit(s, p->rule, p->line, p->ev, strlen(p->ev));
		if (s->hit_line[p->rule] || s->lineno >= p->deadline) {
			memmove(p, p + 1, (s->npend - i - 1) * sizeof(*p));
			s->npend--;
		} else {
			i++;
		}
	}

	s->line_hint = false;
	if (!s->rules->ac)
		heal_rules_automaton(s->rules);
	heal_ac_scan(s->rules->ac, s->work.data, s->work.len, on_pattern, s);
	if (s->rules->any_regex_only)
		for (i = 0; i < s->rules->nr; i++) {
			/* regex-only rules see every line */
			const struct heal_rule *r = &s->rules->v[i];
			if (!r->contains && r->has_re && !s->hit_line[i])
				candidate(s, i);
		}
	if (s->line_hint)
		wait_hint(s, s->work.data);

	if (s->rules->any_near) {
		/* raw copy: only regexes read it, cleaning waits for output */
		size_t n = s->work.len < sizeof(s->ring[0]) - 1
		               ? s->work.len
		               : sizeof(s->ring[0]) - 1;
		slot = (size_t)(s->lineno % HEAL_MAX_WINDOW);
		memcpy(s->ring[slot], s->work.data, n);
		s->ring[slot][n] = '\0';
	}
}

/* The cleaned text of an earlier line for near_before (fast path: no
 * ESC or CR in it, so cleaning is the timestamp only). */
static void
ring_put(struct heal_scan *s, long lineno, const char *line, size_t len)
{
	size_t slot = (size_t)(lineno % HEAL_MAX_WINDOW);
	size_t ts = timestamp_len(line, len), n = len - ts;

	if (n > sizeof(s->ring[0]) - 1)
		n = sizeof(s->ring[0]) - 1;
	memcpy(s->ring[slot], line + ts, n);
	s->ring[slot][n] = '\0';
}

/* [a, b) are complete lines counted but not scanned one by one; the last
 * of them end at s->lineno. */
static void
ring_backfill(struct heal_scan *s, const char *a, const char *b)
{
	const char *q = b - 1; /* the last '\n' */
	long ln = s->lineno;
	int i;

	for (i = 0; i < HEAL_MAX_WINDOW && q >= a; i++, ln--) {
		const char *start =
		    q > a ? memrchr(a, '\n', (size_t)(q - a)) : NULL;
		start = start ? start + 1 : a;
		ring_put(s, ln, start, (size_t)(q - start));
		q = start - 1;
	}
}

static const char *
one_line(struct heal_scan *s, const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	heal_scan_line(s, p, (size_t)(nl - p));
	return nl + 1;
}

/* Next occurrence at or after p, or end; a search resumes only once p
 * has passed the last find, so a block costs one pass per kind. */
static const char *
next_of(const char *cur, const char *p, const char *end, int kind)
{
	const char *r;

	if (cur != NULL && cur >= p)
		return cur;
	if (kind == 0)
		r = memchr(p, 0x1b, (size_t)(end - p));
	else if (kind == 1)
		r = memchr(p, '\r', (size_t)(end - p));
	else
		/* '#' is rare in most output: cheaper than memmem */
		for (r = p; (r = memchr(r, '#', (size_t)(end - r))) != NULL;
		     r++)
			if ((size_t)(end - r) >= 13 &&
			    !memcmp(r, "##[group]Run ", 13))
				break;
	return r ? r : end;
}

/* Sixteen bytes at a time (SSE2 is part of x86-64): a memchr per line
 * costs more than the automaton's pass over a build's short lines. */
static long
count_newlines(const char *p, size_t n)
{
	size_t i = 0;
	long k = 0;

#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');

	while (n - i >= 16) {
		/* byte counters, summed before any can pass 255 */
		__m128i acc = _mm_setzero_si128();
		size_t stop = n - i > 16 * 255 ? i + 16 * 255 : n;

		for (; i + 16 <= stop; i += 16)
			acc = _mm_sub_epi8(acc,
			    _mm_cmpeq_epi8(
			        _mm_loadu_si128((const void *)(p + i)), nl));
		acc = _mm_sad_epu8(acc, _mm_setzero_si128());
		k += (long)_mm_cvtsi128_si64(acc) + _mm_extract_epi16(acc, 4);
	}
#endif
	for (; i < n; i++)
		k += p[i] == '\n';
	return k;
}

void
heal_scan_lines(struct heal_scan *s, const char *p, size_t len)
{
	const char *end = p + len, *next[3] = { NULL, NULL, NULL };

	if (len == 0)
		return;
	scan_prepare(s);
	if (!s->rules->ac)
		heal_rules_automaton(s->rules);
	if (s->rules->any_regex_only) {
		/* those rules see every line */
		while (p < end)
			p = one_line(s, p, end);
		return;
	}
	while (p < end) {
		const char *stop = end, *line;
		size_t hit;
		long k = 0;
		int i;

		/* a `near` candidate looks at the next lines itself */
		while (s->npend && p < end)
			p = one_line(s, p, end);
		if (p >= end)
			break;
		/* lines that cleaning changes (ESC, CR) or that name a step
		 * go through heal_scan_line like a line with a hit */
		for (i = 0; i < 3; i++) {
			next[i] = next_of(next[i], p, end, i);
			if (next[i] < stop)
				stop = next[i];
		}
		hit = heal_ac_first_lines(s->rules->ac, p, (size_t)(stop - p));
		if (hit < (size_t)(stop - p))
			stop = p + hit;
		if (stop == end) {
			line = end;
		} else {
			line = memrchr(p, '\n', (size_t)(stop - p));
			line = line ? line + 1 : p;
		}
		k = count_newlines(p, (size_t)(line - p));
		s->lineno += k;
		s->bytes += (uint64_t)(line - p);
		if (k && s->rules->any_near)
			ring_backfill(s, p, line);
		if (line == end)
			break;
		p = one_line(s, line, end);
	}
}

void
heal_scan_feed(struct heal_scan *s, const char *data, size_t len)
{
	const char *nl, *last;
	size_t n;

	if (len == 0)
		return;
	if (s->carry.len) {
		/* finish the carried line first */
		nl = memchr(data, '\n', len);
		n = nl ? (size_t)(nl - data) : len;
		if (!nl) {
			if (s->carry.len + n > s->carry.max - 1) {
				heal_scan_line(s, s->carry.data, s->carry.len);
				buf_reset(&s->carry);
			}
			if (n > s->carry.max - 1)
				heal_scan_line(s, data, n);
			else
				(void)buf_add(&s->carry, data, n);
			return;
		}
		if (s->carry.len + n <= s->carry.max - 1) {
			(void)buf_add(&s->carry, data, n);
			heal_scan_line(s, s->carry.data, s->carry.len);
		} else {
			heal_scan_line(s, s->carry.data, s->carry.len);
			heal_scan_line(s, data, n);
		}
		buf_reset(&s->carry);
		data += n + 1;
		len -= n + 1;
	}
	last = len ? memrchr(data, '\n', len) : NULL;
	if (last) {
		n = (size_t)(last - data) + 1;
		heal_scan_lines(s, data, n);
		data += n;
		len -= n;
	}
	if (len == 0)
		return;
	/* an unterminated tail: kept for the next call, or scanned in
	 * pieces when it outgrows the carry */
	if (len > s->carry.max - 1)
		heal_scan_line(s, data, len);
	else
		(void)buf_add(&s->carry, data, len);
}

static bool
conditions_hold(const struct heal_scan *s, const struct heal_rule *r,
    long exit_code, int signal)
{
	if (r->exit_code >= 0 && r->exit_code != exit_code)
		return false;
	if (r->signal && r->signal != signal)
		return false;
	if (r->job_name &&
	    (!s->job_name || !strcasestr(s->job_name, r->job_name)))
		return false;
	if (r->step_name && !strcasestr(s->step_name, r->step_name))
		return false;
	return true;
}

static bool
status_only(const struct heal_rule *r)
{
	return !r->contains && !r->regex &&
	       (r->exit_code >= 0 || r->signal || r->job_name || r->step_name);
}

void
heal_scan_result(
    struct heal_scan *s, long exit_code, int signal, struct heal_match *out)
{
	size_t i, best = (size_t)-1;
	long best_line = 0;

	scan_prepare(s);
	if (s->carry.len) {
		heal_scan_line(s, s->carry.data, s->carry.len);
		buf_reset(&s->carry);
	}
	memset(out, 0, sizeof(*out));
	out->cls = HEAL_NONE;
	for (i = 0; i < s->rules->nr; i++) {
		const struct heal_rule *r = &s->rules->v[i];
		long line;
		int prio, bprio;

		if (r->disabled || !conditions_hold(s, r, exit_code, signal))
			continue;
		if (status_only(r))
			line = 0;
		else if (s->hit_line[i])
			line = s->hit_line[i];
		else
			continue;
		if (best == (size_t)-1) {
			best = i;
			best_line = line;
			continue;
		}
		prio = heal_class_priority(r->cls);
		bprio = heal_class_priority(s->rules->v[best].cls);
		/* a text hit beats a status-only rule of the same class */
		if (prio > bprio || (prio == bprio && line &&
		                        (!best_line || line < best_line))) {
			best = i;
			best_line = line;
		}
	}
	out->have_wait = s->have_wait;
	out->wait_ms = s->wait_ms;
	if (best == (size_t)-1)
		return;
	out->cls = s->rules->v[best].cls;
	out->rule_id = s->rules->v[best].id;
	out->line = best_line;
	if (best_line) {
		memcpy(out->evidence, s->hit_ev[best], sizeof(out->evidence));
	} else if (signal) {
		char tmp[64];
		int n =
		    snprintf(tmp, sizeof(tmp), "killed by signal %d", signal);
		heal_evidence_copy(
		    out->evidence, sizeof(out->evidence), tmp, (size_t)n);
	} else {
		char tmp[64];
		int n = snprintf(tmp, sizeof(tmp), "exit code %ld", exit_code);
		heal_evidence_copy(
		    out->evidence, sizeof(out->evidence), tmp, (size_t)n);
	}
}
