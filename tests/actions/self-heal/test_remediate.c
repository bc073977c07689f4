/*
 * `self-heal remediate` against the fake GitHub API (real libcurl over
 * loopback): re-run decision, pagination, loop guard, secondary rate
 * limit, deleted run, zip fallback, issue deduplication, hostile bodies,
 * missing token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <unistd.h>

#include "common/base64.h"
#include "common/github.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "fakeserver.h"
#include "heal.h"
#include "tmpdir.h"

static struct heal_rules rules;
static unsigned http_sleeps;
static unsigned errors;
static char last_error[512];

static void
no_sleep(int64_t ms)
{
	(void)ms;
	http_sleeps++;
}

static void
sink(enum log_level lvl, const char *msg, void *ctx)
{
	(void)ctx;
	if (lvl == LOG_ERROR) {
		errors++;
		snprintf(last_error, sizeof(last_error), "%s", msg);
	}
}

static int
setup(void **state)
{
	(void)state;
	memset(&rules, 0, sizeof(rules));
	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	http_set_sleep(no_sleep);
	unsetenv("GITHUB_ACTIONS");
	unsetenv("GITHUB_OUTPUT");
	unsetenv("GITHUB_STEP_SUMMARY");
	log_set_sink(sink, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	heal_rules_release(&rules);
	log_set_sink(NULL, NULL);
	return 0;
}

static char *
scenario(const char *name)
{
	const char *src = getenv("BULWARK_SRC");
	assert_non_null(src);
	return xasprintf("%s/tests/actions/self-heal/scenarios/%s", src, name);
}

static void
opts_default(struct heal_remediate_opts *o, const char *run_id)
{
	memset(o, 0, sizeof(*o));
	o->repo = "o/r";
	o->run_id = run_id;
	o->max_run_attempts = 3;
	o->label = "self-heal";
	o->max_log = 1 << 20;
	o->max_wait_ms = 1000;
	o->issue_on[HEAL_DETERMINISTIC] = true;
	o->issue_on[HEAL_FLAKY_TEST] = true;
	o->json = true; /* keep test output quiet */
}

/* Starts the server on `scen` (file path or, with is_json, the text),
 * runs remediate and hands back the request log. */
static int
remediate(const char *scen, bool is_json, struct heal_remediate_opts *o,
    struct heal_remediate_result *res, cJSON **reqs)
{
	struct fake_github srv;
	struct github gh = GITHUB_INIT;
	int rc;

	if (is_json)
		assert_int_equal(fake_github_start_json(&srv, scen), 0);
	else
		assert_int_equal(fake_github_start(&srv, scen), 0);
	setenv("GITHUB_API_URL", srv.url, 1);
	setenv("GITHUB_TOKEN", "ghs_test_token", 1);
	assert_int_equal(github_init(&gh), 0);
	rc = heal_remediate(o, &gh, &rules, res);
	assert_int_equal(fake_github_requests(&srv, reqs), 0);
	github_release(&gh);
	fake_github_stop(&srv);
	return rc;
}

static int
count_req(const cJSON *reqs, const char *method, const char *path)
{
	const cJSON *r;
	int n = 0;
	cJSON_ArrayForEach(r, reqs)
	{
		const char *m = json_opt_str(r, "method");
		const char *p = json_opt_str(r, "path");
		if (m && p && !strcmp(m, method) && !strcmp(p, path))
			n++;
	}
	return n;
}

static const cJSON *
find_req(const cJSON *reqs, const char *method, const char *path)
{
	const cJSON *r;
	cJSON_ArrayForEach(r, reqs)
	{
		const char *m = json_opt_str(r, "method");
		const char *p = json_opt_str(r, "path");
		if (m && p && !strcmp(m, method) && !strcmp(p, path))
			return r;
	}
	return NULL;
}

