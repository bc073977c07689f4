#include "common/compat.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "heal.h"

/*
 * The block path of the streaming classifier: complete lines go through
 * the automaton as one block (heal_ac_first_lines); only a line with a
 * candidate, an ANSI escape, a CR or a step marker is handed to
 * heal_scan_line. The others are only counted, and kept for a rule's
 * `near` window when some rule has one.
 */

/* The cleaned text of an earlier line for near_before (fast path: no
 * ESC or CR in it, so cleaning is the timestamp only). */
static void
ring_put(struct heal_scan *s, long lineno, const char *line, size_t len)
{
	size_t slot = (size_t)(lineno % HEAL_MAX_WINDOW);
	size_t ts = heal_timestamp_len(line, len), n = len - ts;

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
	heal_scan_prepare(s);
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
