#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "entry.h"
#include "report.h"

/* An open incident waiting for its resolution. */
struct open_inc {
	char *id;
	int64_t t;
};

/* A deploy, and an incident to blame on one (linked in finish). */
struct dep {
	char *id, *sha;
	int64_t t;
	bool failed;
};

struct inc {
	char *deploy_id, *sha;
	int64_t t;
};

struct acc {
	int64_t *lead, *restore;
	size_t nlead, nrestore, caplead, caprestore, capdur;
	struct open_inc *open;
	size_t nopen, capopen;
	struct dep *dep;
	size_t ndep, capdep;
	struct inc *inc;
	size_t ninc, capinc;
};

/* fields.key, else data.key: a string (copied into buf) or a number. */
static const char *
attr(const cJSON *e, const char *key, char *buf, size_t len)
{
	const char *where[] = { "fields", "data" };
	const cJSON *o, *v;
	size_t i;

	for (i = 0; i < 2; i++) {
		o = cJSON_GetObjectItemCaseSensitive(e, where[i]);
		v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key)
		                      : NULL;
		if (cJSON_IsString(v))
			return v->valuestring;
		if (cJSON_IsNumber(v)) {
			snprintf(buf, len, "%.0f", v->valuedouble);
			return buf;
		}
		if (cJSON_IsBool(v))
			return cJSON_IsTrue(v) ? "true" : "false";
	}
	return NULL;
}

static char *
dup_attr(const cJSON *e, const char *key)
{
	char nb[64];
	const char *s = attr(e, key, nb, sizeof(nb));

	return s != NULL && *s != 0 ? xstrdup(s) : NULL;
}