static void
test_network_rerun(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("network.json");
	const cJSON *blob, *hdrs;
	(void)state;
	opts_default(&o, "100");
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(res.njobs, 1);
	assert_string_equal(res.jobs[0].name, "build");
	assert_int_equal(res.jobs[0].m.cls, HEAL_NETWORK);
	/* both pages of jobs were read */
	assert_int_equal(
	    count_req(reqs, "GET", "/repos/o/r/actions/runs/100/jobs"), 2);
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/100/rerun-failed-jobs"),
	    1);
	/* the log came through the 302, and the storage URL never sees
	 * the token that the API request carried */
	blob = find_req(reqs, "GET", "/repos/o/r/actions/jobs/12/logs");
	assert_non_null(blob);
	hdrs = cJSON_GetObjectItem(blob, "headers");
	assert_non_null(cJSON_GetObjectItem(hdrs, "authorization"));
	blob = find_req(reqs, "GET", "/blobs/job-12.txt");
	assert_non_null(blob);
	hdrs = cJSON_GetObjectItem(blob, "headers");
	assert_non_null(hdrs);
	assert_null(cJSON_GetObjectItem(hdrs, "authorization"));
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_dry_run_changes_nothing(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("network.json");
	(void)state;
	opts_default(&o, "100");
	o.dry_run = true;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/100/rerun-failed-jobs"),
	    0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_loop_guard(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("loop_guard.json");
	(void)state;
	opts_default(&o, "101");
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "none");
	assert_non_null(strstr(res.reason, "loop guard"));
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/101/rerun-failed-jobs"),
	    0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	/* a higher limit lets attempt 3 re-run */
	opts_default(&o, "101");
	o.max_run_attempts = 4;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/101/rerun-failed-jobs"),
	    1);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_secondary_rate_limit(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("secondary_rate_limit.json");
	(void)state;
	opts_default(&o, "300");
	http_sleeps = 0;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(
	    count_req(reqs, "GET", "/repos/o/r/actions/runs/300"), 2);
	assert_true(http_sleeps >= 1);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_deleted_run(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("deleted_run.json");
	(void)state;
	opts_default(&o, "404");
	errors = 0;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), -1);
	assert_true(errors >= 1);
	assert_non_null(strstr(last_error, "not found"));
	assert_int_equal(
	    count_req(reqs, "GET", "/repos/o/r/actions/runs/404"), 1);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_zip_fallback(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("zip_fallback.json");
	(void)state;
	opts_default(&o, "500");
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_int_equal(res.njobs, 1);
	assert_true(res.jobs[0].log_ok);
	assert_int_equal(res.jobs[0].m.cls, HEAL_NETWORK);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(count_req(reqs, "GET", "/blobs/run-500.zip"), 1);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_issue_dedup(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL, *scen, *routes, *r, *list;
	const cJSON *post;
	char *s = scenario("issue_first.json"), *marker, *end, *text;
	cJSON *body = NULL;
	(void)state;

	/* first run: no issue yet -> one created, with a hidden marker */
	opts_default(&o, "200");
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "issue");
	assert_string_equal(res.jobs[0].issue_action, "created");
	assert_int_equal(res.jobs[0].issue_number, 5);
	assert_int_equal(count_req(reqs, "POST", "/repos/o/r/issues"), 1);
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/200/rerun-failed-jobs"),
	    0);
	post = find_req(reqs, "POST", "/repos/o/r/issues");
	assert_int_equal(json_parse(json_opt_str(post, "body"),
	                     strlen(json_opt_str(post, "body")), "body", &body),
	    0);
	assert_non_null(strstr(json_opt_str(body, "title"), "deterministic"));
	assert_string_equal(
	    cJSON_GetArrayItem(cJSON_GetObjectItem(body, "labels"), 0)
	        ->valuestring,
	    "self-heal");
	marker = strstr(json_opt_str(body, "body"), "<!-- self-heal:");
	assert_non_null(marker);
	end = strstr(marker, "-->");
	assert_non_null(end);
	marker = xstrndup(marker, (size_t)(end + 3 - marker));
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);

	/* second run: the listing (after a PR carrying the same marker)
	 * shows the issue -> a comment, no second issue */
	text = tmpdir_read(s, NULL);
	assert_int_equal(json_parse(text, strlen(text), "scenario", &scen), 0);
	routes = cJSON_GetObjectItem(scen, "routes");
	cJSON_ArrayForEach(r, routes)
	{
		if (!strcmp(json_opt_str(r, "path"), "/repos/o/r/issues") &&
		    !strcmp(json_opt_str(r, "method"), "GET")) {
			cJSON *resp = cJSON_GetArrayItem(
			    cJSON_GetObjectItem(r, "responses"), 0);
			cJSON *pr = cJSON_CreateObject(),
			      *is = cJSON_CreateObject();
			char *b = xasprintf("earlier text\n\n%s\n", marker);
			list = cJSON_CreateArray();
			cJSON_AddNumberToObject(pr, "number", 4);
			cJSON_AddObjectToObject(pr, "pull_request");
			cJSON_AddStringToObject(pr, "body", marker);
			cJSON_AddNumberToObject(is, "number", 5);
			cJSON_AddStringToObject(is, "state", "closed");
			cJSON_AddStringToObject(is, "body", b);
			cJSON_AddItemToArray(list, pr);
			cJSON_AddItemToArray(list, is);
			cJSON_ReplaceItemInObject(resp, "json", list);
			free(b);
		}
	}
	{
		cJSON *c = cJSON_CreateObject(), *resps = cJSON_CreateArray(),
		      *rr = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "method", "POST");
		cJSON_AddStringToObject(
		    c, "path", "/repos/o/r/issues/5/comments");
		cJSON_AddNumberToObject(rr, "status", 201);
		cJSON_AddObjectToObject(rr, "json");
		cJSON_AddItemToArray(resps, rr);
		cJSON_AddItemToObject(c, "responses", resps);
		cJSON_AddItemToArray(routes, c);
	}
	free(text);
	text = json_print(scen);
	opts_default(&o, "200");
	assert_int_equal(remediate(text, true, &o, &res, &reqs), 0);
	assert_string_equal(res.jobs[0].issue_action, "commented");
	assert_int_equal(res.jobs[0].issue_number, 5);
	assert_int_equal(count_req(reqs, "POST", "/repos/o/r/issues"), 0);
	assert_int_equal(
	    count_req(reqs, "POST", "/repos/o/r/issues/5/comments"), 1);
	assert_int_equal(
	    count_req(reqs, "POST", "/repos/o/r/issues/4/comments"), 0);
	/* the listing does not rely on search */
	assert_int_equal(count_req(reqs, "GET", "/search/issues"), 0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	cJSON_Delete(scen);
	cJSON_Delete(body);
	free(text);
	free(marker);
	free(s);
}

