#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/github.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * `self-heal remediate` for a workflow_run trigger (research §5, §10):
 * read the run, list its latest jobs, classify each failed job's log,
 * then re-run the failed jobs when every failure is transient, the run is
 * completed and run_attempt is below the limit; otherwise file or update
 * one deduplicated issue per failure the user asked issues for.
 *
 * Everything the API returns is untrusted (a fork's run can print
 * anything): strings are cut and cleaned before they reach the log, the
 * summary or an issue.
 */
#define MAX_JOBS 1000
#define MAX_ZIP ((size_t)256 << 20)

void
heal_remediate_result_release(struct heal_remediate_result *r)
{
	free(r->jobs);
	free(r->caches);
	memset(r, 0, sizeof(*r));
}

static void
copy_str(char *dst, size_t cap, const cJSON *obj, const char *key)
{
	const char *s = json_opt_str(obj, key);
	heal_evidence_copy(dst, cap, s ? s : "", s ? strlen(s) : 0);
}

static int64_t
get_id(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
	    v->valuedouble > 9007199254740992.0)
		return 0;
	return (int64_t)v->valuedouble;
}

static void
classify_text(struct heal_rules *rules, const char *job, const char *text,
    size_t len, struct heal_match *m)
{
	struct heal_scan s;

	heal_scan_init(&s, rules);
	s.job_name = job;
	heal_scan_feed(&s, text, len);
	heal_scan_result(&s, -1, 0, m);
	heal_scan_release(&s);
}

/* Compares a job name with a zip entry name ("3_build (linux).txt"):
 * GitHub sanitises some characters, so only letters and digits count. */
