#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "statement.h"

static const char *
env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
prov_claims_from_env(struct prov_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->server_url = env_or_null("GITHUB_SERVER_URL");
	c->repository = env_or_null("GITHUB_REPOSITORY");
	c->ref = env_or_null("GITHUB_REF");
	c->sha = env_or_null("GITHUB_SHA");
	c->workflow_ref = env_or_null("GITHUB_WORKFLOW_REF");
	/* No env var carries job_workflow_ref; outside a reusable workflow
	 * it equals workflow_ref. The OIDC token, when present, overrides. */
	c->job_workflow_ref = c->workflow_ref;
	c->event_name = env_or_null("GITHUB_EVENT_NAME");
	c->repository_id = env_or_null("GITHUB_REPOSITORY_ID");
	c->repository_owner_id = env_or_null("GITHUB_REPOSITORY_OWNER_ID");
	c->runner_environment = env_or_null("RUNNER_ENVIRONMENT");
	c->run_id = env_or_null("GITHUB_RUN_ID");
	c->run_attempt = env_or_null("GITHUB_RUN_ATTEMPT");
	if (c->server_url == NULL)
		c->server_url = "https://github.com";
}

static void
overlay(const cJSON *p, const char *key, const char **dst)
{
	const char *v = json_opt_str(p, key);

	if (v != NULL && *v != '\0')
		*dst = v;
}

void
prov_claims_from_token(struct prov_claims *c, const cJSON *p)
{
	overlay(p, "repository", &c->repository);
	overlay(p, "ref", &c->ref);
	overlay(p, "sha", &c->sha);
	overlay(p, "workflow_ref", &c->workflow_ref);
	overlay(p, "job_workflow_ref", &c->job_workflow_ref);
	overlay(p, "event_name", &c->event_name);
	overlay(p, "repository_id", &c->repository_id);
	overlay(p, "repository_owner_id", &c->repository_owner_id);
	overlay(p, "runner_environment", &c->runner_environment);
	overlay(p, "run_id", &c->run_id);
	overlay(p, "run_attempt", &c->run_attempt);
}

#define NEED(field, name)                                                      \
	do {                                                                   \
		if (c->field == NULL)                                          \
			return error_msg("cannot build provenance: '%s' is "   \
			                 "not set",                            \
			    name);                                             \
	} while (0)

