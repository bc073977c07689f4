/*
 * http against the loopback fake GitHub server: real libcurl, real sockets.
 * Sleeps between retries are recorded (http_set_sleep), never slept.
 */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/http.h"
#include "common/log.h"
#include "common/strlist.h"
#include "fakeserver.h"

static int64_t sleeps[16];
static int nsleeps;
static struct buf logged = BUF_INIT(0);

static void
record_sleep(int64_t ms)
{
	if (nsleeps < (int)ARRAY_SIZE(sleeps))
		sleeps[nsleeps] = ms;
	nsleeps++;
}

static void
capture(enum log_level lvl, const char *msg, void *ctx)
{
	(void)lvl;
	(void)ctx;
	buf_addf(&logged, "%s\n", msg);
}

static int
setup(void **state)
{
	(void)state;
	nsleeps = 0;
	buf_reset(&logged);
	http_set_sleep(record_sleep);
	log_set_sink(capture, NULL);
	log_set_level(LOG_INFO);
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

static void
start(struct fake_github *srv, const char *scenario)
{
	assert_int_equal(fake_github_start_json(srv, scenario), 0);
}

static char *
url_of(const struct fake_github *srv, const char *path)
{
	static char url[256];

	snprintf(url, sizeof(url), "%s%s", srv->url, path);
	return url;
}

static int
count_requests(struct fake_github *srv)
{
	cJSON *log;
	int n;

	assert_int_equal(fake_github_requests(srv, &log), 0);
	n = cJSON_GetArraySize(log);
	cJSON_Delete(log);
	return n;
}

static void
test_parse_retry_after(void **state)
{
	struct tm tm = { 0 };
	int64_t t;

	(void)state;
	assert_int_equal(http_parse_retry_after("120", 0), 120000);
	assert_int_equal(http_parse_retry_after(" 5 ", 0), 5000);
	assert_int_equal(http_parse_retry_after("0", 0), 0);
	assert_int_equal(http_parse_retry_after("-3", 0), -1);
	assert_int_equal(http_parse_retry_after("soon", 0), -1);
	assert_int_equal(http_parse_retry_after("12abc", 0), -1);
	tm.tm_year = 94;
	tm.tm_mon = 10;
	tm.tm_mday = 6;
	tm.tm_hour = 8;
	tm.tm_min = 49;
	tm.tm_sec = 37;
	t = (int64_t)timegm(&tm);
	assert_int_equal(
	    http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t - 30),
	    30000);
	/* A date in the past means "now". */
	assert_int_equal(
	    http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", t + 5), 0);
	assert_int_equal(
	    http_parse_retry_after("Sun, 06 Nox 1994 08:49:37 GMT", t), -1);
	assert_int_equal(
	    http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 PST", t), -1);
}

static void
test_header_lookup(void **state)
{
	struct http_response r = HTTP_RESPONSE_INIT;
	char *v;

	(void)state;
	buf_adds(&r.headers, "HTTP/1.1 200 OK\r\nX-Ratelimit-Reset:  17 \r\n"
	                     "Link: <a>; rel=\"next\"\r\n\r\n");
	v = http_header(&r, "x-ratelimit-reset");
	assert_string_equal(v, "17");
	free(v);
	v = http_header(&r, "LINK");
	assert_string_equal(v, "<a>; rel=\"next\"");
	free(v);
	assert_null(http_header(&r, "x-ratelimit"));
	assert_null(http_header(&r, "retry-after"));
	http_response_release(&r);
}

static void
test_retry_5xx_then_200(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	            "{\"status\":500},{\"status\":502},"
	            "{\"status\":200,\"text\":\"fine\"}]}]}");
	req.url = url_of(&srv, "/r");
	req.backoff_ms = 100;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, "fine");
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(nsleeps, 2);
	/* Full jitter: uniform in [0, base * 2^(n-1)]. */
	assert_in_range(sleeps[0], 0, 100);
	assert_in_range(sleeps[1], 0, 200);
	assert_int_equal(resp.waited_ms, sleeps[0] + sleeps[1]);
	assert_int_equal(count_requests(&srv), 3);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_retries_exhausted(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	            "{\"status\":503}]}]}");
	req.url = url_of(&srv, "/r");
	req.retries = 2;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.attempts, 3);
	assert_int_equal(count_requests(&srv), 3);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_retry_after_seconds(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	            "{\"status\":429,\"headers\":{\"Retry-After\":\"7\"}},"
	            "{\"status\":200}]}]}");
	req.url = url_of(&srv, "/r");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(nsleeps, 1);
	assert_int_equal(sleeps[0], 7000);
	assert_int_equal(resp.waited_ms, 7000);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_retry_after_http_date(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	char date[64], scenario[512];
	time_t when = time(NULL) + 30;
	struct tm tm;

	(void)state;
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(scenario, sizeof(scenario),
	    "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	    "{\"status\":503,\"headers\":{\"Retry-After\":\"%s\"}},"
	    "{\"status\":200}]}]}",
	    date);
	start(&srv, scenario);
	req.url = url_of(&srv, "/r");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(nsleeps, 1);
	/* 30 s minus however long the server took to answer. */
	assert_in_range(sleeps[0], 20000, 30000);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

/* GitHub's secondary limit: 403 with retry-after. A plain 403 (permission
 * denied) must not be retried. */
static void
test_secondary_rate_limit(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv,
	    "{\"routes\":[{\"path\":\"/limited\",\"responses\":["
	    "{\"status\":403,\"headers\":{\"retry-after\":\"3\"},"
	    "\"json\":{\"message\":\"You have exceeded a secondary rate "
	    "limit. Please wait a few minutes before you try again.\"}},"
	    "{\"status\":200}]},"
	    "{\"path\":\"/denied\",\"responses\":[{\"status\":403}]}]}");
	req.url = url_of(&srv, "/limited");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(nsleeps, 1);
	assert_int_equal(sleeps[0], 3000);
	http_response_release(&resp);

	req.url = url_of(&srv, "/denied");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 403);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(nsleeps, 1);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_ratelimit_reset(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	char scenario[512];
	long long reset = (long long)time(NULL) + 20;

	(void)state;
	snprintf(scenario, sizeof(scenario),
	    "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	    "{\"status\":403,\"headers\":{\"x-ratelimit-remaining\":\"0\","
	    "\"x-ratelimit-reset\":\"%lld\"}},{\"status\":200}]}]}",
	    reset);
	start(&srv, scenario);
	req.url = url_of(&srv, "/r");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(nsleeps, 1);
	/* Until the reset epoch: 20 s minus however long the test took. */
	assert_in_range(sleeps[0], 10000, 20000);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_wait_above_max_returns_last(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/r\",\"responses\":["
	            "{\"status\":429,\"headers\":{\"retry-after\":\"3600\"}},"
	            "{\"status\":200}]}]}");
	req.url = url_of(&srv, "/r");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(nsleeps, 0);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_post_not_retried(void **state)
{
	static const char scenario[] =
	    "{\"routes\":[{\"method\":\"POST\",\"path\":\"/p\",\"responses\":["
	    "{\"status\":500},{\"status\":201}]}]}";
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	cJSON *log;

	(void)state;
	start(&srv, scenario);
	req.url = url_of(&srv, "/p");
	req.body = "{\"a\":1}";
	req.body_len = 7;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 500);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(fake_github_requests(&srv, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "method")
	        ->valuestring,
	    "POST");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "body")
	        ->valuestring,
	    "{\"a\":1}");
	cJSON_Delete(log);
	http_response_release(&resp);
	fake_github_stop(&srv);

	/* Marked idempotent, it is retried. */
	start(&srv, scenario);
	req.url = url_of(&srv, "/p");
	req.idempotent = true;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(count_requests(&srv), 2);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_methods_and_headers(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strlist hdrs = STRLIST_INIT;
	cJSON *log, *e;

	(void)state;
	start(&srv, "{\"routes\":[{\"method\":\"*\",\"path\":\"/m\","
	            "\"responses\":[{\"status\":204}]}]}");
	strlist_push(&hdrs, "X-Test: yes");
	req.url = url_of(&srv, "/m");
	req.method = "PUT";
	req.headers = &hdrs;
	req.body = "data";
	req.body_len = 4;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 204);
	http_response_release(&resp);
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(http_do(&req, &resp), 0);
	http_response_release(&resp);
	assert_int_equal(fake_github_requests(&srv, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 2);
	e = cJSON_GetArrayItem(log, 0);
	assert_string_equal(
	    cJSON_GetObjectItem(e, "method")->valuestring, "PUT");
	assert_string_equal(
	    cJSON_GetObjectItem(e, "body")->valuestring, "data");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(e, "headers"), "x-test")
	        ->valuestring,
	    "yes");
	assert_non_null(strstr(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(e, "headers"), "user-agent")
	        ->valuestring,
	    "bulwark/"));
	e = cJSON_GetArrayItem(log, 1);
	assert_string_equal(
	    cJSON_GetObjectItem(e, "method")->valuestring, "DELETE");
	cJSON_Delete(log);
	strlist_release(&hdrs);
	fake_github_stop(&srv);
}