static bool
zip_name_matches(const char *entry, const char *job)
{
	const char *p = entry, *q = job;

	if (strchr(entry, '/'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != '_')
		return false;
	p++;
	for (;;) {
		while (*p &&
		       !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		           (*p >= '0' && *p <= '9')))
			p++;
		while (*q &&
		       !((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		           (*q >= '0' && *q <= '9')))
			q++;
		if (!strcmp(p, "txt") && !*q)
			return true;
		if (!*p || !*q || *p != *q)
			return false;
		p++;
		q++;
	}
}

struct zipcache {
	bool tried;
	struct buf data;
	struct heal_zip z;
};

static int
log_from_zip(struct github *gh, const struct heal_remediate_opts *o,
    long attempt, struct zipcache *zc, const char *job, struct buf *out)
{
	size_t i;

	if (!zc->tried) {
		char *path =
		    xasprintf("/repos/%s/actions/runs/%s/attempts/%ld/logs",
		        o->repo, o->run_id, attempt);
		zc->tried = true;
		if (github_get_raw(gh, path, MAX_ZIP, &zc->data, NULL) < 0 ||
		    heal_zip_list((const unsigned char *)zc->data.data,
		        zc->data.len, &zc->z) < 0) {
			free(path);
			return -1;
		}
		free(path);
	}
	for (i = 0; i < zc->z.nr; i++)
		if (zip_name_matches(zc->z.v[i].name, job))
			return heal_zip_extract(
			    (const unsigned char *)zc->data.data, zc->data.len,
			    &zc->z.v[i], o->max_log, out);
	return error_msg("log archive: no log for job '%s'", job);
}

static bool
failed(const char *conclusion)
{
	return !strcmp(conclusion, "failure") ||
	       !strcmp(conclusion, "timed_out");
}

static int
fetch_and_classify(struct github *gh, const struct heal_remediate_opts *o,
    struct heal_rules *rules, long attempt, struct zipcache *zc,
    struct heal_job_verdict *v)
{
	struct buf log = BUF_INIT(o->max_log + 1);
	char *path = xasprintf(
	    "/repos/%s/actions/jobs/%lld/logs", o->repo, (long long)v->id);
	long status = 0;

	v->log_ok = true;
	if (github_get_raw(gh, path, o->max_log, &log, &status) < 0) {
		buf_reset(&log);
		info_msg(
		    "job %lld: per-job log unavailable (HTTP %ld); trying the run's log archive",
		    (long long)v->id, status);
		if (log_from_zip(gh, o, attempt, zc, v->name, &log) < 0)
			v->log_ok = false;
	}
	free(path);
	if (v->log_ok) {
		classify_text(rules, v->name, log.data, log.len, &v->m);
	} else {
		memset(&v->m, 0, sizeof(v->m));
		heal_evidence_copy(v->m.evidence, sizeof(v->m.evidence),
		    "log unavailable", 15);
	}
	if (v->m.cls == HEAL_NONE) {
		v->m.cls = !strcmp(v->conclusion, "timed_out") ? HEAL_TIMEOUT
		                                               : HEAL_UNKNOWN;
		v->m.rule_id =
		    v->m.cls == HEAL_TIMEOUT ? "timed_out" : "unknown";
	}
	buf_release(&log);
	return 0;
}

static void
summary(const struct heal_remediate_opts *o,
    const struct heal_remediate_result *r, const char *run_name)
{
	struct buf md = BUF_INIT(GHA_SUMMARY_MAX);
	size_t i;

	(void)buf_addf(&md, "### self-heal remediate: run %s, attempt %ld\n\n",
	    o->run_id, r->run_attempt);
	(void)buf_adds(&md, "Workflow: ");
	(void)heal_md_code(&md, run_name);
	(void)buf_addf(&md, "\n\n**Decision: %s**%s — ", r->decision,
	    o->dry_run ? " (dry run)" : "");
	(void)heal_md_code(&md, r->reason);
	(void)buf_adds(&md,
	    "\n\n| job | conclusion | class | rule | line | evidence | issue / PR |\n"
	    "|---|---|---|---|---|---|---|\n");
	for (i = 0; i < r->njobs; i++) {
		const struct heal_job_verdict *v = &r->jobs[i];
		(void)buf_adds(&md, "| ");
		(void)heal_md_code(&md, v->name);
		(void)buf_addf(&md, " | %s | %s | %s | %ld | ", v->conclusion,
		    heal_class_name(v->m.cls),
		    v->m.rule_id ? v->m.rule_id : "-", v->m.line);
		(void)heal_md_code(&md, v->m.evidence);
		if (v->issue_action[0])
			(void)buf_addf(&md, " | %s #%ld |\n", v->issue_action,
			    v->issue_number);
		else
			(void)buf_adds(&md, " | |\n");
	}
	heal_caches_md(r, o->dry_run, &md);
	(void)gha_summary_append(md.data);
	buf_release(&md);
}

static int
file_issues(struct github *gh, const struct heal_remediate_opts *o,
    struct heal_remediate_result *r, const char *run_name, const char *sha,
    const char *html_url)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->njobs; i++) {
		struct heal_job_verdict *v = &r->jobs[i];
		struct buf body = BUF_INIT(1 << 16);
		char *key, *title;
		const char *action;

		if (!o->issue_on[v->m.cls])
			continue;
		if (v->m.cls == HEAL_DEPENDENCY && o->open_pr && v->m.rule_id &&
		    !strcmp(v->m.rule_id, "npm-eresolve")) {
			char *pkey =
			    xasprintf("dependency\nnpm-eresolve\n%s", run_name);
			int rc =
			    heal_dependency_pr(gh, o->repo, pkey, v->m.evidence,
			        o->dry_run, &v->issue_number, &action);
			free(pkey);
			if (rc == 0) {
				snprintf(v->issue_action,
				    sizeof(v->issue_action), "%s", action);
				continue;
			}
			warn_msg("no dependency PR; filing an issue instead");
		}
		key = xasprintf("%s\n%s\n%s\n%s", heal_class_name(v->m.cls),
		    v->m.rule_id ? v->m.rule_id : "-", run_name, v->name);
		title = xasprintf("self-heal: %s failure in %.60s / %.60s",
		    heal_class_name(v->m.cls), run_name, v->name);
		(void)buf_addf(&body,
		    "self-heal classified a failed job as **%s** (rule ",
		    heal_class_name(v->m.cls));
		(void)heal_md_code(&body, v->m.rule_id ? v->m.rule_id : "-");
		(void)buf_adds(&body, ").\n\n- job: ");
		(void)heal_md_code(&body, v->name);
		(void)buf_addf(&body,
		    "\n- run: %s (attempt %ld)\n- commit: ", o->run_id,
		    r->run_attempt);
		(void)heal_md_code(&body, sha);
		if (html_url[0]) {
			(void)buf_adds(&body, "\n- link: ");
			(void)heal_md_code(&body, html_url);
		}
		(void)buf_addf(
		    &body, "\n\nEvidence (log line %ld):\n\n", v->m.line);
		(void)heal_md_fence(&body, v->m.evidence);
		if (heal_issue_upsert(gh, o->repo, o->label, key, title,
		        body.data, o->dry_run, &v->issue_number, &action) < 0)
			ret = -1;
		else
			snprintf(v->issue_action, sizeof(v->issue_action), "%s",
			    action);
		buf_release(&body);
		free(key);
		free(title);
	}
	return ret;
}

