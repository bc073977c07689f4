#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/gha.h"
#include "common/github.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"

#define DEFAULT_API_URL "https://api.github.com"
#define DEFAULT_MAX_ITEMS 10000
#define MAX_PAGES 100
#define DETAIL_MAX 200

int
github_init(struct github *gh)
{
	const char *tok = getenv("GITHUB_TOKEN");
	const char *api = getenv("GITHUB_API_URL");
	const char *repo = getenv("GITHUB_REPOSITORY");
	size_t n;

	memset(gh, 0, sizeof(*gh));
	if (tok == NULL || *tok == '\0')
		tok = getenv("GH_TOKEN");
	if (api == NULL || *api == '\0')
		api = DEFAULT_API_URL;
	if (strncmp(api, "https://", 8) != 0 && strncmp(api, "http://", 7) != 0)
		return error_msg(
		    "GITHUB_API_URL '%s' is not an http(s) URL", api);
	gh->api_url = xstrdup(api);
	n = strlen(gh->api_url);
	while (n > 0 && gh->api_url[n - 1] == '/')
		gh->api_url[--n] = '\0';
	if (tok && *tok) {
		gh->token = xstrdup(tok);
		gha_mask(tok);
		http_redact(tok);
	}
	if (repo && *repo)
		gh->repo = xstrdup(repo);
	return 0;
}

void
github_release(struct github *gh)
{
	free(gh->api_url);
	free(gh->token);
	free(gh->repo);
	memset(gh, 0, sizeof(*gh));
}

int
github_require_token(const struct github *gh)
{
	if (gh->token == NULL)
		return error_msg(
		    "no GitHub token: set GITHUB_TOKEN or GH_TOKEN");
	return 0;
}

/* Length of "scheme://authority" in url (0 if it has no "://"). */
static size_t
origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p + strcspn(p, "/?#") - url);
}

static bool
is_absolute(const char *s)
{
	return strncasecmp(s, "https://", 8) == 0 ||
	       strncasecmp(s, "http://", 7) == 0;
}

/* The URL for an API path; absolute URLs must stay on the API's origin so
 * the token never leaves it. Caller frees; NULL after an error. */
static char *
resolve(const struct github *gh, const char *path)
{
	size_t n = origin_len(gh->api_url);

	if (is_absolute(path)) {
		if (origin_len(path) != n ||
		    strncasecmp(path, gh->api_url, n) != 0) {
			error_msg("refusing to send the token to '%.*s'",
			    (int)origin_len(path), path);
			return NULL;
		}
		return xstrdup(path);
	}
	if (path[0] != '/') {
		error_msg("'%s': API paths start with '/'", path);
		return NULL;
	}
	return xasprintf("%s%s", gh->api_url, path);
}

static int
gh_send(const struct github *gh, const char *method, const char *url,
    const char *body, size_t max, bool auth, struct http_response *resp)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct strlist hdrs = STRLIST_INIT;
	int ret;

	if (auth) {
		strlist_push(&hdrs, "Accept: application/vnd.github+json");
		strlist_push(&hdrs, "X-GitHub-Api-Version: 2022-11-28");
		if (gh->token)
			strlist_push_owned(&hdrs,
			    xasprintf("Authorization: Bearer %s", gh->token));
	}
	if (body)
		strlist_push(&hdrs, "Content-Type: application/json");
	req.method = method;
	req.url = url;
	req.headers = &hdrs;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = gh->timeout_ms;
	req.max_body = max;
	req.follow_redirects = !auth;
	ret = http_do(&req, resp);
	strlist_release(&hdrs);
	return ret;
}

/* Untrusted text for one log line: whitespace controls become one space,
 * other controls are dropped, cut at DETAIL_MAX bytes on a UTF-8
 * boundary. */
static void
sanitise(struct buf *out, const char *s, size_t len)
{
	size_t start = out->len, i;
	bool space = false;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\n' || c == '\r' || c == ' ') {
			space = out->len > start;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space)
			(void)buf_addch(out, ' ');
		space = false;
		if (out->len - start >= DETAIL_MAX) {
			size_t cut = out->len;

			while (cut > start &&
			       ((unsigned char)out->data[cut] & 0xc0) == 0x80)
				cut--;
			buf_truncate(out, cut);
			(void)buf_adds(out, "...");
			return;
		}
		(void)buf_addch(out, (char)c);
	}
}