/* The commit a deploy shipped: sha=, else the recorded GitHub context. */
static char *
deploy_sha(const cJSON *e)
{
	char *s = dup_attr(e, "sha");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(e, "github");
	const char *gs = cJSON_IsObject(g) ? json_opt_str(g, "sha") : NULL;

	if (s == NULL && gs != NULL && *gs != 0)
		s = xstrdup(gs);
	return s;
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * Blames incident c on a deploy: the one it names (deploy_id=), else the
 * latest at or before it that shipped its sha (deploy_sha=), else the
 * latest deploy at or before it. NULL if none qualifies.
 */
static struct dep *
blame(struct acc *a, const struct inc *c)
{
	struct dep *best = NULL, *d;
	size_t i;

	for (i = 0; i < a->ndep; i++) {
		d = &a->dep[i];
		if (c->deploy_id != NULL) {
			if (same(d->id, c->deploy_id))
				return d;
			continue;
		}
		if (d->t > c->t || (c->sha != NULL && !same(d->sha, c->sha)))
			continue;
		if (best == NULL || d->t >= best->t)
			best = d;
	}
	return best;
}

static void
push(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
	xgrow((void **)a, cap, *n + 1, sizeof(**a));
	(*a)[(*n)++] = v;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static int64_t
pct(const int64_t *v, size_t n, size_t p)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (p * n + 99) / 100; /* ceil(p/100 * n) */
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void
one_event(
    const cJSON *e, const char *ev, int64_t t, struct report *r, struct acc *a)
{
	char nb[64];
	const char *s;
	int64_t ct, ms;
	size_t i;

	if (strcmp(ev, "deploy") == 0) {
		r->deploys++;
		xgrow(
		    (void **)&a->dep, &a->capdep, a->ndep + 1, sizeof(*a->dep));
		a->dep[a->ndep].id = dup_attr(e, "deploy_id");
		if (a->dep[a->ndep].id == NULL)
			a->dep[a->ndep].id = dup_attr(e, "id");
		a->dep[a->ndep].sha = deploy_sha(e);
		a->dep[a->ndep].t = t;
		s = attr(e, "status", nb, sizeof(nb));
		a->dep[a->ndep++].failed =
		    s != NULL &&
		    (strcmp(s, "failure") == 0 || strcmp(s, "failed") == 0);
		s = attr(e, "commit_time", nb, sizeof(nb));
		if (s != NULL && entry_parse_time(s, &ct) == 0 && ct <= t)
			push(&a->lead, &a->nlead, &a->caplead, t - ct);
	} else if (strcmp(ev, "incident") == 0) {
		const char *id = attr(e, "id", nb, sizeof(nb));
		char idb[64];

		snprintf(idb, sizeof(idb), "%s", id != NULL ? id : "");
		s = attr(e, "state", nb, sizeof(nb));
		if (s == NULL || strcmp(s, "open") == 0) {
			r->incidents++;
			xgrow((void **)&a->inc, &a->capinc, a->ninc + 1,
			    sizeof(*a->inc));
			a->inc[a->ninc].deploy_id = dup_attr(e, "deploy_id");
			a->inc[a->ninc].sha = dup_attr(e, "deploy_sha");
			a->inc[a->ninc++].t = t;
			/* Resolved in the same event, or by a later one. */
			s = attr(e, "resolved_at", nb, sizeof(nb));
			if (s != NULL && entry_parse_time(s, &ct) == 0 &&
			    ct >= t) {
				push(&a->restore, &a->nrestore, &a->caprestore,
				    ct - t);
				r->incidents_resolved++;
			} else if (id != NULL) {
				xgrow((void **)&a->open, &a->capopen,
				    a->nopen + 1, sizeof(*a->open));
				a->open[a->nopen].id = xstrdup(idb);
				a->open[a->nopen++].t = t;
			}
		} else if (id != NULL && strcmp(s, "resolved") == 0) {
			for (i = 0; i < a->nopen; i++)
				if (a->open[i].id &&
				    strcmp(a->open[i].id, idb) == 0) {
					push(&a->restore, &a->nrestore,
					    &a->caprestore, t - a->open[i].t);
					free(a->open[i].id);
					a->open[i].id = NULL;
					r->incidents_resolved++;
					break;
				}
		}
	} else if (strcmp(ev, "ci-run") == 0) {
		r->runs++;
		s = attr(e, "conclusion", nb, sizeof(nb));
		if (s == NULL || strcmp(s, "success") == 0)
			r->runs_ok++;
		s = attr(e, "duration_ms", nb, sizeof(nb));
		ms = -1;
		if (s != NULL)
			ms = strtoll(s, NULL, 10);
		else if ((s = attr(e, "duration_s", nb, sizeof(nb))) != NULL)
			ms = strtoll(s, NULL, 10) * 1000;
		if (ms >= 0)
			push(&r->durations, &r->ndurations, &a->capdur, ms);
	} else if (strcmp(ev, "rerun") == 0)
		r->reruns++;
}

static int64_t
median(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp64);
	return pct(v, n, 50);
}

static void
finish(struct report *r, struct acc *a, const struct slo *slo)
{
	double days, allowed;
	int64_t *sorted, m;
	struct dep *d;
	size_t i;

	for (i = 0; i < a->ninc; i++) {
		d = blame(a, &a->inc[i]);
		if (d != NULL)
			d->failed = true;
		else
			r->incidents_unlinked++;
	}
	r->failed_deploys = 0;
	for (i = 0; i < a->ndep; i++)
		r->failed_deploys += a->dep[i].failed;
	days = r->to > r->from ? (double)(r->to - r->from) / 86400.0 : 0;
	if (days < 1)
		days = 1;
	r->deploys_per_day = (double)r->deploys / days;
	r->cfr =
	    r->deploys ? (double)r->failed_deploys / (double)r->deploys : 0;
	if (a->nlead) {
		r->has_lead = true;
		m = median(a->lead, a->nlead);
		r->lead_time_h = (double)m / 3600.0;
	}
	if (a->nrestore) {
		r->has_restore = true;
		m = median(a->restore, a->nrestore);
		r->restore_h = (double)m / 3600.0;
	}
	if (r->ndurations) {
		sorted = xmalloc(r->ndurations * sizeof(*sorted));
		memcpy(sorted, r->durations, r->ndurations * sizeof(*sorted));
		qsort(sorted, r->ndurations, sizeof(*sorted), cmp64);
		r->p50_ms = pct(sorted, r->ndurations, 50);
		r->p95_ms = pct(sorted, r->ndurations, 95);
		r->p99_ms = pct(sorted, r->ndurations, 99);
		free(sorted);
	}
	if (slo == NULL || slo->success_target == NULL)
		return;
	r->has_slo = true;
	r->target = strtod(slo->success_target, NULL);
	r->slo_p95_ms = slo->p95_ms;
	r->p95_met = slo->p95_ms == 0 || r->p95_ms <= slo->p95_ms;
	allowed = (1.0 - r->target) * (double)r->runs;
	r->budget_total = allowed;
	if (allowed > 0)
		r->budget_used_pct =
		    100.0 * (double)(r->runs - r->runs_ok) / allowed;
	else
		r->budget_used_pct = r->runs > r->runs_ok ? 100.0 : 0;
	r->budget_left_pct = 100.0 - r->budget_used_pct;
	r->freeze = r->budget_used_pct >=
	            (double)(slo->freeze_pct ? slo->freeze_pct : 75);
}

int
report_build(
    struct log_store *l, int64_t since, const struct slo *slo, struct report *r)
{
	struct buf b = BUF_INIT(LOG_ENTRY_MAX + 1);
	struct acc a;
	const char *ev, *ts;
	cJSON *e = NULL;
	int64_t t;
	uint64_t i;
	size_t k;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	if (slo != NULL && slo->success_target != NULL) {
		char *end;
		double v = strtod(slo->success_target, &end);

		if (*end != 0 || !(v > 0 && v < 1)) {
			error_msg(
			    "SLO 'ci-success-rate' must be between 0 and 1 "
			    "exclusive, e.g. 0.95");
			goto out;
		}
	}
	for (i = 0; i < l->size; i++) {
		buf_reset(&b);
		cJSON_Delete(e);
		e = NULL;
		if (log_store_entry(l, i, &b, NULL) < 0)
			goto out;
		if (json_parse(b.data, b.len, "entry", &e) < 0)
			continue; /* not ours to judge here; verify does */
		ev = json_opt_str(e, "event");
		ts = json_opt_str(e, "time");
		if (ev == NULL || ts == NULL || entry_parse_time(ts, &t) < 0 ||
		    t < since)
			continue;
		if (r->from == 0 || t < r->from)
			r->from = t;
		if (t > r->to)
			r->to = t;
		one_event(e, ev, t, r, &a);
	}
	finish(r, &a, slo);
	ret = 0;
out:
	cJSON_Delete(e);
	buf_release(&b);
	for (k = 0; k < a.nopen; k++)
		free(a.open[k].id);
	for (k = 0; k < a.ndep; k++) {
		free(a.dep[k].id);
		free(a.dep[k].sha);
	}
	for (k = 0; k < a.ninc; k++) {
		free(a.inc[k].deploy_id);
		free(a.inc[k].sha);
	}
	free(a.dep);
	free(a.inc);
	free(a.open);
	free(a.lead);
	free(a.restore);
	return ret;
}

void
report_release(struct report *r)
{
	free(r->durations);
	r->durations = NULL;
}
