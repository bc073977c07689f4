#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

void
heal_scan_prepare(struct heal_scan *s)
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

	heal_scan_prepare(s);
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

	heal_scan_prepare(s);
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
