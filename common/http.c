#include "common/compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "common/http.h"
#include "common/http_curl.h"
#include "common/http_int.h"
#include "common/log.h"
#include "common/version.h"
#include "common/xalloc.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_BODY ((size_t)8 << 20)
#define DEFAULT_RETRIES 3
#define DEFAULT_BACKOFF_MS 500
#define DEFAULT_MAX_WAIT_MS 60000
#define MAX_HEADER_BYTES ((size_t)256 << 10)

static http_sleep_fn *sleep_hook;

void
http_set_sleep(http_sleep_fn *fn)
{
	sleep_hook = fn;
}

static void
default_sleep(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *
http_header(const struct http_response *resp, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = resp->headers.data;

	while (*p) {
		size_t len = strcspn(p, "\r\n");

		if (len > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1, *e = p + len;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			return xstrndup(v, (size_t)(e - v));
		}
		p += len;
		p += strspn(p, "\r\n");
	}
	return NULL;
}

static int
parse_imf_date(const char *v, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	char mon[4], zone[4];
	int n = 0;
	const char *m;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	v = strchr(v, ',');
	if (v == NULL)
		return -1;
	if (sscanf(v + 1, " %2d %3s %4d %2d:%2d:%2d %3s%n", &tm.tm_mday, mon,
	        &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, zone,
	        &n) != 7 ||
	    v[1 + n] != '\0' || strcmp(zone, "GMT") != 0 || strlen(mon) != 3 ||
	    (m = strstr(months, mon)) == NULL || (m - months) % 3 != 0)
		return -1;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year -= 1900;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t;
	return 0;
}

int64_t
http_parse_retry_after(const char *v, int64_t now)
{
	char *end;
	int64_t when;

	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		long long secs;

		errno = 0;
		secs = strtoll(v, &end, 10);
		end += strspn(end, " \t");
		if (*end != '\0' || errno)
			return -1;
		/* A day is more than any caller would wait; avoid overflow. */
		return secs > 86400 ? 86400000 : (int64_t)secs * 1000;
	}
	if (parse_imf_date(v, &when) < 0)
		return -1;
	if (when <= now)
		return 0;
	return when - now > 86400 ? 86400000 : (when - now) * 1000;
}

struct xfer {
	struct http_response *resp;
	size_t max_body;
	bool too_big;
};

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	/* Returning short aborts the transfer: the cap is enforced while
	 * downloading, not after. */
	if (len > x->max_body - x->resp->body.len) {
		x->too_big = true;
		return 0;
	}
	return buf_add(&x->resp->body, p, len) == 0 ? len : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;

	/* Keep only the last response's block (redirects, 100 Continue). */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		buf_reset(&x->resp->headers);
	if (len > MAX_HEADER_BYTES - x->resp->headers.len)
		return 0;
	return buf_add(&x->resp->headers, p, len) == 0 ? len : 0;
}

static const char *
req_method(const struct http_request *req)
{
	if (req->method)
		return req->method;
	return req->body ? "POST" : "GET";
}

static bool
may_retry(const struct http_request *req)
{
	static const char *const safe[] = { "GET", "HEAD", "PUT", "DELETE",
		"OPTIONS" };
	const char *m = req_method(req);
	size_t i;

	if (req->idempotent)
		return true;
	for (i = 0; i < ARRAY_SIZE(safe); i++)
		if (strcmp(m, safe[i]) == 0)
			return true;
	return false;
}

#define SETOPT(opt, val)                                                       \
	do {                                                                   \
		if (rc == CURLE_OK)                                            \
			rc = c->easy_setopt(h, opt, val);                      \
	} while (0)

/* One attempt: 0 with resp->status set, -1 on a transport error (err
 * holds the reason), -2 when retrying cannot help. */
