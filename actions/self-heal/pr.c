#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/github.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * The one dependency fix with a maintainer-endorsed recipe (research §9):
 * npm ERESOLVE -> `legacy-peer-deps=true` in .npmrc (npm/cli#1832). One
 * branch per failure key, `self-heal/dependency/<hash>`, so a second run
 * finds the open PR instead of opening another. Any step that fails makes
 * the caller fall back to an issue.
 */
#define NPMRC_LINE "legacy-peer-deps=true"

static bool
safe_ref(const char *s)
{
	if (!*s || strstr(s, ".."))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr("._/-", *s)))
			return false;
	return true;
}

static long
number_of(const cJSON *o)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "number");
	return cJSON_IsNumber(n) && n->valuedouble >= 1 && n->valuedouble < 1e12
	           ? (long)n->valuedouble
	           : 0;
}

/* .npmrc on the branch: its text (decoded) and blob sha, or empty. */
static int
get_npmrc(struct github *gh, const char *repo, const char *branch,
    struct buf *text, char **sha)
{
	char *path =
	    xasprintf("/repos/%s/contents/.npmrc?ref=%s", repo, branch);
	cJSON *doc = NULL;
	struct buf b64 = BUF_INIT(1 << 20);
	const char *c, *p;
	long status = 0;
	int ret = -1;

	*sha = NULL;
	if (github_request(gh, "GET", path, NULL, &doc, &status) < 0) {
		ret = status == 404 ? 0 : -1; /* no .npmrc yet */
		goto out;
	}
	c = json_opt_str(doc, "content");
	if (!c || !json_opt_str(doc, "sha")) {
		error_msg("'.npmrc': unexpected contents answer");
		goto out;
	}
	for (p = c; *p; p++) /* the API wraps base64 at 60 columns */
		if (*p != '\n' && *p != '\r' && buf_addch(&b64, *p) < 0)
			goto out;
	if (base64_decode(text, b64.data, b64.len) < 0)
		goto out;
	*sha = xstrdup(json_opt_str(doc, "sha"));
	ret = 0;
out:
	cJSON_Delete(doc);
	buf_release(&b64);
	free(path);
	return ret;
}

int
heal_dependency_pr(struct github *gh, const char *repo, const char *key,
    const char *evidence, bool dry_run, long *number, const char **action)
{
	cJSON *r = NULL, *req = NULL, *resp = NULL;
	char *path = NULL, *branch = NULL, *base = NULL, *sha = NULL;
	char *blob_sha = NULL, *owner = NULL;
	struct buf text = BUF_INIT(1 << 20), b64 = BUF_INIT(2 << 20);
	struct buf body = BUF_INIT(1 << 16);
	char marker[100];
	int ret = -1;

	*number = 0;
	*action = "";
	heal_key_hash(key, marker);
	branch = xasprintf("self-heal/dependency/%.16s", marker);
	owner = xstrndup(repo, strcspn(repo, "/"));

	/* an open PR from an earlier run: report it, change nothing */
	path = xasprintf(
	    "/repos/%s/pulls?state=open&head=%s:%s", repo, owner, branch);
	if (github_get_all(gh, path, NULL, 100, &r) < 0)
		goto out;
	if (cJSON_GetArraySize(r) > 0) {
		*number = number_of(cJSON_GetArrayItem(r, 0));
		*action = "pr-exists";
		ret = 0;
		goto out;
	}
	if (dry_run) {
		*action = "pr-created";
		ret = 0;
		goto out;
	}
	cJSON_Delete(r);
	r = NULL;
	free(path);
	path = xasprintf("/repos/%s", repo);
	if (github_request(gh, "GET", path, NULL, &r, NULL) < 0)
		goto out;
	if (!json_opt_str(r, "default_branch") ||
	    !safe_ref(json_opt_str(r, "default_branch"))) {
		error_msg("repository '%s': no usable default branch", repo);
		goto out;
	}
	base = xstrdup(json_opt_str(r, "default_branch"));
	cJSON_Delete(r);
	r = NULL;
	free(path);
	path = xasprintf("/repos/%s/git/ref/heads/%s", repo, base);
	if (github_request(gh, "GET", path, NULL, &r, NULL) < 0)
		goto out;
	{
		const cJSON *obj =
		    cJSON_GetObjectItemCaseSensitive(r, "object");
		const char *s = json_opt_str(obj, "sha");
		if (!s || strlen(s) != 40 ||
		    strspn(s, "0123456789abcdef") != 40) {
			error_msg("ref '%s': no commit sha", base);
			goto out;
		}
		sha = xstrdup(s);
	}

	/* the branch (422 if an earlier, closed attempt left it: reuse) */
	req = cJSON_CreateObject();
	{
		char *ref = xasprintf("refs/heads/%s", branch);
		long status = 0;
		cJSON_AddStringToObject(req, "ref", ref);
		cJSON_AddStringToObject(req, "sha", sha);
		free(path);
		path = xasprintf("/repos/%s/git/refs", repo);
		if (github_request(gh, "POST", path, req, NULL, &status) < 0 &&
		    status != 422) {
			free(ref);
			goto out;
		}
		free(ref);
	}
	cJSON_Delete(req);
	req = NULL;

	if (get_npmrc(gh, repo, branch, &text, &blob_sha) < 0)
		goto out;
	if (strstr(text.data, NPMRC_LINE)) {
		error_msg(
		    "'.npmrc' already sets %s: no safe fix known", NPMRC_LINE);
		goto out;
	}
	if (text.len && text.data[text.len - 1] != '\n')
		(void)buf_addch(&text, '\n');
	(void)buf_adds(&text, NPMRC_LINE "\n");
	if (base64_encode(&b64, text.data, text.len) < 0)
		goto out;
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "message",
	    "npm: legacy-peer-deps=true (self-heal, npm ERESOLVE)");
	cJSON_AddStringToObject(req, "content", b64.data);
	cJSON_AddStringToObject(req, "branch", branch);
	if (blob_sha)
		cJSON_AddStringToObject(req, "sha", blob_sha);
	free(path);
	path = xasprintf("/repos/%s/contents/.npmrc", repo);
	if (github_request(gh, "PUT", path, req, NULL, NULL) < 0)
		goto out;
	cJSON_Delete(req);

	(void)buf_adds(&body,
	    "`npm` could not resolve the dependency tree (ERESOLVE). npm's "
	    "documented escape is `legacy-peer-deps=true` in `.npmrc` "
	    "(npm/cli#1832); this PR adds it. Prefer fixing the peer "
	    "dependency itself when you can.\n\nEvidence:\n\n");
	(void)heal_md_fence(&body, evidence);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(
	    req, "title", "self-heal: npm ERESOLVE, set legacy-peer-deps");
	cJSON_AddStringToObject(req, "head", branch);
	cJSON_AddStringToObject(req, "base", base);
	cJSON_AddStringToObject(req, "body", body.data);
	free(path);
	path = xasprintf("/repos/%s/pulls", repo);
	if (github_request(gh, "POST", path, req, &resp, NULL) < 0)
		goto out;
	*number = number_of(resp);
	*action = "pr-created";
	ret = 0;
out:
	cJSON_Delete(r);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	buf_release(&text);
	buf_release(&b64);
	buf_release(&body);
	free(path);
	free(branch);
	free(base);
	free(sha);
	free(blob_sha);
	free(owner);
	return ret;
}
