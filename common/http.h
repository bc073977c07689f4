#ifndef BULWARK_HTTP_H
#define BULWARK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"
#include "common/strlist.h"

/*
 * HTTP(S) client on libcurl's easy interface.
 *
 * In dynamic builds libcurl is not linked: the first http_do dlopen()s
 * libcurl.so.4 into a small function table (a clear error if it is
 * missing), so tools that never touch the network start fast. Static builds
 * (BULWARK_STATIC_CURL) link it directly.
 *
 * Behaviour:
 * - only http and https; proxies from http_proxy/https_proxy/no_proxy
 *   (libcurl's own handling; HTTPS_PROXY/ALL_PROXY too);
 * - connect timeout and total timeout per attempt;
 * - response body capped at max_body (default 8 MiB): past it the request
 *   fails with "response body exceeds N bytes";
 * - retries (up to `retries`, default 3) for idempotent methods (GET, HEAD,
 *   PUT, DELETE, OPTIONS) or when `idempotent` is set, on transport errors,
 *   408, 429, 500, 502, 503, 504 and GitHub's secondary rate limit (403 with
 *   retry-after or x-ratelimit-remaining: 0). The wait honours
 *   `retry-after` (seconds or HTTP date) and `x-ratelimit-reset` (epoch),
 *   otherwise exponential backoff with full jitter from backoff_ms; any wait
 *   above max_wait_ms is not waited: the last response is returned instead;
 * - headers named Authorization (and any value registered with
 *   http_redact) never appear in logs, including curl's verbose output.
 *
 * Ownership: the request borrows everything. The response owns its buffers;
 * http_response_release frees them.
 */
struct http_request {
	const char *method; /* NULL: GET (or POST with body) */
	const char *url;
	const struct strlist *headers; /* "Name: value" lines */
	const void *body;
	size_t body_len;
	int64_t connect_timeout_ms; /* 0: 10 s */
	int64_t timeout_ms;         /* 0: 60 s, per attempt */
	size_t max_body;            /* 0: 8 MiB */
	int retries;                /* -1: none, 0: default 3 */
	int64_t backoff_ms;         /* 0: 500 ms */
	int64_t max_wait_ms;        /* 0: 60 s */
	bool idempotent;            /* allow retry of POST/PATCH */
	bool follow_redirects;      /* off by default */
};
#define HTTP_REQUEST_INIT                                                      \
	{                                                                      \
		NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, false, false      \
	}

struct http_response {
	long status;
	struct buf body;
	struct buf headers; /* raw header block of the final response */
	int attempts;
	int64_t waited_ms; /* total time slept between attempts */
};
#define HTTP_RESPONSE_INIT                                                     \
	{                                                                      \
		0, BUF_INIT(0), BUF_INIT(0), 0, 0                              \
	}

/* 0 once an HTTP response arrived (any status); -1 on transport error. */
int http_do(const struct http_request *req, struct http_response *resp);
void http_response_release(struct http_response *resp);

/* Case-insensitive header lookup in the final response; returns a copy
 * the caller frees, or NULL. */
char *http_header(const struct http_response *resp, const char *name);

/* Register a secret (token) that must be scrubbed from every log line. */
void http_redact(const char *secret);

/* Test hook: replace sleeping (ms) so retries can be asserted quickly. */
typedef void http_sleep_fn(int64_t ms);
void http_set_sleep(http_sleep_fn *fn);

/* Parse a Retry-After value (delta seconds or IMF-fixdate) relative to now
 * (epoch seconds) into ms; -1 if unparsable. Exposed for tests. */
int64_t http_parse_retry_after(const char *v, int64_t now);

#endif