static int
attempt(const struct curl_api *c, const struct http_request *req,
    struct curl_slist *hdrs, struct http_response *resp, struct buf *err)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	struct xfer x = { resp,
		req->max_body ? req->max_body : DEFAULT_MAX_BODY, false };
	const char *m = req_method(req);
	CURLcode rc = CURLE_OK;
	CURL *h = c->easy_init();
	int ret = -1;

	if (h == NULL) {
		(void)buf_adds(err, "cannot create a libcurl handle");
		return -2;
	}
	buf_reset(&resp->body);
	buf_reset(&resp->headers);
	resp->status = 0;
	SETOPT(CURLOPT_URL, req->url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, ebuf);
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
	SETOPT(CURLOPT_USERAGENT, "bulwark/" BULWARK_VERSION);
	SETOPT(CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(req->connect_timeout_ms ? req->connect_timeout_ms
	                                   : DEFAULT_CONNECT_MS));
	SETOPT(CURLOPT_TIMEOUT_MS,
	    (long)(req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS));
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, &x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, &x);
	if (rc == CURLE_OK &&
	    c->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		/* libcurl before 7.85 only knows the bitmask. */
		rc = c->easy_setopt(h, CURLOPT_PROTOCOLS,
		    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	if (req->follow_redirects) {
		SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
		SETOPT(CURLOPT_MAXREDIRS, 5L);
		if (rc == CURLE_OK &&
		    c->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
		        "http,https") != CURLE_OK)
			rc = c->easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
			    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	}
	if (strcmp(m, "HEAD") == 0) {
		SETOPT(CURLOPT_NOBODY, 1L);
	} else if (strcmp(m, "GET") != 0) {
		if (strcmp(m, "POST") == 0)
			SETOPT(CURLOPT_POST, 1L);
		else
			SETOPT(CURLOPT_CUSTOMREQUEST, m);
		if (req->body || strcmp(m, "POST") == 0) {
			SETOPT(CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
	if (rc != CURLE_OK) {
		(void)buf_addf(
		    err, "cannot set up the request: %s", c->easy_strerror(rc));
		ret = -2;
		goto out;
	}
	rc = c->easy_perform(h);
	if (x.too_big) {
		(void)buf_addf(
		    err, "response body exceeds %zu bytes", x.max_body);
		ret = -2;
		goto out;
	}
	if (rc != CURLE_OK) {
		(void)buf_adds(err, *ebuf ? ebuf : c->easy_strerror(rc));
		/* Mistakes in the URL do not heal on retry. */
		if (rc == CURLE_UNSUPPORTED_PROTOCOL ||
		    rc == CURLE_URL_MALFORMAT || rc == CURLE_TOO_MANY_REDIRECTS)
			ret = -2;
		goto out;
	}
	(void)c->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	ret = 0;
out:
	c->easy_cleanup(h);
	return ret;
}

static bool
header_is(const struct http_response *resp, const char *name, const char *want)
{
	char *v = http_header(resp, name);
	bool eq = v && strcmp(v, want) == 0;

	free(v);
	return eq;
}

static bool
retry_status(const struct http_response *resp)
{
	char *ra;

	switch (resp->status) {
	case 408:
	case 429:
	case 500:
	case 502:
	case 503:
	case 504:
		return true;
	case 403: /* GitHub's primary and secondary rate limits */
		if (header_is(resp, "x-ratelimit-remaining", "0"))
			return true;
		ra = http_header(resp, "retry-after");
		free(ra);
		return ra != NULL;
	default:
		return false;
	}
}

static uint64_t
random_u64(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint64_t)time(NULL) * 2654435761u;
	return r;
}

/* How long to wait before attempt n+1: what the server asked for, else
 * exponential backoff with full jitter (AWS architecture blog). */
static int64_t
retry_wait(const struct http_request *req, const struct http_response *resp,
    int n, int64_t max_wait)
{
	int64_t base = req->backoff_ms ? req->backoff_ms : DEFAULT_BACKOFF_MS;
	int64_t now = (int64_t)time(NULL), ms = -1, ceil;
	char *v;

	if (resp) {
		v = http_header(resp, "retry-after");
		if (v)
			ms = http_parse_retry_after(v, now);
		free(v);
		if (ms < 0 && header_is(resp, "x-ratelimit-remaining", "0") &&
		    (v = http_header(resp, "x-ratelimit-reset")) != NULL) {
			char *end;
			long long reset = strtoll(v, &end, 10);

			if (end != v && *end == '\0')
				ms = reset > now ? (reset - now) * 1000 : 0;
			free(v);
		}
		if (ms >= 0)
			return ms;
	}
	ceil = base << (n > 20 ? 20 : n - 1);
	/* Our own backoff never exceeds the cap; only a server's demand can. */
	if (ceil > max_wait)
		ceil = max_wait;
	return (int64_t)(random_u64() % ((uint64_t)ceil + 1));
}

static struct curl_slist *
build_headers(const struct curl_api *c, const struct http_request *req)
{
	struct curl_slist *l = NULL, *t;
	size_t i;

	/* Never "Expect: 100-continue": one round trip fewer. */
	if ((t = c->slist_append(l, "Expect:")) == NULL)
		return NULL;
	l = t;
	for (i = 0; req->headers && i < req->headers->nr; i++) {
		t = c->slist_append(l, req->headers->items[i]);
		if (t == NULL) {
			c->slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

int
http_do(const struct http_request *req, struct http_response *resp)
{
	const struct curl_api *c = curl_api_get();
	int retries = req->retries == 0  ? DEFAULT_RETRIES
	              : req->retries < 0 ? 0
	                                 : req->retries;
	int64_t max_wait =
	    req->max_wait_ms ? req->max_wait_ms : DEFAULT_MAX_WAIT_MS;
	const char *m = req_method(req);
	struct buf url = BUF_INIT(0), err = BUF_INIT(0);
	struct curl_slist *hdrs = NULL;
	int ret = -1, r = -1;

	resp->status = 0;
	resp->attempts = 0;
	resp->waited_ms = 0;
	buf_init(&resp->body, req->max_body ? req->max_body : DEFAULT_MAX_BODY);
	buf_init(&resp->headers, MAX_HEADER_BYTES);
	http_url_for_log(&url, req->url ? req->url : "");
	if (c == NULL)
		goto out;
	if (req->url == NULL || (hdrs = build_headers(c, req)) == NULL) {
		http_log(
		    LOG_ERROR, "%s %s: cannot build the request", m, url.data);
		goto out;
	}
	for (;;) {
		int64_t wait;

		buf_reset(&err);
		resp->attempts++;
		r = attempt(c, req, hdrs, resp, &err);
		if (r == 0)
			http_log(
			    LOG_DEBUG, "%s %s: %ld", m, url.data, resp->status);
		else
			http_log(LOG_DEBUG, "%s %s: %s", m, url.data, err.data);
		if (r == -2 || (r == 0 && !retry_status(resp)) ||
		    !may_retry(req) || resp->attempts > retries)
			break;
		wait = retry_wait(
		    req, r == 0 ? resp : NULL, resp->attempts, max_wait);
		if (wait > max_wait) {
			http_log(LOG_DEBUG,
			    "%s %s: not retrying, the server asks to wait "
			    "%lld s",
			    m, url.data, (long long)(wait / 1000));
			break;
		}
		http_log(LOG_DEBUG, "retrying in %lld ms (attempt %d of %d)",
		    (long long)wait, resp->attempts + 1, retries + 1);
		(sleep_hook ? sleep_hook : default_sleep)(wait);
		resp->waited_ms += wait;
	}
	if (r == 0)
		ret = 0;
	else
		http_log(LOG_ERROR, "%s %s: %s", m, url.data, err.data);
out:
	if (hdrs)
		c->slist_free_all(hdrs);
	buf_release(&url);
	buf_release(&err);
	return ret;
}

void
http_response_release(struct http_response *resp)
{
	buf_release(&resp->body);
	buf_release(&resp->headers);
	resp->status = 0;
}
