#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "heal.h"

/*
 * Aho-Corasick as a complete DFA over a reduced alphabet: only bytes that
 * occur in some pattern get their own column, every other byte maps to
 * column 0, which always leads back to the root. One table lookup per
 * input byte, whatever the number of rules, keeps `classify` at memory
 * speed.
 */
struct heal_ac {
	uint8_t map[256];
	size_t alpha;
	size_t nodes;
	uint32_t *delta;    /* nodes * alpha */
	int32_t *out_head;  /* first pattern ending here, -1 */
	int32_t *dict;      /* nearest proper suffix node with output, -1 */
	int32_t *pat_next;  /* next pattern ending at the same node, -1 */
	uint8_t *has_out;   /* out_head or dict set */
	struct heal_pf *pf; /* SIMD prefilter, or NULL */
};

/* A transition holds the target's row offset << TAG, then its depth
 * (capped at 3) in bits 1-2 and has_out in bit 0. */
#define TAG 3
#define DEPTH(st) (((st) >> 1) & 3)

static unsigned char
fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

struct heal_ac *
heal_ac_build(const char *const *pats, size_t n)
{
	struct heal_ac *ac = xcalloc(1, sizeof(*ac));
	size_t total = 1, i, a, head = 0, tail = 0;
	uint32_t *fail, *queue;
	uint8_t *depth;

	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)pats[i];
		total += strlen(pats[i]);
		for (; *p; p++)
			if (!ac->map[fold(*p)])
				ac->map[fold(*p)] = (uint8_t)++ac->alpha;
	}
	ac->alpha++;
	for (i = 'A'; i <= 'Z'; i++)
		ac->map[i] = ac->map[i + 32];
	/* rules are capped (HEAL_MAX_RULES x HEAL_MAX_PATTERN), so
	 * total * alpha stays below 2^27 row offsets: room for TAG bits */
	ac->delta = xcalloc(total * ac->alpha, sizeof(uint32_t));
	ac->out_head = xmalloc(total * sizeof(int32_t));
	ac->dict = xmalloc(total * sizeof(int32_t));
	ac->pat_next = xmalloc((n ? n : 1) * sizeof(int32_t));
	ac->has_out = xcalloc(total, 1);
	fail = xcalloc(total, sizeof(uint32_t));
	queue = xmalloc(total * sizeof(uint32_t));
	depth = xcalloc(total, 1);
	for (i = 0; i < total; i++)
		ac->out_head[i] = ac->dict[i] = -1;
	ac->nodes = 1;

	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)pats[i];
		uint32_t s = 0;
		if (!*p) {
			ac->pat_next[i] = -1;
			continue; /* an empty pattern matches nothing */
		}
		for (; *p; p++) {
			size_t c = ac->map[*p];
			if (!ac->delta[s * ac->alpha + c])
				ac->delta[s * ac->alpha + c] =
				    (uint32_t)ac->nodes++;
			s = ac->delta[s * ac->alpha + c];
		}
		ac->pat_next[i] = ac->out_head[s];
		ac->out_head[s] = (int32_t)i;
	}

	/* BFS: failure links, then complete the transition function. */
	for (a = 1; a < ac->alpha; a++) {
		uint32_t t = ac->delta[a];
		if (t) {
			fail[t] = 0;
			depth[t] = 1;
			queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t s = queue[head++];
		uint32_t f = fail[s];
		ac->dict[s] = ac->out_head[f] >= 0 ? (int32_t)f : ac->dict[f];
		ac->has_out[s] = ac->out_head[s] >= 0 || ac->dict[s] >= 0;
		for (a = 1; a < ac->alpha; a++) {
			uint32_t t = ac->delta[s * ac->alpha + a];
			if (t) {
				fail[t] = ac->delta[f * ac->alpha + a];
				depth[t] =
				    (uint8_t)(depth[s] < 3 ? depth[s] + 1 : 3);
				queue[tail++] = t;
			} else {
				ac->delta[s * ac->alpha + a] =
				    ac->delta[f * ac->alpha + a];
			}
		}
	}
	/* Tag every transition with its target's has_out and depth: the
	 * scan then needs one dependent load per byte. */
	for (i = 0; i < ac->nodes * ac->alpha; i++)
		ac->delta[i] = (uint32_t)(ac->delta[i] * ac->alpha) << TAG |
		               (uint32_t)depth[ac->delta[i]] << 1 |
		               ac->has_out[ac->delta[i]];
	ac->pf = heal_pf_build(pats, n);
	free(depth);
	free(fail);
	free(queue);
	return ac;
}