static void
test_dependency_pr(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL, *put = NULL, *pr = NULL;
	const cJSON *r;
	struct buf npmrc = BUF_INIT(0);
	char *s = scenario("dependency_pr.json");
	const char *c;
	(void)state;
	opts_default(&o, "700");
	o.issue_on[HEAL_DEPENDENCY] = true;
	o.open_pr = true;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "pr");
	assert_string_equal(res.jobs[0].issue_action, "pr-created");
	assert_int_equal(res.jobs[0].issue_number, 17);
	/* branch from main's sha, .npmrc keeps its line and gains the fix */
	r = find_req(reqs, "POST", "/repos/o/r/git/refs");
	assert_non_null(r);
	assert_non_null(strstr(
	    json_opt_str(r, "body"), "refs/heads/self-heal/dependency/"));
	r = find_req(reqs, "PUT", "/repos/o/r/contents/.npmrc");
	assert_non_null(r);
	c = json_opt_str(r, "body");
	assert_int_equal(json_parse(c, strlen(c), "put", &put), 0);
	assert_string_equal(json_opt_str(put, "sha"),
	    "3d21ec53a331a6f037a91c368710b99387d012c1");
	c = json_opt_str(put, "content");
	assert_int_equal(base64_decode(&npmrc, c, strlen(c)), 0);
	assert_string_equal(npmrc.data,
	    "registry=https://registry.npmjs.org/\nlegacy-peer-deps=true\n");
	r = find_req(reqs, "POST", "/repos/o/r/pulls");
	c = json_opt_str(r, "body");
	assert_int_equal(json_parse(c, strlen(c), "pr", &pr), 0);
	assert_string_equal(json_opt_str(pr, "base"), "main");
	assert_non_null(
	    strstr(json_opt_str(pr, "head"), "self-heal/dependency/"));
	/* no issue when the PR worked */
	assert_int_equal(count_req(reqs, "POST", "/repos/o/r/issues"), 0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	cJSON_Delete(put);
	cJSON_Delete(pr);
	buf_release(&npmrc);
	free(s);
}

