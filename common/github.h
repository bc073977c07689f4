#ifndef BULWARK_GITHUB_H
#define BULWARK_GITHUB_H

#include "common/json.h"

#include "common/buf.h"
#include "common/compat.h"
#include "common/http.h"

/*
 * GitHub REST client on http.
 *
 * github_init reads the token from GITHUB_TOKEN, then GH_TOKEN (masked with
 * gha_mask and registered with http_redact), the base URL from
 * GITHUB_API_URL (default https://api.github.com; GHES ends in /api/v3) and
 * GITHUB_REPOSITORY. A missing token is not an error until a call needs
 * auth (github_require_token).
 *
 * Requests send Accept: application/vnd.github+json,
 * X-GitHub-Api-Version: 2022-11-28, a User-Agent and Authorization: Bearer.
 * Any non-2xx answer becomes one line: "GET /repos/o/r/x: 404 Not Found:
 * <message from the JSON body>" (the body's text is sanitised: control
 * characters dropped, cut at 200 bytes).
 *
 * Ownership: the struct owns its strings; github_release frees them.
 */
struct github {
	char *api_url; /* no trailing slash */
	char *token;   /* NULL if none */
	char *repo;    /* "owner/name" or NULL */
	int64_t timeout_ms;
	size_t max_body;
};
#define GITHUB_INIT                                                            \
	{                                                                      \
		NULL, NULL, NULL, 0, 0                                         \
	}

int github_init(struct github *gh);
void github_release(struct github *gh);
int github_require_token(const struct github *gh);

/*
 * One request. path is "/repos/..." (joined to api_url) or an absolute URL
 * on the same host (as found in Link headers). body may be NULL. On 2xx,
 * *out (if out) receives the parsed JSON (NULL for 204/empty) and 0 is
 * returned; other statuses return -1 with the one-line message. *status
 * (if non-NULL) receives the HTTP status either way (0 on transport error).
 */
int github_request(struct github *gh, const char *method, const char *path,
    const cJSON *body, cJSON **out, long *status);

/*
 * GET every page following Link: rel="next" (per_page=100 is added),
 * concatenating the items: the response itself if it is an array, or its
 * member array_key (e.g. "jobs", "workflow_runs"). Stops with an error after
 * max_items items (0: 10000) or 100 pages. *out is a new array the caller
 * deletes.
 */
int github_get_all(struct github *gh, const char *path, const char *array_key,
    size_t max_items, cJSON **out);

/*
 * GET a raw body (e.g. job logs, which answer 302 to a storage URL that
 * must be fetched without the Authorization header). Capped at max bytes.
 */
int github_get_raw(struct github *gh, const char *path, size_t max,
    struct buf *out, long *status);

/* Parse the rel="next" URL out of a Link header; caller frees; NULL if
 * none. Exposed for tests. */
char *github_link_next(const char *link);

#endif