int
heal_remediate(const struct heal_remediate_opts *o, struct github *gh,
    struct heal_rules *rules, struct heal_remediate_result *res)
{
	cJSON *run = NULL, *jobs = NULL;
	const cJSON *j;
	char *path = NULL;
	char run_name[128], status[32], conclusion[32], sha[48], html_url[256];
	struct zipcache zc;
	size_t nfailed = 0, ntransient = 0, i;
	int ret = -1;
	long http = 0;
	enum heal_class worst = HEAL_NONE, stopper = HEAL_NONE;

	memset(res, 0, sizeof(*res));
	memset(&zc, 0, sizeof(zc));
	buf_init(&zc.data, MAX_ZIP);
	res->decision = "none";
	if (heal_rules_compile(rules) < 0)
		goto out;
	path = xasprintf("/repos/%s/actions/runs/%s", o->repo, o->run_id);
	if (github_request(gh, "GET", path, NULL, &run, &http) < 0) {
		if (http == 404)
			error_msg(
			    "run '%s' not found in '%s' (deleted, or no access)",
			    o->run_id, o->repo);
		goto out;
	}
	if (!cJSON_IsObject(run)) {
		error_msg(
		    "run '%s': the API answered something that is not a run",
		    o->run_id);
		goto out;
	}
	copy_str(run_name, sizeof(run_name), run, "name");
	copy_str(status, sizeof(status), run, "status");
	copy_str(conclusion, sizeof(conclusion), run, "conclusion");
	copy_str(sha, sizeof(sha), run, "head_sha");
	copy_str(html_url, sizeof(html_url), run, "html_url");
	res->run_attempt = (long)get_id(run, "run_attempt");
	if (res->run_attempt < 1)
		res->run_attempt = 1;

	if (strcmp(status, "completed") != 0) {
		snprintf(res->reason, sizeof(res->reason),
		    "run is '%s', not completed: a re-run would be refused",
		    status);
		ret = 0;
		goto report;
	}
	if (!strcmp(conclusion, "success") || !strcmp(conclusion, "skipped") ||
	    !strcmp(conclusion, "cancelled")) {
		snprintf(res->reason, sizeof(res->reason),
		    "run concluded '%s': nothing to remediate", conclusion);
		ret = 0;
		goto report;
	}

	free(path);
	path = xasprintf(
	    "/repos/%s/actions/runs/%s/jobs?filter=latest", o->repo, o->run_id);
	if (github_get_all(gh, path, "jobs", MAX_JOBS, &jobs) < 0)
		goto out;
	res->jobs =
	    xcalloc((size_t)cJSON_GetArraySize(jobs) + 1, sizeof(*res->jobs));
	cJSON_ArrayForEach(j, jobs)
	{
		struct heal_job_verdict *v = &res->jobs[res->njobs];

		if (!cJSON_IsObject(j))
			continue;
		copy_str(v->conclusion, sizeof(v->conclusion), j, "conclusion");
		if (!failed(v->conclusion))
			continue;
		v->id = get_id(j, "id");
		copy_str(v->name, sizeof(v->name), j, "name");
		if (!v->id)
			continue;
		res->njobs++;
		(void)fetch_and_classify(
		    gh, o, rules, res->run_attempt, &zc, v);
	}
	for (i = 0; i < res->njobs; i++) {
		enum heal_class c = res->jobs[i].m.cls;
		nfailed++;
		if (heal_class_transient(c))
			ntransient++;
		if (heal_class_priority(c) > heal_class_priority(worst))
			worst = c;
		if (!heal_class_transient(c) &&
		    heal_class_priority(c) > heal_class_priority(stopper))
			stopper = c;
	}

