#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/github.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * One issue per failure key. Search lags by seconds to minutes, so
 * duplicates are found by listing the label's issues (state=all) and
 * looking for a hidden marker with the key's hash (research §5). Only
 * issues carrying our label are considered: labelling needs triage rights,
 * so an outsider cannot plant a marker to capture the comments.
 */
#define MAX_ISSUES 1000

/*
 * The marker only has to tell failure keys apart, so two 64-bit FNV-1a
 * hashes with different offset bases do; using SHA-256 here would make
 * self-heal load libcrypto, which costs more start-up time than the whole
 * rest of `self-heal run -- true`. A forged collision could at worst send
 * a comment to another self-heal issue.
 */
void
heal_key_hash(const char *key, char out[33])
{
	uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p; p++) {
		h1 = (h1 ^ *p) * 0x100000001b3ULL;
		h2 = (h2 ^ *p) * 0x100000001b3ULL;
		h2 ^= h2 >> 29;
	}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1,
	    (unsigned long long)h2);
}

static void
marker_for(const char *key, char out[100])
{
	char hex[33];

	heal_key_hash(key, hex);
	snprintf(out, 100, "<!-- self-heal:%s -->", hex);
}

static long
find_issue(const cJSON *issues, const char *marker)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, issues)
	{
		const char *body = json_opt_str(it, "body");
		const cJSON *num =
		    cJSON_GetObjectItemCaseSensitive(it, "number");

		if (!cJSON_IsObject(it) ||
		    cJSON_GetObjectItemCaseSensitive(it, "pull_request"))
			continue;
		if (body && strstr(body, marker) && cJSON_IsNumber(num) &&
		    num->valuedouble >= 1 && num->valuedouble < 1e12)
			return (long)num->valuedouble;
	}
	return 0;
}

int
heal_issue_upsert(struct github *gh, const char *repo, const char *label,
    const char *key, const char *title, const char *body, bool dry_run,
    long *number, const char **action)
{
	char marker[100];
	char *path = NULL, *full = NULL;
	cJSON *issues = NULL, *req = NULL, *resp = NULL;
	int ret = -1;
	long n;

	*number = 0;
	*action = "";
	marker_for(key, marker);
	path = xasprintf("/repos/%s/issues?labels=%s&state=all", repo, label);
	if (github_get_all(gh, path, NULL, MAX_ISSUES, &issues) < 0)
		goto out;
	n = find_issue(issues, marker);
	free(path);
	path = NULL;
	req = cJSON_CreateObject();
	if (n > 0) {
		*number = n;
		*action = "commented";
		if (dry_run) {
			ret = 0;
			goto out;
		}
		cJSON_AddStringToObject(req, "body", body);
		path = xasprintf("/repos/%s/issues/%ld/comments", repo, n);
		if (github_request(gh, "POST", path, req, &resp, NULL) < 0)
			goto out;
		ret = 0;
		goto out;
	}
	*action = "created";
	if (dry_run) {
		ret = 0;
		goto out;
	}
	full = xasprintf("%s\n\n%s\n", body, marker);
	cJSON_AddStringToObject(req, "title", title);
	cJSON_AddStringToObject(req, "body", full);
	cJSON_AddItemToObject(
	    req, "labels", cJSON_CreateStringArray(&label, 1));
	path = xasprintf("/repos/%s/issues", repo);
	if (github_request(gh, "POST", path, req, &resp, NULL) < 0)
		goto out;
	{
		const cJSON *num =
		    cJSON_GetObjectItemCaseSensitive(resp, "number");
		if (cJSON_IsNumber(num) && num->valuedouble >= 1 &&
		    num->valuedouble < 1e12)
			*number = (long)num->valuedouble;
	}
	ret = 0;
out:
	cJSON_Delete(issues);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	free(path);
	free(full);
	return ret;
}