/* Parses $GITHUB_OUTPUT as the runner does; returns the entry count or
 * -1 if malformed. */
static int
output_entries(const char *text, char names[][32], int max)
{
	const char *p = text;
	int n = 0;
	while (*p) {
		const char *nl = strchr(p, '\n'), *hd;
		char delim[128];
		size_t len;
		if (!nl)
			return -1;
		hd = strstr(p, "<<");
		if (!hd || hd > nl || (size_t)(nl - hd - 2) >= sizeof(delim))
			return -1;
		len = (size_t)(nl - hd - 2);
		memcpy(delim, hd + 2, len);
		delim[len] = 0;
		if (n < max)
			snprintf(names[n], 32, "%.*s", (int)(hd - p), p);
		n++;
		p = nl + 1;
		for (;;) {
			nl = strchr(p, '\n');
			if (!nl)
				return -1;
			if ((size_t)(nl - p) == len && !memcmp(p, delim, len)) {
				p = nl + 1;
				break;
			}
			p = nl + 1;
		}
	}
	return n;
}

static void
test_hostile_bodies(void **state)
{
	struct fake_runner fr;
	struct fake_github srv;
	struct stdout_capture cap;
	char *s = scenario("hostile.json"), *out, *file, *line, *save = NULL;
	char names[8][32];
	char token_line[80] = "";
	char *argv[] = { "remediate", "--repo", "o/r", "--run-id", "600",
		NULL };
	bool inside = false, ended = false;
	int rc;
	(void)state;

	fake_runner_begin(&fr);
	assert_int_equal(fake_github_start(&srv, s), 0);
	setenv("GITHUB_API_URL", srv.url, 1);
	setenv("GITHUB_TOKEN", "ghs_test_token", 1);
	stdout_capture_begin(&cap);
	rc = heal_cmd_remediate(5, argv);
	out = stdout_capture_end(&cap);
	fake_github_stop(&srv);
	assert_int_equal(rc, 0);

	/* every line we printed sits inside one stop-commands block */
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!inside && !ended &&
		    !strncmp(line, "::stop-commands::", 17)) {
			snprintf(token_line, sizeof(token_line),
			    "::%s::", line + 17);
			inside = true;
			continue;
		}
		if (inside && !strcmp(line, token_line)) {
			inside = false;
			ended = true;
			continue;
		}
		/* github_init masks the token: the one legitimate command */
		if (!strcmp(line, "::add-mask::ghs_test_token"))
			continue;
		/* any other command outside the block: injected */
		if (!inside)
			assert_true(strncmp(line, "::", 2) != 0 &&
			            strncmp(line, "##[", 3) != 0);
	}
	assert_true(ended);

	/* outputs: exactly our two entries, well formed */
	file = tmpdir_read(fr.output, NULL);
	assert_non_null(file);
	assert_int_equal(output_entries(file, names, 8), 2);
	assert_string_equal(names[0], "decision");
	assert_string_equal(names[1], "reason");
	free(file);
	free(out);
	fake_runner_end(&fr);
	free(s);
}