static const char *
reason(long status)
{
	static const struct {
		long code;
		const char *text;
	} tab[] = { { 301, "Moved Permanently" }, { 302, "Found" },
		{ 304, "Not Modified" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 409, "Conflict" }, { 410, "Gone" },
		{ 422, "Unprocessable Entity" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" } };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tab); i++)
		if (tab[i].code == status)
			return tab[i].text;
	return "HTTP error";
}

/* "GET /x: 404 Not Found: <message>" as one sanitised line. */
static int
fail(const char *method, const char *shown, const struct http_response *resp)
{
	struct buf detail = BUF_INIT(0), text = BUF_INIT(0);
	const char *msg = NULL, *b = resp->body.data;
	cJSON *doc = NULL, *errs;
	char *v;

	b += strspn(b, " \t\r\n");
	if (*b == '{' &&
	    json_parse(resp->body.data, resp->body.len, "API error", &doc) == 0)
		msg = json_opt_str(doc, "message");
	if (msg) {
		(void)buf_adds(&text, msg);
		errs = cJSON_GetObjectItem(doc, "errors");
		if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0) {
			const cJSON *e = cJSON_GetArrayItem(errs, 0);
			const char *m = cJSON_IsString(e)
			                    ? e->valuestring
			                    : json_opt_str(e, "message");

			if (m == NULL)
				m = json_opt_str(e, "code");
			if (m)
				(void)buf_addf(&text, " (%s)", m);
		}
	} else {
		(void)buf_add(&text, resp->body.data, resp->body.len);
	}
	sanitise(&detail, text.data, text.len);
	v = http_header(resp, "x-ratelimit-remaining");
	if (v && strcmp(v, "0") == 0) {
		char *reset = http_header(resp, "x-ratelimit-reset");
		long long when = reset ? strtoll(reset, NULL, 10) : 0;

		if (when > 0)
			(void)buf_addf(&detail,
			    " (rate limit resets in %lld s)",
			    when - (long long)time(NULL));
		free(reset);
	}
	free(v);
	error_msg("%s %s: %ld %s%s%s", method, shown, resp->status,
	    reason(resp->status), detail.len ? ": " : "", detail.data);
	cJSON_Delete(doc);
	buf_release(&detail);
	buf_release(&text);
	return -1;
}

/* The part of url worth showing in messages: the path after the origin. */
static const char *
shown_path(const char *url)
{
	return is_absolute(url) ? url + origin_len(url) : url;
}

int
github_request(struct github *gh, const char *method, const char *path,
    const cJSON *body, cJSON **out, long *status)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = resolve(gh, path), *text = NULL;
	int ret = -1;

	if (out)
		*out = NULL;
	if (status)
		*status = 0;
	if (url == NULL)
		return -1;
	if (body)
		text = json_print(body);
	if (gh_send(gh, method, url, text, gh->max_body, true, &resp) < 0)
		goto out;
	if (status)
		*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		fail(method, shown_path(path), &resp);
		goto out;
	}
	if (out && resp.body.len > 0 &&
	    json_parse(resp.body.data, resp.body.len, "API response", out) < 0)
		goto out;
	ret = 0;
out:
	http_response_release(&resp);
	free(text);
	free(url);
	return ret;
}

static char *
with_per_page(const char *path)
{
	if (strstr(path, "per_page="))
		return xstrdup(path);
	return xasprintf(
	    "%s%cper_page=100", path, strchr(path, '?') ? '&' : '?');
}

int
github_get_all(struct github *gh, const char *path, const char *array_key,
    size_t max_items, cJSON **out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	cJSON *all = cJSON_CreateArray(), *doc = NULL, *items, *it;
	char *first = with_per_page(path), *url = resolve(gh, first);
	size_t count = 0;
	int pages = 0, ret = -1;

	*out = NULL;
	if (max_items == 0)
		max_items = DEFAULT_MAX_ITEMS;
	while (url) {
		char *link, *next;

		if (++pages > MAX_PAGES) {
			error_msg("'%s': more than %d pages", path, MAX_PAGES);
			goto out;
		}
		if (gh_send(gh, "GET", url, NULL, gh->max_body, true, &resp) <
		    0)
			goto out;
		if (resp.status < 200 || resp.status > 299) {
			fail("GET", shown_path(url), &resp);
			goto out;
		}
		if (json_parse(resp.body.data, resp.body.len, "API response",
		        &doc) < 0)
			goto out;
		items = cJSON_IsArray(doc) ? doc
		        : array_key        ? cJSON_GetObjectItem(doc, array_key)
		                           : NULL;
		if (!cJSON_IsArray(items)) {
			error_msg("'%s': the response has no '%s' array", path,
			    array_key ? array_key : "top-level");
			goto out;
		}
		while ((it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
			if (++count > max_items) {
				cJSON_Delete(it);
				error_msg("'%s': more than %zu items", path,
				    max_items);
				goto out;
			}
			cJSON_AddItemToArray(all, it);
		}
		cJSON_Delete(doc);
		doc = NULL;
		link = http_header(&resp, "link");
		next = link ? github_link_next(link) : NULL;
		free(link);
		free(url);
		url = NULL;
		http_response_release(&resp);
		if (next) {
			url = resolve(gh, next);
			free(next);
			if (url == NULL)
				goto out;
		}
	}
	*out = all;
	all = NULL;
	ret = 0;
out:
	http_response_release(&resp);
	cJSON_Delete(doc);
	cJSON_Delete(all);
	free(first);
	free(url);
	return ret;
}

/* The redirect target, absolute; NULL if there is none. */
static char *
redirect_target(const struct http_response *resp, const char *from)
{
	char *loc, *abs = NULL;

	if (resp->status != 301 && resp->status != 302 && resp->status != 303 &&
	    resp->status != 307 && resp->status != 308)
		return NULL;
	loc = http_header(resp, "location");
	if (loc == NULL)
		return NULL;
	if (is_absolute(loc))
		abs = xstrdup(loc);
	else if (loc[0] == '/' && loc[1] != '/')
		abs = xasprintf("%.*s%s", (int)origin_len(from), from, loc);
	free(loc);
	return abs;
}

int
github_get_raw(struct github *gh, const char *path, size_t max, struct buf *out,
    long *status)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = resolve(gh, path), *target = NULL;
	int ret = -1;

	if (status)
		*status = 0;
	if (url == NULL)
		return -1;
	if (gh_send(gh, "GET", url, NULL, max, true, &resp) < 0)
		goto out;
	target = redirect_target(&resp, url);
	if (target) {
		/* A pre-signed storage URL: it must not see the token. */
		http_response_release(&resp);
		if (gh_send(gh, "GET", target, NULL, max, false, &resp) < 0)
			goto out;
	}
	if (status)
		*status = resp.status;
	if (resp.status < 200 || resp.status > 299) {
		fail("GET", shown_path(path), &resp);
		goto out;
	}
	ret = buf_add(out, resp.body.data, resp.body.len);
out:
	http_response_release(&resp);
	free(target);
	free(url);
	return ret;
}