static void
test_body_cap(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct buf scenario = BUF_INIT(0);
	int i;

	(void)state;
	buf_adds(&scenario, "{\"routes\":[{\"path\":\"/big\",\"responses\":["
	                    "{\"status\":200,\"text\":\"");
	for (i = 0; i < 5000; i++)
		buf_addch(&scenario, 'x');
	buf_adds(&scenario, "\"}]}]}");
	start(&srv, scenario.data);
	req.url = url_of(&srv, "/big");
	req.max_body = 100;
	assert_int_equal(http_do(&req, &resp), -1);
	assert_non_null(strstr(logged.data, "response body exceeds 100 bytes"));
	/* A cap is deterministic: no retry. */
	assert_int_equal(resp.attempts, 1);
	assert_true(resp.body.len <= 100);
	http_response_release(&resp);

	req.max_body = 5000; /* exactly at the cap is fine */
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.body.len, 5000);
	http_response_release(&resp);
	buf_release(&scenario);
	fake_github_stop(&srv);
}

static void
test_timeout(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/slow\",\"responses\":["
	            "{\"status\":200,\"delay_ms\":3000}]}]}");
	req.url = url_of(&srv, "/slow");
	req.timeout_ms = 200;
	req.retries = -1;
	assert_int_equal(http_do(&req, &resp), -1);
	assert_int_equal(resp.status, 0);
	assert_non_null(strstr(logged.data, "timed out"));
	assert_non_null(strstr(logged.data, "/slow"));
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_dropped_connection(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/d\",\"responses\":["
	            "{\"drop\":true},{\"status\":200,\"text\":\"ok\"}]},"
	            "{\"path\":\"/gone\",\"responses\":[{\"drop\":true}]}]}");
	req.url = url_of(&srv, "/d");
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.attempts, 2);
	assert_int_equal(nsleeps, 1);
	http_response_release(&resp);

	req.url = url_of(&srv, "/gone");
	req.retries = 1;
	assert_int_equal(http_do(&req, &resp), -1);
	assert_int_equal(resp.attempts, 2);
	assert_non_null(strstr(logged.data, "GET "));
	assert_non_null(strstr(logged.data, "/gone"));
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_proxy_env(void **state)
{
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	cJSON *log, *e;

	(void)state;
	start(&srv, "{\"routes\":[{\"path\":\"/via-proxy\",\"responses\":["
	            "{\"status\":200,\"text\":\"proxied\"}]}]}");
	setenv("http_proxy", srv.url, 1);
	req.url = "http://example.invalid/via-proxy";
	req.retries = -1;
	assert_int_equal(http_do(&req, &resp), 0);
	unsetenv("http_proxy");
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, "proxied");
	assert_int_equal(fake_github_requests(&srv, &log), 0);
	assert_int_equal(cJSON_GetArraySize(log), 1);
	e = cJSON_GetArrayItem(log, 0);
	/* A proxy gets the absolute URI as the request target. */
	assert_string_equal(cJSON_GetObjectItem(e, "target")->valuestring,
	    "http://example.invalid/via-proxy");
	assert_string_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(e, "headers"), "host")
	        ->valuestring,
	    "example.invalid");
	cJSON_Delete(log);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_authorization_never_logged(void **state)
{
	static const char token[] = "ghp_S3cretT0kenValue0123456789";
	struct fake_github srv;
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strlist hdrs = STRLIST_INIT;
	char url[256], line[128];
	cJSON *log, *auth;

	(void)state;
	log_set_level(LOG_DEBUG);
	http_redact(token);
	start(&srv, "{\"routes\":[{\"path\":\"/a\",\"responses\":["
	            "{\"status\":500},{\"status\":200}]},"
	            "{\"path\":\"/drop\",\"responses\":[{\"drop\":true}]}]}");
	snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
	strlist_push(&hdrs, line);
	/* The token also appears in the URL: userinfo and a query value. */
	snprintf(url, sizeof(url),
	    "http://x-access-token:%s@127.0.0.1:%d/a?t=%s", token, srv.port,
	    token);
	req.url = url;
	req.headers = &hdrs;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);

	/* A transport error logs the URL at error level too. */
	snprintf(url, sizeof(url), "%s/drop?sig=%s", srv.url, token);
	req.url = url;
	req.retries = -1;
	assert_int_equal(http_do(&req, &resp), -1);
	http_response_release(&resp);
	fake_github_stop(&srv);

	/* Method, URL and status were logged ... */
	assert_non_null(strstr(logged.data, "GET http://"));
	assert_non_null(strstr(logged.data, ": 500"));
	assert_non_null(strstr(logged.data, ": 200"));
	assert_non_null(strstr(logged.data, "/drop?sig=***: "));
	assert_non_null(strstr(logged.data, "http://***@127.0.0.1:"));
	/* ... but never the token or the header. */
	assert_null(strstr(logged.data, token));
	assert_null(strstr(logged.data, "ghp_"));
	assert_null(strcasestr(logged.data, "authorization"));
	assert_null(strcasestr(logged.data, "bearer"));
	strlist_release(&hdrs);

	/* Sanity: the server did receive the header on the wire. */
	start(&srv, "{\"routes\":[]}");
	strlist_init(&hdrs);
	strlist_push(&hdrs, line);
	req.url = url_of(&srv, "/b");
	req.headers = &hdrs;
	assert_int_equal(http_do(&req, &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_int_equal(fake_github_requests(&srv, &log), 0);
	auth = cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(log, 0), "headers"),
	    "authorization");
	assert_non_null(auth);
	assert_non_null(strstr(auth->valuestring, token));
	assert_null(strstr(logged.data, token));
	cJSON_Delete(log);
	strlist_release(&hdrs);
	http_response_release(&resp);
	fake_github_stop(&srv);
}

