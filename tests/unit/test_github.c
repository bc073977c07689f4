/*
 * github against the loopback fake GitHub server (real libcurl), plus the
 * Link header parser.
 */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/github.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "fakeserver.h"

static struct buf logged = BUF_INIT(0);

static void
capture(enum log_level lvl, const char *msg, void *ctx)
{
	(void)lvl;
	(void)ctx;
	buf_addf(&logged, "%s\n", msg);
}

static void
no_sleep(int64_t ms)
{
	(void)ms;
}

static int
setup(void **state)
{
	(void)state;
	buf_reset(&logged);
	log_set_sink(capture, NULL);
	http_set_sleep(no_sleep);
	unsetenv("GITHUB_TOKEN");
	unsetenv("GH_TOKEN");
	unsetenv("GITHUB_API_URL");
	unsetenv("GITHUB_REPOSITORY");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_set_sink(NULL, NULL);
	http_set_sleep(NULL);
	return 0;
}

/* A server plus a client whose GITHUB_API_URL is the server + prefix. */
static void
start(struct fake_github *srv, struct github *gh, const char *scenario,
    const char *prefix)
{
	char api[256];

	assert_int_equal(fake_github_start_json(srv, scenario), 0);
	snprintf(api, sizeof(api), "%s%s/", srv->url, prefix);
	setenv("GITHUB_API_URL", api, 1);
	setenv("GITHUB_TOKEN", "ghs_fakeToken123", 1);
	assert_int_equal(github_init(gh), 0);
}

static const char *
req_header(cJSON *log, int i, const char *name)
{
	cJSON *h = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(log, i), "headers"), name);

	return cJSON_IsString(h) ? h->valuestring : NULL;
}