int
provenance_predicate(const struct prov_claims *c, cJSON **out)
{
	cJSON *pred, *bd, *ext, *wf, *gh, *deps, *dep, *dig, *rd, *b, *meta;
	char *path, *at, *s, *needle;
	size_t rl;

	NEED(repository, "GITHUB_REPOSITORY");
	NEED(ref, "GITHUB_REF");
	NEED(sha, "GITHUB_SHA");
	NEED(workflow_ref, "GITHUB_WORKFLOW_REF");
	NEED(job_workflow_ref, "job_workflow_ref");
	NEED(event_name, "GITHUB_EVENT_NAME");
	NEED(repository_id, "GITHUB_REPOSITORY_ID");
	NEED(repository_owner_id, "GITHUB_REPOSITORY_OWNER_ID");
	NEED(runner_environment, "RUNNER_ENVIRONMENT");
	NEED(run_id, "GITHUB_RUN_ID");
	NEED(run_attempt, "GITHUB_RUN_ATTEMPT");

	/* workflow_ref.replace(`${repository}/`, '').split('@')[0] */
	needle = xasprintf("%s/", c->repository);
	rl = strlen(needle);
	s = strstr(c->workflow_ref, needle);
	free(needle);
	if (s != NULL)
		path = xasprintf("%.*s%s", (int)(s - c->workflow_ref),
		    c->workflow_ref, s + rl);
	else
		path = xstrdup(c->workflow_ref);
	at = strchr(path, '@');
	if (at != NULL)
		*at = '\0';

	pred = cJSON_CreateObject();
	bd = cJSON_AddObjectToObject(pred, "buildDefinition");
	cJSON_AddStringToObject(bd, "buildType", GITHUB_BUILD_TYPE);
	ext = cJSON_AddObjectToObject(bd, "externalParameters");
	wf = cJSON_AddObjectToObject(ext, "workflow");
	cJSON_AddStringToObject(wf, "ref", c->ref);
	s = xasprintf("%s/%s", c->server_url, c->repository);
	cJSON_AddStringToObject(wf, "repository", s);
	free(s);
	cJSON_AddStringToObject(wf, "path", path);
	gh = cJSON_AddObjectToObject(
	    cJSON_AddObjectToObject(bd, "internalParameters"), "github");
	cJSON_AddStringToObject(gh, "event_name", c->event_name);
	cJSON_AddStringToObject(gh, "repository_id", c->repository_id);
	cJSON_AddStringToObject(
	    gh, "repository_owner_id", c->repository_owner_id);
	cJSON_AddStringToObject(
	    gh, "runner_environment", c->runner_environment);
	deps = cJSON_AddArrayToObject(bd, "resolvedDependencies");
	dep = cJSON_CreateObject();
	s = xasprintf("git+%s/%s@%s", c->server_url, c->repository, c->ref);
	cJSON_AddStringToObject(dep, "uri", s);
	free(s);
	dig = cJSON_AddObjectToObject(dep, "digest");
	cJSON_AddStringToObject(dig, "gitCommit", c->sha);
	cJSON_AddItemToArray(deps, dep);
	rd = cJSON_AddObjectToObject(pred, "runDetails");
	b = cJSON_AddObjectToObject(rd, "builder");
	s = xasprintf("%s/%s", c->server_url, c->job_workflow_ref);
	cJSON_AddStringToObject(b, "id", s);
	free(s);
	meta = cJSON_AddObjectToObject(rd, "metadata");
	s = xasprintf("%s/%s/actions/runs/%s/attempts/%s", c->server_url,
	    c->repository, c->run_id, c->run_attempt);
	cJSON_AddStringToObject(meta, "invocationId", s);
	free(s);
	free(path);
	*out = pred;
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int
statement_build(const struct digest_item *items, size_t n,
    const char *predicate_type, cJSON *predicate, cJSON **out)
{
	cJSON *st = NULL, *subj;
	char hex[2 * HASH_SHA256_LEN + 1];
	size_t i, j, kept = 0;

	if (n == 0) {
		cJSON_Delete(predicate);
		return error_msg("no subjects to attest");
	}
	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "_type", INTOTO_STATEMENT_V1);
	subj = cJSON_AddArrayToObject(st, "subject");
	for (i = 0; i < n; i++) {
		const char *name = base_name(items[i].path);
		bool dup = false;
		cJSON *s, *d;

		for (j = 0; j < i && !dup; j++)
			dup = strcmp(base_name(items[j].path), name) == 0 &&
			      memcmp(items[j].sha256, items[i].sha256,
			          HASH_SHA256_LEN) == 0;
		if (dup)
			continue;
		if (++kept > STATEMENT_MAX_SUBJECTS) {
			cJSON_Delete(st);
			cJSON_Delete(predicate);
			return error_msg("too many subjects: at most %d per "
			                 "statement",
			    STATEMENT_MAX_SUBJECTS);
		}
		hash_hex(items[i].sha256, HASH_SHA256_LEN, hex);
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "name", name);
		d = cJSON_AddObjectToObject(s, "digest");
		cJSON_AddStringToObject(d, "sha256", hex);
		cJSON_AddItemToArray(subj, s);
	}
	cJSON_AddStringToObject(st, "predicateType", predicate_type);
	cJSON_AddItemToObject(
	    st, "predicate", predicate ? predicate : cJSON_CreateObject());
	*out = st;
	return 0;
}

int
statement_serialize(const cJSON *st, struct buf *out)
{
	char *s = json_print(st);
	int rc = buf_adds(out, s);

	free(s);
	return rc;
}