static void
test_non_http_scheme_refused(void **state)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	req.url = "file:///etc/passwd";
	assert_int_equal(http_do(&req, &resp), -1);
	assert_int_equal(resp.body.len, 0);
	assert_int_equal(resp.attempts, 1);
	assert_int_equal(nsleeps, 0);
	assert_non_null(strstr(logged.data, "GET file:///etc/passwd: "));
	http_response_release(&resp);
}

/*
 * Dynamic builds dlopen libcurl: with an unloadable libcurl.so.4 first on
 * the search path, a request fails with one clear line. Runs this binary
 * again (the loader reads LD_LIBRARY_PATH only at exec).
 */
static int
no_curl_child(void)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int r;

	req.url = "http://127.0.0.1:1/";
	r = http_do(&req, &resp);
	http_response_release(&resp);
	return r == -1 ? 0 : 1;
}

static void
test_missing_libcurl(void **state)
{
	char dir[] = "/tmp/nocurl.XXXXXX", lib[64], errf[64], env[96];
	char *argv[] = { NULL, NULL }, *envp[] = { env, NULL, NULL };
	char self[] = "/proc/self/exe", child[] = "TEST_HTTP_NO_CURL=1";
	char out[1024] = "";
	FILE *f;
	pid_t pid;
	int st, fd;
	size_t n;

	(void)state;
	/* No program interpreter: a static build, libcurl is linked in. */
	if (getauxval(AT_BASE) == 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(lib, sizeof(lib), "%s/libcurl.so.4", dir);
	snprintf(errf, sizeof(errf), "%s/stderr", dir);
	snprintf(env, sizeof(env), "LD_LIBRARY_PATH=%s", dir);
	envp[1] = child;
	argv[0] = self;
	f = fopen(lib, "w");
	assert_non_null(f);
	fputs("not a shared object\n", f);
	fclose(f);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		execve(self, argv, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	f = fopen(errf, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(lib);
	unlink(errf);
	rmdir(dir);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(out, "cannot load 'libcurl.so.4'"));
	/* One line: the first (and only) newline ends the output. */
	assert_ptr_equal(strchr(out, '\n'), out + n - 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY",
		"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
		"no_proxy", "NO_PROXY" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_retry_after),
		cmocka_unit_test(test_header_lookup),
		T(test_retry_5xx_then_200),
		T(test_retries_exhausted),
		T(test_retry_after_seconds),
		T(test_retry_after_http_date),
		T(test_secondary_rate_limit),
		T(test_ratelimit_reset),
		T(test_wait_above_max_returns_last),
		T(test_post_not_retried),
		T(test_methods_and_headers),
		T(test_body_cap),
		T(test_timeout),
		T(test_dropped_connection),
		T(test_proxy_env),
		T(test_authorization_never_logged),
		T(test_non_http_scheme_refused),
		cmocka_unit_test(test_missing_libcurl),
	};
	size_t i;

	if (getenv("TEST_HTTP_NO_CURL"))
		return no_curl_child();
	/* The suite talks to 127.0.0.1 only: ignore the caller's proxies. */
	for (i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
