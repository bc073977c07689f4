#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "solver.h"

static void
list_insert(struct shardlist *l, size_t r)
{
	size_t lo = 0, hi = l->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->r[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	xgrow((void **)&l->r, &l->alloc, l->nr + 1, sizeof(*l->r));
	memmove(l->r + lo + 1, l->r + lo, (l->nr - lo) * sizeof(*l->r));
	l->r[lo] = r;
	l->nr++;
}

static void
list_remove_at(struct shardlist *l, size_t pos)
{
	memmove(l->r + pos, l->r + pos + 1, (l->nr - pos - 1) * sizeof(*l->r));
	l->nr--;
}

void
solver_reset(struct solver *s)
{
	unsigned k;

	for (k = 0; k < s->n; k++) {
		s->load[k] = 0;
		s->lists[k].nr = 0;
	}
	s->steps = 0;
}

void
solver_place(struct solver *s, size_t r, uint32_t k)
{
	s->shard[r] = k;
	s->load[k] += s->est[r];
	list_insert(&s->lists[k], r);
}

static unsigned
argmax(const struct solver *s)
{
	unsigned k, h = 0;

	for (k = 1; k < s->n; k++)
		if (s->load[k] > s->load[h])
			h = k;
	return h;
}

static unsigned
argmin(const struct solver *s)
{
	unsigned k, t = 0;

	for (k = 1; k < s->n; k++)
		if (s->load[k] < s->load[t])
			t = k;
	return t;
}

int64_t
solver_makespan(const struct solver *s)
{
	return s->load[argmax(s)];
}

/*
 * First position in l (estimates descending by rank) whose estimate is
 * <= v.
 */
static size_t
first_le(const struct solver *s, const struct shardlist *l, int64_t v)
{
	size_t lo = 0, hi = l->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->est[l->r[mid]] > v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t
abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Best-fit move of one item from h to t; true if it improved. */
static bool
try_move(struct solver *s, unsigned h, unsigned t)
{
	struct shardlist *l = &s->lists[h];
	int64_t gap = s->load[h] - s->load[t];
	size_t pos, best = SIZE_MAX, c;
	int64_t bestd = 0;

	if (gap <= 0 || l->nr == 0)
		return false;
	pos = first_le(s, l, gap / 2);
	/* Candidates: the smallest item above gap/2, the largest at/below. */
	for (c = pos ? pos - 1 : 0; c <= pos && c < l->nr; c++) {
		int64_t p = s->est[l->r[c]], d;

		if (p <= 0 || p >= gap)
			continue;
		d = abs64(gap - 2 * p);
		if (best == SIZE_MAX || d < bestd ||
		    (d == bestd && l->r[c] < l->r[best])) {
			best = c;
			bestd = d;
		}
	}
	if (best == SIZE_MAX)
		return false;
	c = l->r[best];
	list_remove_at(l, best);
	s->load[h] -= s->est[c];
	solver_place(s, c, t);
	return true;
}

/* Best swap between h and t; true if it improved. */
static bool
try_swap(struct solver *s, unsigned h, unsigned t)
{
	struct shardlist *lh = &s->lists[h], *lt = &s->lists[t];
	int64_t gap = s->load[h] - s->load[t], bestd = 0;
	size_t i, ba = SIZE_MAX, bb = SIZE_MAX;

	if (gap <= 0)
		return false;
	for (i = 0; i < lh->nr && s->steps < s->max_steps; i++) {
		int64_t pa = s->est[lh->r[i]], want = pa - gap / 2;
		size_t pos, c;

		s->steps++;
		if (pa <= 0)
			break;
		if (i && pa == s->est[lh->r[i - 1]])
			continue; /* same size as the previous: same answer */
		pos = first_le(s, lt, want);
		for (c = pos ? pos - 1 : 0; c <= pos && c < lt->nr; c++) {
			int64_t dlt = pa - s->est[lt->r[c]], d;

			if (dlt <= 0 || dlt >= gap)
				continue;
			d = abs64(gap - 2 * dlt);
			if (ba == SIZE_MAX || d < bestd) {
				ba = i;
				bb = c;
				bestd = d;
			}
		}
	}
	if (ba == SIZE_MAX)
		return false;
	{
		size_t ra = lh->r[ba], rb = lt->r[bb];

		list_remove_at(lh, ba);
		list_remove_at(lt, bb);
		s->load[h] -= s->est[ra];
		s->load[t] -= s->est[rb];
		solver_place(s, ra, t);
		solver_place(s, rb, h);
	}
	return true;
}

/*
 * Local search: while the heaviest shard is above goal, move or swap to
 * lower it. Each step strictly lowers the sum of squared loads, so it
 * terminates; max_steps bounds the time on huge inputs.
 */
void
solver_repair(struct solver *s, int64_t goal)
{
	unsigned *byload = xcalloc(s->n, sizeof(*byload));

	while (s->steps < s->max_steps) {
		unsigned h = argmax(s), t = argmin(s), k, m = 0;
		bool done = false;

		s->steps++;
		if (s->load[h] <= goal)
			break;
		if (try_move(s, h, t))
			continue;
		/* Swaps: lighter partners first. */
		for (k = 0; k < s->n; k++)
			if (k != h)
				byload[m++] = k;
		for (k = 1; k < m; k++) {
			unsigned v = byload[k], j = k;

			while (j > 0 &&
			       (s->load[byload[j - 1]] > s->load[v] ||
			           (s->load[byload[j - 1]] == s->load[v] &&
			               byload[j - 1] > v))) {
				byload[j] = byload[j - 1];
				j--;
			}
			byload[j] = v;
		}
		for (k = 0; k < m && !done; k++)
			done = try_swap(s, h, byload[k]);
		if (!done)
			break;
	}
	free(byload);
}

/*
 * Exact branch and bound for small instances (n <= 3N, research §3: where
 * LPT's 4/3 worst case lives). Items by rank (longest first); a shard is
 * skipped when it has the same load as an earlier one (symmetry); the
 * search stops after `cap` nodes and keeps the best found.
 */
struct bnb {
	const int64_t *est;
	size_t n;
	unsigned m;
	int64_t *load, best, lb;
	uint32_t *cur, *best_assign;
	uint64_t nodes, cap;
};

static void
bnb_go(struct bnb *b, size_t r, int64_t mk)
{
	unsigned k, j;

	if (b->nodes++ >= b->cap || b->best <= b->lb)
		return;
	if (r == b->n) {
		if (mk < b->best) {
			b->best = mk;
			memcpy(b->best_assign, b->cur, b->n * sizeof(*b->cur));
		}
		return;
	}
	for (k = 0; k < b->m; k++) {
		int64_t nl = b->load[k] + b->est[r];
		bool dup = false;

		for (j = 0; j < k && !dup; j++)
			dup = b->load[j] == b->load[k];
		if (dup || nl >= b->best)
			continue;
		b->load[k] = nl;
		b->cur[r] = k;
		bnb_go(b, r + 1, nl > mk ? nl : mk);
		b->load[k] -= b->est[r];
	}
}

/* Replaces the solver's assignment if the search finds a better one. */
void
solver_exact_small(struct solver *s, int64_t lb)
{
	struct bnb b;
	size_t r;

	if (s->p->nr > 3 * (size_t)s->n || s->p->nr > 48 || s->n < 2)
		return;
	memset(&b, 0, sizeof(b));
	b.est = s->est;
	b.n = s->p->nr;
	b.m = s->n;
	b.lb = lb;
	b.best = solver_makespan(s);
	b.cap = 2000000;
	b.load = xcalloc(s->n, sizeof(*b.load));
	b.cur = xcalloc(b.n + 1, sizeof(*b.cur));
	b.best_assign = xcalloc(b.n + 1, sizeof(*b.best_assign));
	memcpy(b.best_assign, s->shard, b.n * sizeof(*b.cur));
	bnb_go(&b, 0, 0);
	if (b.best < solver_makespan(s)) {
		solver_reset(s);
		for (r = 0; r < b.n; r++)
			solver_place(s, r, b.best_assign[r]);
	}
	free(b.load);
	free(b.cur);
	free(b.best_assign);
}

/* Heap order: lighter first, ties to the lower shard (as argmin). */
static bool
heap_less(const struct solver *s, uint32_t a, uint32_t b)
{
	return s->load[a] < s->load[b] || (s->load[a] == s->load[b] && a < b);
}

static void
heap_down(const struct solver *s, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint32_t t;

		if (l < n && heap_less(s, h[l], h[m]))
			m = l;
		if (l + 1 < n && heap_less(s, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* Loads only grow, so the lightest shard is a heap's root. */
void
solver_lpt(struct solver *s)
{
	uint32_t *h = xcalloc(s->n, sizeof(*h));
	size_t r, np = s->p->nr;
	unsigned k;

	solver_reset(s);
	for (k = 0; k < s->n; k++)
		h[k] = k;
	for (r = 0; r < np; r++) {
		solver_place(s, r, h[0]);
		heap_down(s, h, s->n, 0);
	}
	free(h);
}

void
solver_release(struct solver *s)
{
	unsigned k;

	for (k = 0; s->lists && k < s->n; k++)
		free(s->lists[k].r);
	free(s->lists);
	free(s->order);
	free(s->est);
	free(s->shard);
	free(s->load);
}
