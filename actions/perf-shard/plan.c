#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "plan.h"
#include "solver.h"

void
plan_init(struct plan *p)
{
	memset(p, 0, sizeof(*p));
	p->method = "none";
}

void
plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++)
		free(p->items[i].key);
	free(p->items);
	free(p->load);
	plan_init(p);
}

void
plan_add(struct plan *p, const char *key, int64_t est, bool known)
{
	struct plan_item *it;

	xgrow((void **)&p->items, &p->alloc, p->nr + 1, sizeof(*p->items));
	it = &p->items[p->nr++];
	it->key = xstrdup(key);
	it->est = est < 0 ? 0 : est;
	it->known = known;
	it->shard = 0;
}

uint32_t
plan_jump_hash(uint64_t key, uint32_t buckets)
{
	int64_t b = -1, j = 0;

	while (j < (int64_t)buckets) {
		b = j;
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)(((uint64_t)(b + 1) << 31) / ((key >> 33) + 1));
	}
	return (uint32_t)b;
}

void
plan_ratio_str(int64_t num, int64_t den, char out[32])
{
	int64_t r;

	if (den <= 0) {
		memcpy(out, "1.0000", 7);
		return;
	}
	/* Rounded to 4 decimals; num < 2^63 / 10^4 for any real suite. */
	r = (num * 10000 + den / 2) / den;
	snprintf(out, 32, "%lld.%04lld", (long long)(r / 10000),
	    (long long)(r % 10000));
}

static int
cmp_key(const void *a, const void *b)
{
	return strcmp(((const struct plan_item *)a)->key,
	    ((const struct plan_item *)b)->key);
}

void
plan_sort_items(struct plan *p)
{
	size_t i;

	/* Usually sorted already (the store is): skip the n log n. */
	for (i = 1; i < p->nr; i++)
		if (strcmp(p->items[i - 1].key, p->items[i].key) >= 0)
			break;
	if (i < p->nr)
		qsort(p->items, p->nr, sizeof(*p->items), cmp_key);
}

/* Sorts and checks keys are unique (one pass when already sorted). */
static int
sort_unique(struct plan *p)
{
	size_t i;

	for (i = 1; i < p->nr; i++) {
		int c = strcmp(p->items[i - 1].key, p->items[i].key);

		if (c == 0)
			return error_msg("'%s': listed twice", p->items[i].key);
		if (c > 0)
			break;
	}
	if (i >= p->nr)
		return 0;
	qsort(p->items, p->nr, sizeof(*p->items), cmp_key);
	for (i = 1; i < p->nr; i++)
		if (!strcmp(p->items[i - 1].key, p->items[i].key))
			return error_msg("'%s': listed twice", p->items[i].key);
	return 0;
}

/*
 * Items are sorted by key before ranking, so the key tie-break is the
 * index: no string compares in the n log n sort.
 */
struct rank {
	int64_t est;
	size_t i;
};

/*
 * Estimate descending, index ascending: an LSD radix sort on the
 * complemented estimate (stable, so equal estimates keep index order),
 * skipping the bytes every item shares. A million items: tens of ms where
 * qsort's callbacks took hundreds.
 */
