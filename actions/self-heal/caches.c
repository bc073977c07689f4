#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/github.h"
#include "common/http.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * cache_corrupt in `remediate`: a re-run would restore the same corrupt
 * cache, so the run's caches are deleted first (research §5: GET
 * /repos/{o}/{r}/actions/caches?ref=..., DELETE .../caches/{id}, both
 * need `actions: write` for a GITHUB_TOKEN).
 */
#define MAX_CACHES 1000

static int64_t
num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740992.0)
		return -1;
	return (int64_t)v->valuedouble;
}

/* The ref the run's caches are scoped to. */
static int
cache_ref(const cJSON *run, char *out, size_t cap)
{
	const char *event = json_opt_str(run, "event");
	const char *branch = json_opt_str(run, "head_branch");
	const cJSON *prs =
	    cJSON_GetObjectItemCaseSensitive(run, "pull_requests");
	int64_t pr = num(cJSON_GetArrayItem(prs, 0), "number");

	if (event && !strcmp(event, "pull_request") && pr > 0) {
		snprintf(out, cap, "refs/pull/%lld/merge", (long long)pr);
		return 0;
	}
	if (!branch || !*branch || strlen(branch) > cap - 12)
		return error_msg("run has no usable head branch: cannot find "
		                 "its caches");
	snprintf(out, cap, "refs/heads/%s", branch);
	return 0;
}

/* Query-string value: unreserved characters and '/' stay as they are. */
static void
query_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c))
			(void)buf_addch(out, (char)c);
		else
			(void)buf_addf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/*
 * DELETE through http_do, not github_request: a 404 (deleted meanwhile)
 * is an expected answer here and must not be logged as an error. Same
 * headers, same retry and rate-limit handling (inside http_do).
 */
static int
delete_cache(struct github *gh, const char *repo, int64_t id, long *status,
    char *msg, size_t cap)
{
	struct http_request req = HTTP_REQUEST_INIT;
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strlist hdrs = STRLIST_INIT;
	char *url = xasprintf("%s/repos/%s/actions/caches/%lld", gh->api_url,
	    repo, (long long)id);
	cJSON *doc = NULL;
	int ret;

	strlist_push(&hdrs, "Accept: application/vnd.github+json");
	strlist_push(&hdrs, "X-GitHub-Api-Version: 2022-11-28");
	if (gh->token)
		strlist_push_owned(
		    &hdrs, xasprintf("Authorization: Bearer %s", gh->token));
	req.method = "DELETE";
	req.url = url;
	req.headers = &hdrs;
	req.timeout_ms = gh->timeout_ms;
	req.max_body = 1 << 16;
	ret = http_do(&req, &resp);
	*status = resp.status;
	msg[0] = '\0';
	if (ret == 0 && resp.body.len > 0 && resp.body.data[0] == '{' &&
	    json_parse(resp.body.data, resp.body.len, "API error", &doc) == 0) {
		const char *m = json_opt_str(doc, "message");
		if (m)
			heal_evidence_copy(msg, cap, m, strlen(m));
	}
	cJSON_Delete(doc);
	http_response_release(&resp);
	strlist_release(&hdrs);
	free(url);
	return ret;
}

int
heal_delete_run_caches(struct github *gh, const struct heal_remediate_opts *o,
    const struct cJSON *run, struct heal_remediate_result *res)
{
	struct buf path = BUF_INIT(0);
	cJSON *list = NULL;
	const cJSON *c;
	int ret = -1;

	if (cache_ref(run, res->cache_ref, sizeof(res->cache_ref)) < 0)
		goto out;
	(void)buf_addf(&path, "/repos/%s/actions/caches?ref=", o->repo);
	query_escape(&path, res->cache_ref);
	if (github_get_all(gh, path.data, "actions_caches", MAX_CACHES, &list) <
	    0) {
		error_msg("cannot list the caches of '%s' (listing and "
		          "deleting caches needs 'actions: write')",
		    res->cache_ref);
		goto out;
	}
	res->caches =
	    xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*res->caches));
	cJSON_ArrayForEach(c, list)
	{
		struct heal_cache_done *d = &res->caches[res->ncaches];
		const char *key = json_opt_str(c, "key");
		const char *ref = json_opt_str(c, "ref");
		char msg[160];
		long status = 0;

		d->id = num(c, "id");
		/* the API filters by ref already; an answer that does not
		 * is not trusted to name what to delete */
		if (d->id <= 0 || (ref && strcmp(ref, res->cache_ref) != 0))
			continue;
		d->size = num(c, "size_in_bytes");
		heal_evidence_copy(d->key, sizeof(d->key), key ? key : "",
		    key ? strlen(key) : 0);
		res->ncaches++;
		if (o->dry_run) {
			d->action = "would-delete";
			continue;
		}
		if (delete_cache(
		        gh, o->repo, d->id, &status, msg, sizeof(msg)) < 0)
			goto out;
		if (status == 404) {
			d->action = "already-gone";
		} else if (status >= 200 && status <= 299) {
			d->action = "deleted";
		} else {
			d->action = "failed";
			error_msg(
			    "cannot delete cache %lld ('%s') of '%s': HTTP "
			    "%ld%s%s%s",
			    (long long)d->id, d->key, res->cache_ref, status,
			    msg[0] ? ": " : "", msg,
			    status == 403 ? "; the token needs 'actions: write'"
			                  : "");
			goto out;
		}
	}
	ret = 0;
out:
	cJSON_Delete(list);
	buf_release(&path);
	return ret;
}

void
heal_caches_md(
    const struct heal_remediate_result *res, bool dry_run, struct buf *md)
{
	size_t i, n = 0;
	int64_t bytes = 0;

	if (!res->cache_ref[0])
		return;
	for (i = 0; i < res->ncaches; i++)
		if (!strcmp(res->caches[i].action, "deleted") ||
		    !strcmp(res->caches[i].action, "would-delete")) {
			n++;
			if (res->caches[i].size > 0)
				bytes += res->caches[i].size;
		}
	(void)buf_addf(md, "\n\nCaches of ");
	(void)heal_md_code(md, res->cache_ref);
	(void)buf_addf(md, " %s: %zu (%.1f MiB)\n\n",
	    dry_run ? "that would be deleted" : "deleted before the re-run", n,
	    (double)bytes / 1048576.0);
	for (i = 0; i < res->ncaches; i++) {
		const struct heal_cache_done *d = &res->caches[i];
		(void)buf_addf(md, "- %lld ", (long long)d->id);
		(void)heal_md_code(md, d->key);
		(void)buf_addf(md, ": %s\n", d->action);
	}
}
