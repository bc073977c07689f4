#include "common/compat.h"

#include <stdio.h>
#include <string.h>

#include "report.h"

/* The report as Markdown (job summary), JSON and an SVG chart. */

static void
dur(char *out, size_t len, int64_t ms)
{
	if (ms >= 60000)
		snprintf(out, len, "%.1f min", (double)ms / 60000.0);
	else
		snprintf(out, len, "%.1f s", (double)ms / 1000.0);
}

int
report_markdown(const struct report *r, struct buf *out)
{
	char p50[32], p95[32], p99[32], tgt[32];

	dur(p50, sizeof(p50), r->p50_ms);
	dur(p95, sizeof(p95), r->p95_ms);
	dur(p99, sizeof(p99), r->p99_ms);
	buf_adds(out, "## Audit trail: delivery metrics\n\n"
	              "| DORA metric | value |\n|---|---|\n");
	buf_addf(out,
	    "| Deployment frequency | %.2f per day (%llu deploys) |\n",
	    r->deploys_per_day, (unsigned long long)r->deploys);
	if (r->has_lead)
		buf_addf(out, "| Lead time for changes (median) | %.1f h |\n",
		    r->lead_time_h);
	else
		buf_adds(
		    out, "| Lead time for changes | no commit_time data |\n");
	buf_addf(out,
	    "| Change failure rate | %.1f%% (%llu of %llu; %llu "
	    "incident%s, %llu not traced to a deploy) |\n",
	    100.0 * r->cfr, (unsigned long long)r->failed_deploys,
	    (unsigned long long)r->deploys, (unsigned long long)r->incidents,
	    r->incidents == 1 ? "" : "s",
	    (unsigned long long)r->incidents_unlinked);
	if (r->has_restore)
		buf_addf(out,
		    "| Time to restore (median) | %.1f h (%llu "
		    "incidents) |\n",
		    r->restore_h, (unsigned long long)r->incidents_resolved);
	else
		buf_adds(out, "| Time to restore | no resolved incidents |\n");
	buf_addf(out,
	    "\n| CI | value |\n|---|---|\n| Runs | %llu (%llu "
	    "reruns) |\n| Success rate | %.1f%% |\n| Duration P50 / P95 / P99 "
	    "| %s / %s / %s |\n",
	    (unsigned long long)r->runs, (unsigned long long)r->reruns,
	    r->runs ? 100.0 * (double)r->runs_ok / (double)r->runs : 0.0, p50,
	    p95, p99);
	if (r->has_slo) {
		buf_addf(out,
		    "\n| SLO | value |\n|---|---|\n| Success target "
		    "| %.2f%% |\n| Error budget used | %.1f%% |\n| Error budget "
		    "remaining | %.1f%% |\n",
		    100.0 * r->target, r->budget_used_pct, r->budget_left_pct);
		if (r->slo_p95_ms) {
			dur(tgt, sizeof(tgt), r->slo_p95_ms);
			buf_addf(out, "| P95 duration target | %s (%s) |\n",
			    tgt, r->p95_met ? "met" : "missed");
		}
		buf_addf(out, "\n%s\n",
		    r->freeze
		        ? "**Freeze: 75% or more of the error budget is used; only "
		          "reliability fixes should ship.**"
		        : "Error budget healthy: no freeze.");
	}
	return 0;
}

int
report_json(const struct report *r, struct buf *out)
{
	buf_addf(out,
	    "{\"deployments\":%llu,\"deploys_per_day\":%.4f,"
	    "\"change_failure_rate\":%.4f,\"failed_deployments\":%llu,"
	    "\"incidents\":%llu,\"incidents_unlinked\":%llu,",
	    (unsigned long long)r->deploys, r->deploys_per_day, r->cfr,
	    (unsigned long long)r->failed_deploys,
	    (unsigned long long)r->incidents,
	    (unsigned long long)r->incidents_unlinked);
	if (r->has_lead)
		buf_addf(out, "\"lead_time_hours\":%.4f,", r->lead_time_h);
	if (r->has_restore)
		buf_addf(out, "\"time_to_restore_hours\":%.4f,", r->restore_h);
	buf_addf(out,
	    "\"ci\":{\"runs\":%llu,\"success\":%llu,\"reruns\":%llu,"
	    "\"p50_ms\":%lld,\"p95_ms\":%lld,\"p99_ms\":%lld}",
	    (unsigned long long)r->runs, (unsigned long long)r->runs_ok,
	    (unsigned long long)r->reruns, (long long)r->p50_ms,
	    (long long)r->p95_ms, (long long)r->p99_ms);
	if (r->has_slo)
		buf_addf(out,
		    ",\"slo\":{\"target\":%.4f,\"budget_used_pct\":"
		    "%.2f,\"budget_remaining_pct\":%.2f,\"freeze\":%s,"
		    "\"p95_met\":%s}",
		    r->target, r->budget_used_pct, r->budget_left_pct,
		    r->freeze ? "true" : "false",
		    r->p95_met ? "true" : "false");
	return buf_adds(out, "}\n");
}

int
report_svg(const struct report *r, struct buf *out)
{
	const double w = 640, h = 240, pad = 30;
	double max = 1, x, y, bw;
	size_t i;

	for (i = 0; i < r->ndurations; i++)
		if ((double)r->durations[i] > max)
			max = (double)r->durations[i];
	if ((double)r->slo_p95_ms > max)
		max = (double)r->slo_p95_ms;
	buf_addf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" "
	    "font-size=\"11\">\n<title>CI run durations</title>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	    w, h, w, h);
	bw = r->ndurations ? (w - 2 * pad) / (double)r->ndurations : 0;
	for (i = 0; i < r->ndurations; i++) {
		y = (double)r->durations[i] / max * (h - 2 * pad);
		x = pad + (double)i * bw;
		buf_addf(out,
		    "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
		    "height=\"%.2f\" fill=\"%s\"/>\n",
		    x, h - pad - y, bw > 1.5 ? bw - 0.5 : bw, y,
		    r->slo_p95_ms && r->durations[i] > r->slo_p95_ms
		        ? "#d73a49"
		        : "#0366d6");
	}
	if (r->slo_p95_ms) {
		y = h - pad - (double)r->slo_p95_ms / max * (h - 2 * pad);
		buf_addf(out,
		    "<line x1=\"%.0f\" y1=\"%.2f\" x2=\"%.0f\" "
		    "y2=\"%.2f\" stroke=\"#e36209\" stroke-dasharray=\"4 3\"/>\n"
		    "<text x=\"%.0f\" y=\"%.2f\">SLO P95 %.1f s</text>\n",
		    pad, y, w - pad, y, pad + 4, y - 4,
		    (double)r->slo_p95_ms / 1000.0);
	}
	buf_addf(out,
	    "<text x=\"%.0f\" y=\"%.0f\">%zu CI runs, max %.1f s"
	    "</text>\n</svg>\n",
	    pad, pad - 10, r->ndurations, max / 1000.0);
	return 0;
}
