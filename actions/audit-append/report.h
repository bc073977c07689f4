#ifndef AUDIT_REPORT_H
#define AUDIT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "log_store.h"

/*
 * DORA metrics and CI SLOs from the log's events.
 *
 * Events read (fields given with --field, or the same keys under "data"):
 *   deploy    status=success|failure (default success), commit_time=RFC3339
 *             (for lead time), deploy_id= (or id=), sha= (default: the
 *             recorded github.sha)
 *   incident  id=X, state=open|resolved (time to restore = resolved - open,
 *             or resolved_at=RFC3339 on the opening event); deploy_id= or
 *             deploy_sha= names the deploy that caused it
 *   ci-run    duration_ms=N (or duration_s), conclusion=success|failure
 *   rerun     counted
 *
 * Definitions (DORA): deployment frequency = deploys per day over the
 * reported span; lead time = deploy time - commit time (median); change
 * failure rate = deploys that failed (status=failure, or blamed for an
 * incident: the deploy it names, else the latest deploy at or before it
 * that shipped its deploy_sha, else the latest deploy at or before it) /
 * deploys; time to restore = median of incident open -> resolved. CI:
 * P50/P95/P99 duration (nearest rank), success rate. SLO (from a YAML file):
 * success-rate target T gives an error budget of (1 - T) * runs failures; the
 * freeze rule triggers when 75% or more of it is consumed.
 */
struct slo {
	char *success_target; /* e.g. "0.95"; owned by the config doc */
	int64_t p95_ms;       /* CI P95 duration target, 0 = none */
	long freeze_pct;      /* default 75 */
};

struct report {
	int64_t from, to; /* Unix seconds of first/last counted event */
	uint64_t deploys, failed_deploys, incidents_resolved, reruns;
	uint64_t incidents, incidents_unlinked;
	uint64_t runs, runs_ok;
	double deploys_per_day, lead_time_h, restore_h, cfr;
	int64_t p50_ms, p95_ms, p99_ms;
	bool has_lead, has_restore;
	/* SLO */
	bool has_slo, freeze, p95_met;
	double target, budget_total, budget_used_pct, budget_left_pct;
	int64_t *durations; /* owned; report_release frees */
	size_t ndurations;
	int64_t slo_p95_ms;
};

/* since: Unix seconds (events before are skipped), INT64_MIN for all. */
int report_build(struct log_store *l, int64_t since, const struct slo *slo,
    struct report *r);
void report_release(struct report *r);
int report_markdown(const struct report *r, struct buf *out);
int report_json(const struct report *r, struct buf *out);
int report_svg(const struct report *r, struct buf *out);

#endif