/* The scenario with the DELETE of cache `id` answered by `status`. */
static char *
cache_scenario_with(const char *path, int id, int status, const char *msg)
{
	char *text = tmpdir_read(path, NULL), *out, *want;
	cJSON *scen = NULL, *r;

	assert_int_equal(json_parse(text, strlen(text), "scenario", &scen), 0);
	want = xasprintf("/repos/o/r/actions/caches/%d", id);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(scen, "routes"))
	{
		cJSON *resp;
		if (strcmp(json_opt_str(r, "path"), want) != 0)
			continue;
		resp =
		    cJSON_GetArrayItem(cJSON_GetObjectItem(r, "responses"), 0);
		cJSON_DeleteItemFromObject(resp, "text");
		cJSON_ReplaceItemInObject(
		    resp, "status", cJSON_CreateNumber(status));
		cJSON_AddItemToObject(resp, "json", cJSON_CreateObject());
		cJSON_AddStringToObject(
		    cJSON_GetObjectItem(resp, "json"), "message", msg);
	}
	out = json_print(scen);
	cJSON_Delete(scen);
	free(want);
	free(text);
	return out;
}

static void
test_cache_corrupt_deletes_caches(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	const cJSON *list, *r;
	char *s = scenario("cache_corrupt.json");
	int posts = 0, deletes = 0;
	bool seen_rerun = false;
	(void)state;
	opts_default(&o, "600");
	errors = 0;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_int_equal(errors, 0); /* the 404 is not an error */
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(res.jobs[0].m.cls, HEAL_CACHE_CORRUPT);
	assert_string_equal(res.cache_ref, "refs/heads/main");
	/* both pages listed, with the head ref */
	list = find_req(reqs, "GET", "/repos/o/r/actions/caches");
	assert_non_null(list);
	assert_string_equal(
	    json_opt_str(cJSON_GetObjectItem(list, "query"), "ref"),
	    "refs/heads/main");
	assert_int_equal(
	    count_req(reqs, "GET", "/repos/o/r/actions/caches"), 2);
	assert_int_equal(res.ncaches, 3);
	assert_int_equal(res.caches[0].id, 7001);
	assert_string_equal(res.caches[0].action, "deleted");
	assert_string_equal(res.caches[1].action, "already-gone");
	assert_string_equal(res.caches[2].action, "deleted");
	assert_string_equal(res.caches[2].key, "node-cache-Linux-x64-npm-3");
	/* every delete before the re-run, with the token */
	cJSON_ArrayForEach(r, reqs)
	{
		const char *m = json_opt_str(r, "method");
		if (!strcmp(m, "DELETE")) {
			assert_false(seen_rerun);
			assert_non_null(cJSON_GetObjectItem(
			    cJSON_GetObjectItem(r, "headers"),
			    "authorization"));
			deletes++;
		} else if (!strcmp(m, "POST")) {
			seen_rerun = true;
			posts++;
		}
	}
	assert_int_equal(deletes, 3);
	assert_int_equal(posts, 1);
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/600/rerun-failed-jobs"),
	    1);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_cache_corrupt_dry_run(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	const cJSON *r;
	char *s = scenario("cache_corrupt.json");
	(void)state;
	opts_default(&o, "600");
	o.dry_run = true;
	assert_int_equal(remediate(s, false, &o, &res, &reqs), 0);
	assert_string_equal(res.decision, "rerun");
	assert_int_equal(res.ncaches, 3);
	assert_string_equal(res.caches[1].action, "would-delete");
	cJSON_ArrayForEach(r, reqs)
	{
		assert_string_not_equal(json_opt_str(r, "method"), "DELETE");
		assert_string_not_equal(json_opt_str(r, "method"), "POST");
	}
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(s);
}