static void
rank_sort(struct rank *v, size_t n)
{
	struct rank *tmp = xcalloc(n + 1, sizeof(*tmp)), *a = v, *b = tmp;
	uint64_t or_bits = 0, and_bits = UINT64_MAX;
	size_t i;
	unsigned shift;

	for (i = 0; i < n; i++) {
		uint64_t k = ~(uint64_t)v[i].est;

		or_bits |= k;
		and_bits &= k;
	}
	for (shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		struct rank *t;

		if ((((or_bits ^ and_bits) >> shift) & 0xff) == 0)
			continue; /* every item has the same byte here */
		for (i = 0; i < n; i++)
			count[((~(uint64_t)a[i].est >> shift) & 0xff) + 1]++;
		for (i = 1; i < 257; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			b[count[(~(uint64_t)a[i].est >> shift) & 0xff]++] =
			    a[i];
		t = a;
		a = b;
		b = t;
	}
	if (a != v)
		memcpy(v, a, n * sizeof(*v));
	free(tmp);
}

static const struct solver *cmp_solver;

/*
 * Unknown items are dealt in key order: neighbours (tests of one file,
 * whose errors are correlated) land on different shards.
 */
static int
cmp_unknown(const void *a, const void *b)
{
	const struct solver *s = cmp_solver;
	size_t x = s->order[*(const size_t *)a];
	size_t y = s->order[*(const size_t *)b];

	return (x > y) - (x < y); /* items are in key order */
}

static uint32_t
seed_of(const struct plan_opts *o, const char *key, bool *sticky)
{
	size_t v;

	*sticky = false;
	if (o->sticky && o->sticky_shards == o->shards &&
	    idmap_get(o->sticky, key, &v) && v < o->shards) {
		*sticky = true;
		return (uint32_t)v;
	}
	return plan_jump_hash(idmap_hash(key, strlen(key)), o->shards);
}

/* Appends the decimal digits of v (no sprintf: this runs per item). */
static size_t
put_u64(char *out, uint64_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void
plan_digest(struct plan *p)
{
	struct hash_ctx c = HASH_CTX_INIT;
	uint8_t md[HASH_SHA256_LEN];
	char line[128];
	size_t i, n;

	hash_init(&c);
	snprintf(
	    line, sizeof(line), "perf-shard-plan/1 %u %zu\n", p->shards, p->nr);
	hash_update(&c, line, strlen(line));
	/* per item: "<len>:<key> <shard> <estimate>\n" */
	for (i = 0; i < p->nr; i++) {
		const struct plan_item *it = &p->items[i];
		size_t kl = strlen(it->key);

		n = put_u64(line, kl);
		line[n++] = ':';
		hash_update(&c, line, n);
		hash_update(&c, it->key, kl);
		line[0] = ' ';
		n = 1 + put_u64(line + 1, it->shard);
		line[n++] = ' ';
		n += put_u64(line + n, (uint64_t)it->est);
		line[n++] = '\n';
		hash_update(&c, line, n);
	}
	hash_final(&c, md);
	hash_release(&c);
	hash_hex(md, sizeof(md), p->digest);
}

/*
 * The stable plan's starting point. Items longer than the fair share
 * (est * N > total) each get a shard of their own (their seed shard, or
 * the next free one): LPT leaves them alone too, and anything beside them
 * adds to the makespan. The other known items go to their seed shard.
 * Unknown items are dealt round-robin over the remaining shards in key
 * order and pinned: an estimate is a guess, and dealing neighbours (tests
 * of one file, whose errors are correlated) to different shards keeps the
 * errors from piling up. Returns how many items kept a sticky shard.
 */
static size_t
seed_stable(struct solver *s, const struct plan_opts *o)
{
	const struct plan *p = s->p;
	bool *reserved = xcalloc(s->n, sizeof(*reserved));
	size_t *unk = xcalloc(p->nr + 1, sizeof(*unk));
	size_t r, nunk = 0, kept = 0, deal = 0;
	unsigned free_shards = s->n;

	/* seeds in key order (sequential memory), used in rank order */
	uint32_t *seed = xcalloc(p->nr + 1, sizeof(*seed));
	uint8_t *flag = xcalloc(p->nr + 1, sizeof(*flag));

	for (r = 0; r < p->nr; r++) {
		bool st;

		seed[r] = seed_of(o, p->items[r].key, &st);
		flag[r] = (uint8_t)(st | (p->items[r].known ? 2 : 0));
	}
	solver_reset(s);
	for (r = 0; r < p->nr; r++) {
		uint32_t k = seed[s->order[r]];
		bool st = flag[s->order[r]] & 1, known = flag[s->order[r]] & 2;

		kept += st;
		if (s->est[r] * (int64_t)s->n > p->total && free_shards > 1) {
			while (reserved[k])
				k = (k + 1) % s->n;
			reserved[k] = true;
			free_shards--;
			s->shard[r] = k;
			s->load[k] += s->est[r]; /* pinned */
			continue;
		}
		if (!known && !st) {
			unk[nunk++] = r;
			continue;
		}
		solver_place(s, r, k);
	}
	cmp_solver = s;
	qsort(unk, nunk, sizeof(*unk), cmp_unknown);
	for (r = 0; r < nunk; r++) {
		while (reserved[deal % s->n])
			deal++;
		s->shard[unk[r]] = (uint32_t)(deal % s->n);
		s->load[deal % s->n] += s->est[unk[r]];
		deal++;
	}
	free(reserved);
	free(unk);
	free(seed);
	free(flag);
	return kept;
}

static void
save_assignment(const struct solver *s, uint32_t *dst)
{
	memcpy(dst, s->shard, s->p->nr * sizeof(*dst));
}

int
plan_solve(struct plan *p, const struct plan_opts *o)
{
	struct solver s;
	uint32_t *ref = NULL;
	size_t i, r, kept;
	int64_t goal;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	if (o->shards < 1)
		return error_msg("shard count must be at least 1");
	if (sort_unique(p) < 0)
		return -1;
	p->shards = o->shards;
	free(p->load);
	p->load = xcalloc(o->shards, sizeof(*p->load));
	p->total = p->pmax = 0;
	p->unknown = 0;
	for (i = 0; i < p->nr; i++) {
		p->total += p->items[i].est;
		if (p->items[i].est > p->pmax)
			p->pmax = p->items[i].est;
		if (!p->items[i].known)
			p->unknown++;
	}
	p->lb = (p->total + o->shards - 1) / o->shards;
	if (p->pmax > p->lb)
		p->lb = p->pmax;

	s.p = p;
	s.n = o->shards;
	s.order = xcalloc(p->nr + 1, sizeof(*s.order));
	s.est = xcalloc(p->nr + 1, sizeof(*s.est));
	s.shard = xcalloc(p->nr + 1, sizeof(*s.shard));
	s.load = xcalloc(s.n, sizeof(*s.load));
	s.lists = xcalloc(s.n, sizeof(*s.lists));
	s.max_steps = o->max_iter ? o->max_iter : 20000000;
	{
		struct rank *rk = xcalloc(p->nr + 1, sizeof(*rk));

		for (i = 0; i < p->nr; i++) {
			rk[i].est = p->items[i].est;
			rk[i].i = i;
		}
		rank_sort(rk, p->nr);
		for (r = 0; r < p->nr; r++) {
			s.order[r] = rk[r].i;
			s.est[r] = rk[r].est;
		}
		free(rk);
	}

	goal = p->lb + p->lb / 1000000 * o->tol_ppm +
	       p->lb % 1000000 * o->tol_ppm / 1000000;
	/*
	 * 1. reference: LPT + local search towards LB. For the stable plan
	 * it only sets the goal max(reference, LB * (1 + tol)), so a big
	 * instance stops searching once within the tolerance: the goal, and
	 * so the plan, is the same as with the full search.
	 */
	solver_lpt(&s);
	solver_repair(
	    &s, o->plain_lpt || p->nr <= 3 * (size_t)s.n ? p->lb : goal);
	solver_exact_small(&s, p->lb);
	p->ref_makespan = solver_makespan(&s);
	p->method = "lpt";
	if (o->plain_lpt)
		goto done;
	ref = xcalloc(p->nr + 1, sizeof(*ref));
	save_assignment(&s, ref);

	/* 2. stable: seeded start, repaired to the goal */
	if (goal < p->ref_makespan)
		goal = p->ref_makespan;
	kept = seed_stable(&s, o);
	{
		uint32_t *seed = xcalloc(p->nr + 1, sizeof(*seed));

		save_assignment(&s, seed);
		solver_repair(&s, goal);
		p->moved = 0;
		for (r = 0; r < p->nr; r++)
			p->moved += seed[r] != s.shard[r];
		free(seed);
	}
	p->method = kept ? "sticky" : "stable";
	if (solver_makespan(&s) > goal) {
		memcpy(s.shard, ref, p->nr * sizeof(*ref));
		p->method = "lpt-fallback";
		p->moved = p->nr;
	}
done:
	for (r = 0; r < p->nr; r++)
		p->items[s.order[r]].shard = s.shard[r];
	memset(p->load, 0, o->shards * sizeof(*p->load));
	for (i = 0; i < p->nr; i++)
		p->load[p->items[i].shard] += p->items[i].est;
	p->makespan = 0;
	for (i = 0; i < o->shards; i++)
		if (p->load[i] > p->makespan)
			p->makespan = p->load[i];
	plan_digest(p);
	ret = 0;
	free(ref);
	solver_release(&s);
	return ret;
}

int64_t
plan_eval(const struct plan *p, const int64_t *actual)
{
	int64_t *l = xcalloc(p->shards ? p->shards : 1, sizeof(*l)), m = 0;
	size_t i;

	for (i = 0; i < p->nr; i++)
		l[p->items[i].shard] += actual[i];
	for (i = 0; i < p->shards; i++)
		if (l[i] > m)
			m = l[i];
	free(l);
	return m;
}