	if (nfailed == 0) {
		snprintf(res->reason, sizeof(res->reason),
		    "no failed job in the latest attempt");
		ret = 0;
		goto report;
	}
	if (ntransient == nfailed) {
		if (res->run_attempt >= o->max_run_attempts) {
			snprintf(res->reason, sizeof(res->reason),
			    "loop guard: run attempt %ld reached the limit of %ld",
			    res->run_attempt, o->max_run_attempts);
			ret = 0;
			goto report;
		}
		res->decision = "rerun";
		snprintf(res->reason, sizeof(res->reason),
		    "all %zu failed job%s transient (%s); attempt %ld of %ld",
		    nfailed, nfailed == 1 ? " is" : "s are",
		    heal_class_name(worst), res->run_attempt,
		    o->max_run_attempts);
		for (i = 0; i < res->njobs; i++) {
			const struct heal_match *m = &res->jobs[i].m;
			if (m->cls == HEAL_RATE_LIMIT && m->have_wait &&
			    !o->dry_run) {
				int64_t w = m->wait_ms;
				if (w > o->max_wait_ms)
					w = o->max_wait_ms;
				info_msg(
				    "rate limited: waiting %lld ms before the re-run",
				    (long long)w);
				heal_sleep(w);
				break;
			}
		}
		for (i = 0; i < res->njobs; i++)
			if (res->jobs[i].m.cls == HEAL_CACHE_CORRUPT)
				break;
		/* a re-run would restore the same corrupt cache */
		if (i < res->njobs &&
		    heal_delete_run_caches(gh, o, run, res) < 0) {
			res->decision = "none";
			snprintf(res->reason, sizeof(res->reason),
			    "cache_corrupt: the run's caches could not be "
			    "deleted, so a re-run would fail the same way");
			goto report;
		}
		if (!o->dry_run) {
			cJSON *body = cJSON_CreateObject();
			cJSON_AddFalseToObject(body, "enable_debug_logging");
			free(path);
			path = xasprintf(
			    "/repos/%s/actions/runs/%s/rerun-failed-jobs",
			    o->repo, o->run_id);
			if (github_request(gh, "POST", path, body, NULL, NULL) <
			    0) {
				cJSON_Delete(body);
				goto out;
			}
			cJSON_Delete(body);
		}
		ret = 0;
		goto report;
	}
	snprintf(res->reason, sizeof(res->reason),
	    "%zu of %zu failed job%s not transient (%s): a re-run would fail again",
	    nfailed - ntransient, nfailed, nfailed == 1 ? " is" : "s are",
	    heal_class_name(stopper));
	ret = file_issues(gh, o, res, run_name, sha, html_url);
	for (i = 0; i < res->njobs; i++)
		if (res->jobs[i].issue_action[0])
			res->decision =
			    strncmp(res->jobs[i].issue_action, "pr-", 3)
			        ? "issue"
			        : "pr";

report:
	if (!o->json) {
		struct gha_untrusted u;
		fflush(stdout);
		gha_untrusted_begin(&u, stdout);
		for (i = 0; i < res->njobs; i++) {
			const struct heal_job_verdict *v = &res->jobs[i];
			printf(
			    "job %lld '%s': %s, class %s (rule '%s', line %ld): %s\n",
			    (long long)v->id, v->name, v->conclusion,
			    heal_class_name(v->m.cls),
			    v->m.rule_id ? v->m.rule_id : "-", v->m.line,
			    v->m.evidence);
			if (v->issue_action[0])
				printf("  %s #%ld%s\n", v->issue_action,
				    v->issue_number,
				    o->dry_run ? " (dry run)" : "");
		}
		for (i = 0; i < res->ncaches; i++)
			printf("cache %lld '%s' (%s): %s\n",
			    (long long)res->caches[i].id, res->caches[i].key,
			    res->cache_ref, res->caches[i].action);
		printf("decision: %s%s: %s\n", res->decision,
		    o->dry_run ? " (dry run)" : "", res->reason);
		gha_untrusted_end(&u, stdout);
		fflush(stdout);
	}
	summary(o, res, run_name);
out:
	cJSON_Delete(run);
	cJSON_Delete(jobs);
	free(path);
	buf_release(&zc.data);
	heal_zip_release(&zc.z);
	return ret;
}