static void
test_cache_corrupt_forbidden(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL;
	char *s = scenario("cache_corrupt.json");
	char *scen = cache_scenario_with(
	    s, 7001, 403, "Resource not accessible by integration");
	(void)state;
	opts_default(&o, "600");
	errors = 0;
	last_error[0] = '\0';
	assert_int_equal(remediate(scen, true, &o, &res, &reqs), -1);
	assert_true(errors >= 1);
	assert_non_null(strstr(last_error, "7001"));
	assert_non_null(strstr(last_error, "403"));
	assert_non_null(strstr(last_error, "actions: write"));
	assert_non_null(
	    strstr(last_error, "Resource not accessible by integration"));
	assert_string_equal(res.decision, "none");
	assert_int_equal(count_req(reqs, "POST",
	                     "/repos/o/r/actions/runs/600/rerun-failed-jobs"),
	    0);
	/* stopped at the first refusal */
	assert_int_equal(
	    count_req(reqs, "DELETE", "/repos/o/r/actions/caches/7002"), 0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	free(scen);
	free(s);
}

static void
test_cache_corrupt_pull_request_ref(void **state)
{
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	cJSON *reqs = NULL, *scen = NULL, *r;
	char *s = scenario("cache_corrupt.json"), *text;
	(void)state;
	text = tmpdir_read(s, NULL);
	assert_int_equal(json_parse(text, strlen(text), "scenario", &scen), 0);
	free(text);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(scen, "routes"))
	{
		cJSON *run, *q = cJSON_GetObjectItem(r, "query");
		if (q && !cJSON_GetObjectItem(q, "page"))
			cJSON_ReplaceItemInObject(
			    q, "ref", cJSON_CreateString("refs/pull/42/merge"));
		if (strcmp(
		        json_opt_str(r, "path"), "/repos/o/r/actions/runs/600"))
			continue;
		run = cJSON_GetObjectItem(
		    cJSON_GetArrayItem(cJSON_GetObjectItem(r, "responses"), 0),
		    "json");
		cJSON_ReplaceItemInObject(
		    run, "event", cJSON_CreateString("pull_request"));
		cJSON_ReplaceItemInObject(
		    run, "head_branch", cJSON_CreateString("feature/a&b"));
		cJSON_AddItemToArray(cJSON_GetObjectItem(run, "pull_requests"),
		    cJSON_Parse("{\"number\": 42}"));
	}
	text = json_print(scen);
	opts_default(&o, "600");
	o.dry_run = true;
	assert_int_equal(remediate(text, true, &o, &res, &reqs), 0);
	assert_string_equal(res.cache_ref, "refs/pull/42/merge");
	assert_string_equal(
	    json_opt_str(cJSON_GetObjectItem(
	                     find_req(reqs, "GET", "/repos/o/r/actions/caches"),
	                     "query"),
	        "ref"),
	    "refs/pull/42/merge");
	/* the listed caches are for refs/heads/main: none is touched */
	assert_int_equal(res.ncaches, 0);
	heal_remediate_result_release(&res);
	cJSON_Delete(reqs);
	cJSON_Delete(scen);
	free(text);
	free(s);
}

/* The command as the action runs it: --json carries the caches, the step
 * summary lists them, and --dry-run deletes nothing. */
