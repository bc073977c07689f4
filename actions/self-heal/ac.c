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
	uint32_t *delta;   /* nodes * alpha */
	int32_t *out_head; /* first pattern ending here, -1 */
	int32_t *dict;     /* nearest proper suffix node with output, -1 */
	int32_t *pat_next; /* next pattern ending at the same node, -1 */
	uint8_t *has_out;  /* out_head or dict set */
};

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
	 * total * alpha stays far below 2^31 row offsets */
	ac->delta = xcalloc(total * ac->alpha, sizeof(uint32_t));
	ac->out_head = xmalloc(total * sizeof(int32_t));
	ac->dict = xmalloc(total * sizeof(int32_t));
	ac->pat_next = xmalloc((n ? n : 1) * sizeof(int32_t));
	ac->has_out = xcalloc(total, 1);
	fail = xcalloc(total, sizeof(uint32_t));
	queue = xmalloc(total * sizeof(uint32_t));
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
				queue[tail++] = t;
			} else {
				ac->delta[s * ac->alpha + a] =
				    ac->delta[f * ac->alpha + a];
			}
		}
	}
	/* Tag every transition with its target's has_out in bit 0: the scan
	 * then needs one dependent load per byte. */
	for (i = 0; i < ac->nodes * ac->alpha; i++)
		ac->delta[i] = (uint32_t)(ac->delta[i] * ac->alpha) << 1 |
		               ac->has_out[ac->delta[i]];
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
		st = ac->delta[(st >> 1) + ac->map[*p]];
		if (st & 1) {
			int32_t node = (int32_t)((st >> 1) / ac->alpha);
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
	free(ac);
}