void
heal_ac_scan(const struct heal_ac *ac, const char *s, size_t len,
    heal_ac_fn *fn, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	uint32_t st = 0;

	if (!ac)
		return;
	for (; p < end; p++) {
		/* st holds the row offset of the state, not its number: no
		 * multiply on the critical path */
		st = ac->delta[(st >> TAG) + ac->map[*p]];
		if (st & 1) {
			int32_t node = (int32_t)((st >> TAG) / ac->alpha);
			while (node >= 0) {
				int32_t pat = ac->out_head[node];
				for (; pat >= 0; pat = ac->pat_next[pat])
					if (fn((size_t)pat, ctx))
						return;
				node = ac->dict[node];
			}
		}
	}
}

/* From p[i] on, in state st: offset of the first output, or len. */
static size_t
first_from(const struct heal_ac *ac, const unsigned char *p, size_t len,
    size_t i, uint32_t st)
{
	for (; i < len; i++) {
		st = ac->delta[(st >> TAG) + ac->map[p[i]]];
		if (st & 1)
			return i;
	}
	return len;
}

size_t
heal_ac_first(const struct heal_ac *ac, const char *s, size_t len)
{
	return first_from(ac, (const unsigned char *)s, len, 0, 0);
}

/*
 * One lane is bound by the latency of its dependent loads, so the block
 * is cut into eight lanes after newlines (where the automaton is back at
 * the root anyway) that run in lockstep: eight bytes per load latency.
 * Lanes are then settled in order, so the first hit is the one returned.
 */
#define LANES 8

static size_t
first_lanes(const struct heal_ac *ac, const char *s, size_t len)
{
	const unsigned char *lp[LANES];
	size_t ll[LANES], off[LANES], n, i, r, k, at = 0;
	uint32_t st[LANES] = { 0 };

	if (len < 4096)
		return heal_ac_first(ac, s, len);
	for (k = 0; k < LANES; k++) {
		size_t want = len / LANES * (k + 1), cut;
		const char *nl;

		if (k == LANES - 1) {
			cut = len;
		} else {
			nl = memchr(s + want, '\n', len - want);
			if (nl == NULL || (size_t)(nl - s) + 1 >= len)
				return heal_ac_first(ac, s, len);
			cut = (size_t)(nl - s) + 1;
		}
		if (cut <= at)
			return heal_ac_first(ac, s, len);
		lp[k] = (const unsigned char *)s + at;
		off[k] = at;
		ll[k] = cut - at;
		at = cut;
	}
	n = ll[0];
	for (k = 1; k < LANES; k++)
		if (ll[k] < n)
			n = ll[k];
	for (i = 0; i < n; i++) {
		st[0] = ac->delta[(st[0] >> TAG) + ac->map[lp[0][i]]];
		st[1] = ac->delta[(st[1] >> TAG) + ac->map[lp[1][i]]];
		st[2] = ac->delta[(st[2] >> TAG) + ac->map[lp[2][i]]];
		st[3] = ac->delta[(st[3] >> TAG) + ac->map[lp[3][i]]];
		st[4] = ac->delta[(st[4] >> TAG) + ac->map[lp[4][i]]];
		st[5] = ac->delta[(st[5] >> TAG) + ac->map[lp[5][i]]];
		st[6] = ac->delta[(st[6] >> TAG) + ac->map[lp[6][i]]];
		st[7] = ac->delta[(st[7] >> TAG) + ac->map[lp[7][i]]];
		if ((st[0] | st[1] | st[2] | st[3] | st[4] | st[5] | st[6] |
		        st[7]) &
		    1)
			break;
	}
	for (k = 0; k < LANES; k++) {
		if (i < n && (st[k] & 1))
			return off[k] + i;
		r = first_from(ac, lp[k], ll[k], i < n ? i + 1 : n, st[k]);
		if (r < ll[k])
			return off[k] + r;
	}
	return len;
}