static void
test_cache_corrupt_cli_json(void **state)
{
	struct fake_github srv;
	char *s = scenario("cache_corrupt.json");
	char *dir = tmpdir_make(), *out = tmpdir_path(dir, "out.json");
	/* the runner creates the file; gha appends to it */
	char *sum = tmpdir_write(dir, "summary.md", ""), *text, *md, *json;
	char *av[] = { "remediate", "--repo", "o/r", "--run-id", "600",
		"--dry-run", "--json", NULL };
	const cJSON *caches, *items;
	cJSON *doc = NULL, *reqs = NULL, *r;
	int saved, fd, rc;
	(void)state;

	assert_int_equal(fake_github_start(&srv, s), 0);
	setenv("GITHUB_API_URL", srv.url, 1);
	setenv("GITHUB_TOKEN", "ghs_test_token", 1);
	setenv("GITHUB_STEP_SUMMARY", sum, 1);
	setenv("GITHUB_ACTIONS", "true", 1); /* the summary is written */
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 1), 1);
	rc = heal_cmd_remediate(7, av);
	fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	close(fd);
	unsetenv("GITHUB_STEP_SUMMARY");
	unsetenv("GITHUB_ACTIONS");
	assert_int_equal(rc, 0);
	assert_int_equal(fake_github_requests(&srv, &reqs), 0);
	fake_github_stop(&srv);
	cJSON_ArrayForEach(r, reqs)
	{
		assert_string_not_equal(json_opt_str(r, "method"), "DELETE");
	}

	text = tmpdir_read(out, NULL);
	assert_non_null(text);
	/* inside Actions the token's ::add-mask:: line comes first */
	json = text[0] == '{' ? text : strstr(text, "\n{");
	assert_non_null(json);
	json += json[0] == '\n';
	assert_int_equal(json_parse(json, strlen(json), "out", &doc), 0);
	assert_string_equal(json_opt_str(doc, "decision"), "rerun");
	caches = cJSON_GetObjectItem(doc, "caches");
	assert_string_equal(json_opt_str(caches, "ref"), "refs/heads/main");
	items = cJSON_GetObjectItem(caches, "items");
	assert_int_equal(cJSON_GetArraySize(items), 3);
	assert_string_equal(
	    json_opt_str(cJSON_GetArrayItem(items, 2), "action"),
	    "would-delete");
	md = tmpdir_read(sum, NULL);
	assert_non_null(md);
	assert_non_null(strstr(md, "that would be deleted: 3 (6.0 MiB)"));
	assert_non_null(strstr(md, "node-cache-Linux-x64-npm-2"));
	cJSON_Delete(doc);
	cJSON_Delete(reqs);
	free(md);
	free(text);
	free(sum);
	free(out);
	tmpdir_remove(dir);
	free(dir);
	free(s);
}

static void
test_missing_token(void **state)
{
	char *argv[] = { "remediate", "--repo", "o/r", "--run-id", "1", NULL };
	(void)state;
	unsetenv("GITHUB_TOKEN");
	unsetenv("GH_TOKEN");
	errors = 0;
	assert_int_equal(heal_cmd_remediate(5, argv), 2);
	assert_int_equal(errors, 1);
	assert_non_null(strstr(last_error, "token"));
}

static void
test_bad_arguments(void **state)
{
	char *a1[] = { "remediate", "--repo", "o/r/x", "--run-id", "1", NULL };
	char *a2[] = { "remediate", "--repo", "o/r", "--run-id", "1;rm", NULL };
	(void)state;
	setenv("GITHUB_TOKEN", "t", 1);
	assert_int_equal(heal_cmd_remediate(5, a1), 2);
	assert_int_equal(heal_cmd_remediate(5, a2), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_network_rerun),
		cmocka_unit_test(test_dry_run_changes_nothing),
		cmocka_unit_test(test_loop_guard),
		cmocka_unit_test(test_secondary_rate_limit),
		cmocka_unit_test(test_deleted_run),
		cmocka_unit_test(test_zip_fallback),
		cmocka_unit_test(test_issue_dedup),
		cmocka_unit_test(test_dependency_pr),
		cmocka_unit_test(test_hostile_bodies),
		cmocka_unit_test(test_cache_corrupt_deletes_caches),
		cmocka_unit_test(test_cache_corrupt_dry_run),
		cmocka_unit_test(test_cache_corrupt_forbidden),
		cmocka_unit_test(test_cache_corrupt_pull_request_ref),
		cmocka_unit_test(test_cache_corrupt_cli_json),
		cmocka_unit_test(test_missing_token),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