static const char *
req_field(cJSON *log, int i, const char *name)
{
	cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(log, i), name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
check_next(const char *link, const char *want)
{
	char *got = github_link_next(link);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_link_next(void **state)
{
	(void)state;
	check_next("<https://api.github.com/repositories/1/issues?page=2>; "
	           "rel=\"next\", <https://api.github.com/repositories/1/"
	           "issues?page=5>; rel=\"last\"",
	    "https://api.github.com/repositories/1/issues?page=2");
	check_next("<https://x/?page=1>; rel=\"prev\", <https://x/?page=3>; "
	           "rel=\"next\"",
	    "https://x/?page=3");
	check_next("<https://x/a,b>; rel=next", "https://x/a,b");
	check_next("<https://x/1>;rel=\"prev next\"", "https://x/1");
	check_next("<https://x/1> ; REL = \"NEXT\"", "https://x/1");
	check_next("<https://x/1>; title=\"a, \\\"rel=next\\\"\"; rel=last, "
	           "<https://x/2>; rel=\"next\"",
	    "https://x/2");
	check_next("junk, <https://x/2>; rel=\"next\"", "https://x/2");
	check_next("<https://x/1>; rel=\"last\"", NULL);
	check_next("<https://x/1>; rel=\"nextpage\"", NULL);
	check_next("<https://x/1; rel=\"next\"", NULL);
	check_next("<https://x/a b>; rel=\"next\"", NULL);
	check_next("<>; rel=\"next\"", NULL);
	check_next("", NULL);
	check_next("rel=\"next\"", NULL);
	check_next("<https://x/1>; rel=\"", NULL);
}

static void
test_init_env(void **state)
{
	struct github gh = GITHUB_INIT;

	(void)state;
	setenv("GH_TOKEN", "gh-token", 1);
	assert_int_equal(github_init(&gh), 0);
	assert_string_equal(gh.api_url, "https://api.github.com");
	assert_string_equal(gh.token, "gh-token");
	assert_null(gh.repo);
	github_release(&gh);

	setenv("GITHUB_TOKEN", "actions-token", 1);
	setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3//", 1);
	setenv("GITHUB_REPOSITORY", "o/r", 1);
	assert_int_equal(github_init(&gh), 0);
	assert_string_equal(gh.token, "actions-token");
	assert_string_equal(gh.api_url, "https://ghe.example.com/api/v3");
	assert_string_equal(gh.repo, "o/r");
	assert_int_equal(github_require_token(&gh), 0);
	github_release(&gh);

	unsetenv("GITHUB_TOKEN");
	unsetenv("GH_TOKEN");
	setenv("GITHUB_API_URL", "ftp://nope", 1);
	assert_int_equal(github_init(&gh), -1);
	github_release(&gh);
	unsetenv("GITHUB_API_URL");
	assert_int_equal(github_init(&gh), 0);
	assert_null(gh.token);
	assert_int_equal(github_require_token(&gh), -1);
	assert_non_null(strstr(logged.data, "GITHUB_TOKEN"));
	github_release(&gh);
}

/* GHES: everything lives under /api/v3; headers as GitHub documents. */
static void
test_request_ghes(void **state)
{
	struct fake_github srv;
	struct github gh;
	cJSON *out, *log, *body;
	long status;

	(void)state;
	start(&srv, &gh,
	    "{\"routes\":[{\"method\":\"POST\",\"path\":\"/api/v3/repos/o/r/"
	    "issues\",\"responses\":[{\"status\":201,\"json\":{\"number\":"
	    "42}}]},{\"method\":\"POST\",\"path\":\"/api/v3/repos/o/r/"
	    "actions/runs/7/rerun-failed-jobs\",\"responses\":[{\"status\":"
	    "201,\"text\":\"\"}]}]}",
	    "/api/v3");
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "title", "flaky: t1");
	assert_int_equal(github_request(&gh, "POST", "/repos/o/r/issues", body,
	                     &out, &status),
	    0);
	assert_int_equal(status, 201);
	assert_int_equal(cJSON_GetObjectItem(out, "number")->valueint, 42);
	cJSON_Delete(out);
	cJSON_Delete(body);
	/* An empty 201 gives no JSON, and is fine. */
	assert_int_equal(github_request(&gh, "POST",
	                     "/repos/o/r/actions/runs/7/rerun-failed-jobs",
	                     NULL, &out, &status),
	    0);
	assert_null(out);

	assert_int_equal(fake_github_requests(&srv, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 2);
	assert_string_equal(
	    req_field(log, 0, "path"), "/api/v3/repos/o/r/issues");
	assert_string_equal(
	    req_field(log, 0, "body"), "{\"title\":\"flaky: t1\"}");
	assert_string_equal(
	    req_header(log, 0, "authorization"), "Bearer ghs_fakeToken123");
	assert_string_equal(
	    req_header(log, 0, "accept"), "application/vnd.github+json");
	assert_string_equal(
	    req_header(log, 0, "x-github-api-version"), "2022-11-28");
	assert_string_equal(
	    req_header(log, 0, "content-type"), "application/json");
	assert_non_null(req_header(log, 0, "user-agent"));
	cJSON_Delete(log);
	github_release(&gh);
	fake_github_stop(&srv);
}

static void
test_pagination(void **state)
{
	struct fake_github srv;
	struct github gh;
	cJSON *out, *log;
	int i;

	(void)state;
	start(&srv, &gh,
	    "{\"routes\":["
	    "{\"path\":\"/repos/o/r/actions/runs/7/jobs\",\"query\":{\"page\":"
	    "\"2\"},\"responses\":[{\"status\":200,\"headers\":{\"Link\":"
	    "\"<{base}/repos/o/r/actions/runs/7/jobs?per_page=100&page=3>; "
	    "rel=\\\"next\\\", <{base}/repos/o/r/actions/runs/7/jobs?"
	    "per_page=100&page=1>; rel=\\\"first\\\"\"},"
	    "\"json\":{\"total_count\":5,\"jobs\":[{\"id\":3},{\"id\":4}]}}]},"
	    "{\"path\":\"/repos/o/r/actions/runs/7/jobs\",\"query\":{\"page\":"
	    "\"3\"},\"responses\":[{\"status\":200,"
	    "\"json\":{\"total_count\":5,\"jobs\":[{\"id\":5}]}}]},"
	    "{\"path\":\"/repos/o/r/actions/runs/7/jobs\",\"responses\":["
	    "{\"status\":200,\"headers\":{\"Link\":"
	    "\"<{base}/repos/o/r/actions/runs/7/jobs?per_page=100&page=2>; "
	    "rel=\\\"next\\\"\"},"
	    "\"json\":{\"total_count\":5,\"jobs\":[{\"id\":1},{\"id\":2}]}}]},"
	    "{\"path\":\"/repos/o/r/issues\",\"responses\":[{\"status\":200,"
	    "\"json\":[{\"number\":1},{\"number\":2}]}]}"
	    "]}",
	    "");
	assert_int_equal(github_get_all(&gh, "/repos/o/r/actions/runs/7/jobs",
	                     "jobs", 100, &out),
	    0);
	assert_int_equal(cJSON_GetArraySize(out), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(
		    cJSON_GetObjectItem(cJSON_GetArrayItem(out, i), "id")
		        ->valueint,
		    i + 1);
	cJSON_Delete(out);
	assert_int_equal(fake_github_requests(&srv, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 3);
	assert_string_equal(req_field(log, 0, "target"),
	    "/repos/o/r/actions/runs/7/jobs?per_page=100");
	assert_string_equal(
	    req_header(log, 2, "authorization"), "Bearer ghs_fakeToken123");
	cJSON_Delete(log);

	/* The item cap stops the walk with an error. */
	assert_int_equal(github_get_all(&gh, "/repos/o/r/actions/runs/7/jobs",
	                     "jobs", 3, &out),
	    -1);
	assert_null(out);
	assert_non_null(strstr(logged.data, "more than 3 items"));

	/* A top-level array needs no key. */
	assert_int_equal(
	    github_get_all(&gh, "/repos/o/r/issues?state=all", NULL, 0, &out),
	    0);
	assert_int_equal(cJSON_GetArraySize(out), 2);
	cJSON_Delete(out);
	github_release(&gh);
	fake_github_stop(&srv);
}

static void
test_error_line(void **state)
{
	struct fake_github srv;
	struct github gh;
	cJSON *out;
	long status;

	(void)state;
	start(&srv, &gh, "{\"routes\":[]}", "");
	assert_int_equal(
	    github_request(&gh, "GET", "/repos/o/r/x", NULL, &out, &status),
	    -1);
	assert_int_equal(status, 404);
	assert_null(out);
	assert_string_equal(
	    logged.data, "GET /repos/o/r/x: 404 Not Found: Not Found\n");
	github_release(&gh);
	fake_github_stop(&srv);
}

static void
test_hostile_error_sanitised(void **state)
{
	struct fake_github srv;
	struct github gh;
	struct buf scenario = BUF_INIT(0);
	const char *nl;
	long status;
	int i;

	(void)state;
	buf_adds(&scenario,
	    "{\"routes\":[{\"method\":\"POST\",\"path\":\"/repos/o/r/issues\","
	    "\"responses\":[{\"status\":422,\"json\":{\"message\":"
	    "\"Validation Failed\\n::error::pwned\\r\\n##[set-output "
	    "name=x;]y\\u001b[31m\",\"errors\":[{\"code\":\"invalid\\n"
	    "::add-mask::x\"}]}}]},"
	    "{\"path\":\"/text\",\"responses\":[{\"status\":500,\"text\":\"");
	for (i = 0; i < 100; i++)
		buf_adds(&scenario, "line\\n::warning::");
	buf_adds(&scenario, "\"}]}]}");
	start(&srv, &gh, scenario.data, "");
	assert_int_equal(github_request(&gh, "POST", "/repos/o/r/issues", NULL,
	                     NULL, &status),
	    -1);
	assert_int_equal(status, 422);
	/* One line: the message, no control characters, no line that starts
	 * a workflow command. */
	nl = strchr(logged.data, '\n');
	assert_non_null(nl);
	assert_null(strchr(nl + 1, '\n'));
	assert_null(strchr(logged.data, '\r'));
	assert_null(strchr(logged.data, '\x1b'));
	assert_int_equal(
	    strncmp(logged.data,
	        "POST /repos/o/r/issues: 422 Unprocessable Entity: "
	        "Validation Failed ::error::pwned",
	        strlen("POST /repos/o/r/issues: 422 Unprocessable "
	               "Entity: Validation Failed ::error::pwned")),
	    0);

	buf_reset(&logged);
	gh.timeout_ms = 5000;
	assert_int_equal(
	    github_request(&gh, "GET", "/text", NULL, NULL, NULL), -1);
	nl = strchr(logged.data, '\n');
	assert_non_null(nl);
	assert_null(strchr(nl + 1, '\n'));
	/* Cut at 200 bytes of detail plus the prefix. */
	assert_true(strlen(logged.data) < 260);
	assert_non_null(strstr(logged.data, "..."));
	buf_release(&scenario);
	github_release(&gh);
	fake_github_stop(&srv);
}

static void
test_foreign_url_refused(void **state)
{
	struct fake_github srv;
	struct github gh;

	(void)state;
	start(&srv, &gh, "{\"routes\":[]}", "");
	assert_int_equal(github_request(&gh, "GET", "http://evil.example/x",
	                     NULL, NULL, NULL),
	    -1);
	assert_non_null(strstr(logged.data, "refusing to send the token"));
	assert_int_equal(
	    github_request(&gh, "GET", "repos/o/r", NULL, NULL, NULL), -1);
	github_release(&gh);
	fake_github_stop(&srv);
}

/* Job logs: 302 to a storage host (another port here), fetched without
 * the Authorization header. */
static void
test_raw_redirect_drops_auth(void **state)
{
	struct fake_github api, blob;
	struct github gh;
	struct buf out = BUF_INIT(0);
	char scenario[1024];
	cJSON *log;
	long status;

	(void)state;
	assert_int_equal(fake_github_start_json(&blob,
	                     "{\"routes\":[{\"path\":\"/logs/9.txt\","
	                     "\"responses\":[{\"status\":200,\"text\":"
	                     "\"2024-10-18T23:27:40.6602932Z hello\\n\"}]}]}"),
	    0);
	snprintf(scenario, sizeof(scenario),
	    "{\"routes\":[{\"path\":\"/repos/o/r/actions/jobs/9/logs\","
	    "\"responses\":[{\"status\":302,\"headers\":{\"Location\":"
	    "\"%s/logs/9.txt?sig=s3cr3t&se=2024\"}}]}]}",
	    blob.url);
	start(&api, &gh, scenario, "");
	assert_int_equal(github_get_raw(&gh, "/repos/o/r/actions/jobs/9/logs",
	                     1 << 20, &out, &status),
	    0);
	assert_int_equal(status, 200);
	assert_string_equal(out.data, "2024-10-18T23:27:40.6602932Z hello\n");

	assert_int_equal(fake_github_requests(&api, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	assert_non_null(req_header(log, 0, "authorization"));
	cJSON_Delete(log);
	assert_int_equal(fake_github_requests(&blob, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	assert_string_equal(req_field(log, 0, "path"), "/logs/9.txt");
	assert_null(req_header(log, 0, "authorization"));
	cJSON_Delete(log);

	/* The cap applies to the redirected body too. */
	buf_reset(&out);
	assert_int_equal(github_get_raw(&gh, "/repos/o/r/actions/jobs/9/logs",
	                     10, &out, &status),
	    -1);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	github_release(&gh);
	fake_github_stop(&api);
	fake_github_stop(&blob);
}

static void
test_rate_limit_message(void **state)
{
	struct fake_github srv;
	struct github gh;

	(void)state;
	start(&srv, &gh,
	    "{\"routes\":[{\"path\":\"/rate\",\"responses\":[{\"status\":403,"
	    "\"headers\":{\"x-ratelimit-remaining\":\"0\","
	    "\"x-ratelimit-reset\":\"4102444800\"},\"json\":{\"message\":"
	    "\"API rate limit exceeded\"}}]}]}",
	    "");
	assert_int_equal(
	    github_request(&gh, "GET", "/rate", NULL, NULL, NULL), -1);
	assert_non_null(strstr(logged.data,
	    "GET /rate: 403 Forbidden: API rate limit exceeded (rate limit "
	    "resets in "));
	github_release(&gh);
	fake_github_stop(&srv);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY",
		"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_next),
		T(test_init_env),
		T(test_request_ghes),
		T(test_pagination),
		T(test_error_line),
		T(test_hostile_error_sanitised),
		T(test_foreign_url_refused),
		T(test_raw_redirect_drops_auth),
		T(test_rate_limit_message),
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