/* Windows of whole lines, so that the lanes read from L1: eight streams
 * far apart in a large block run slower than the same bytes close by. */
#define WINDOW ((size_t)16 << 10)

static size_t
first_windows(const struct heal_ac *ac, const char *s, size_t len)
{
	size_t at = 0, cut, r;
	const char *nl;

	while (len - at > WINDOW) {
		nl = memrchr(s + at, '\n', WINDOW);
		if (nl == NULL)
			break; /* a line longer than the window */
		cut = (size_t)(nl - s) + 1;
		r = first_lanes(ac, s + at, cut - at);
		if (r < cut - at)
			return at + r;
		at = cut;
	}
	r = first_lanes(ac, s + at, len - at);
	return r < len - at ? at + r : len;
}

/*
 * Prefiltered: the automaton starts, at the root, `lead` bytes before a
 * mark (where a pattern whose window was marked may begin), and runs
 * while a match beginning at or before the mark may still be in
 * progress. Once the longest partial match (the state's depth) begins
 * after the mark, it stops, and marks before where that match begins are
 * skipped: every occurrence has a mark at most `lead` bytes after its
 * start and is followed from there, so the first output is the plain
 * scan's. Where marks are dense (cost: the bytes stepped, plus a
 * mispredicted branch or so per mark), the rest of the block goes to the
 * lanes.
 */
#define CHUNK ((size_t)4 << 10)

static size_t
first_filtered(const struct heal_ac *ac, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const size_t lead = heal_pf_lead(ac->pf);
	uint32_t bits[CHUNK / 32], m, st;
	size_t base, n, w, q, i, mark, at = 0, cost = 0;
	const char *nl;

	for (base = 0; base < len; base += n) {
		n = len - base < CHUNK ? len - base : CHUNK;
		heal_pf_mark(ac->pf, s, len, base, n, bits);
		for (w = 0; w < (n + 31) / 32; w++) {
			for (m = bits[w]; m; m &= m - 1) {
				mark = base + w * 32 + (size_t)__builtin_ctz(m);
				if (mark < at)
					continue;
				q = mark >= lead && mark - lead > at
				        ? mark - lead
				        : at;
				st = 0;
				for (i = q; i < len; i++) {
					st = ac->delta[(st >> TAG) +
					               ac->map[p[i]]];
					if (st & 1)
						return i;
					if (DEPTH(st) < 3 &&
					    i + 1 - DEPTH(st) > mark)
						break;
				}
				if (i >= len)
					return len;
				at = i + 1 - DEPTH(st);
				cost += at - q + 24;
			}
		}
		if (cost > (base + n) / 2 && base + n < len) {
			/* from the root to the end of the line, then lanes;
			 * patterns starting up to lead bytes back may have
			 * their marks in the chunks not looked at */
			heal_pf_rest(ac->pf);
			q = base + n - (lead < base + n ? lead : base + n);
			if (q < at)
				q = at;
			nl = memchr(s + q, '\n', len - q);
			w = nl ? (size_t)(nl - s) + 1 : len;
			i = first_from(ac, p, w, q, 0);
			if (i < w || w == len)
				return i < w ? i : len;
			i = first_windows(ac, s + w, len - w);
			return i < len - w ? w + i : len;
		}
	}
	return len;
}

size_t
heal_ac_first_lines(const struct heal_ac *ac, const char *s, size_t len)
{
	if (ac->pf != NULL && !heal_pf_resting(ac->pf, len))
		return first_filtered(ac, s, len);
	return first_windows(ac, s, len);
}

void
heal_ac_filter_again(const struct heal_ac *ac)
{
	if (ac->pf != NULL)
		heal_pf_resting(ac->pf, (size_t)-1);
}

void
heal_ac_free(struct heal_ac *ac)
{
	if (!ac)
		return;
	free(ac->delta);
	free(ac->out_head);
	free(ac->dict);
	free(ac->pat_next);
	free(ac->has_out);
	heal_pf_free(ac->pf);
	free(ac);
}
