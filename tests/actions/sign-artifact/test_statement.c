#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/json.h"
#include "statement.h"

static void
claims(struct prov_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->server_url = "https://github.com";
	c->repository = "octo-org/demo";
	c->ref = "refs/tags/v1.2.3";
	c->sha = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
	c->workflow_ref =
	    "octo-org/demo/.github/workflows/release.yml@refs/tags/v1.2.3";
	c->job_workflow_ref =
	    "octo-org/builders/.github/workflows/build.yml@refs/heads/main";
	c->event_name = "release";
	c->repository_id = "2002";
	c->repository_owner_id = "1001";
	c->runner_environment = "self-hosted";
	c->run_id = "77";
	c->run_attempt = "3";
}

static const char *
str_at(const cJSON *o, const char *p1, const char *p2, const char *p3,
    const char *k)
{
	o = cJSON_GetObjectItemCaseSensitive(o, p1);
	if (p2)
		o = cJSON_GetObjectItemCaseSensitive(o, p2);
	if (p3)
		o = cJSON_GetObjectItemCaseSensitive(o, p3);
	return json_opt_str(o, k);
}

/* The shape and values @actions/attest's buildSLSAProvenancePredicate emits. */
static void
test_predicate_fields(void **state)
{
	struct prov_claims c;
	cJSON *p = NULL, *dep;

	(void)state;
	claims(&c);
	assert_int_equal(provenance_predicate(&c, &p), 0);
	assert_string_equal(
	    str_at(p, "buildDefinition", NULL, NULL, "buildType"),
	    "https://actions.github.io/buildtypes/workflow/v1");
	assert_string_equal(str_at(p, "buildDefinition", "externalParameters",
	                        "workflow", "ref"),
	    "refs/tags/v1.2.3");
	assert_string_equal(str_at(p, "buildDefinition", "externalParameters",
	                        "workflow", "repository"),
	    "https://github.com/octo-org/demo");
	assert_string_equal(str_at(p, "buildDefinition", "externalParameters",
	                        "workflow", "path"),
	    ".github/workflows/release.yml");
	assert_string_equal(str_at(p, "buildDefinition", "internalParameters",
	                        "github", "runner_environment"),
	    "self-hosted");
	assert_string_equal(str_at(p, "buildDefinition", "internalParameters",
	                        "github", "repository_id"),
	    "2002");
	dep = cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(p, "buildDefinition"),
	        "resolvedDependencies"),
	    0);
	assert_string_equal(json_opt_str(dep, "uri"),
	    "git+https://github.com/octo-org/demo@refs/tags/v1.2.3");
	assert_string_equal(
	    str_at(dep, "digest", NULL, NULL, "gitCommit"), c.sha);
	/* builder.id comes from job_workflow_ref (the reusable workflow). */
	assert_string_equal(str_at(p, "runDetails", "builder", NULL, "id"),
	    "https://github.com/octo-org/builders/.github/workflows/build.yml@refs/heads/main");
	assert_string_equal(
	    str_at(p, "runDetails", "metadata", NULL, "invocationId"),
	    "https://github.com/octo-org/demo/actions/runs/77/attempts/3");
	cJSON_Delete(p);
}

/*
 * workflow.path is JS `workflow_ref.replace(`${repository}/`, '')` cut at
 * '@': the first "<repository>/", not the first "<repository>".
 */
static void
test_workflow_path_like_js_replace(void **state)
{
	struct prov_claims c;
	cJSON *p = NULL;

	(void)state;
	claims(&c);
	c.repository = "o/r";
	c.workflow_ref = "o/rr/o/r/.github/workflows/x.yml@refs/heads/a@b";
	assert_int_equal(provenance_predicate(&c, &p), 0);
	assert_string_equal(str_at(p, "buildDefinition", "externalParameters",
	                        "workflow", "path"),
	    "o/rr/.github/workflows/x.yml");
	cJSON_Delete(p);
	c.workflow_ref = "elsewhere/.github/workflows/y.yml";
	assert_int_equal(provenance_predicate(&c, &p), 0);
	assert_string_equal(str_at(p, "buildDefinition", "externalParameters",
	                        "workflow", "path"),
	    "elsewhere/.github/workflows/y.yml");
	cJSON_Delete(p);
}

static void
test_missing_claim(void **state)
{
	struct prov_claims c;
	cJSON *p = NULL;

	(void)state;
	claims(&c);
	c.run_attempt = NULL;
	assert_int_equal(provenance_predicate(&c, &p), -1);
	assert_null(p);
}

static void
test_token_overrides_env(void **state)
{
	struct prov_claims c;
	cJSON *tok = NULL;
	const char *t =
	    "{\"job_workflow_ref\":\"a/b/.github/workflows/r.yml@v1\","
	    "\"ref\":\"refs/heads/x\",\"run_id\":\"\"}";

	(void)state;
	claims(&c);
	assert_int_equal(json_parse(t, strlen(t), "t", &tok), 0);
	prov_claims_from_token(&c, tok);
	assert_string_equal(
	    c.job_workflow_ref, "a/b/.github/workflows/r.yml@v1");
	assert_string_equal(c.ref, "refs/heads/x");
	assert_string_equal(c.run_id, "77"); /* empty claims do not erase */
	cJSON_Delete(tok);
}

static void
test_subjects(void **state)
{
	struct digest_item it[3];
	cJSON *st = NULL, *subj;
	struct buf out = BUF_INIT(0);

	(void)state;
	memset(it, 0, sizeof(it));
	it[0].path = "dist/app.tar.gz";
	it[1].path = "other/app.tar.gz"; /* same name and digest: dropped */
	it[2].path = "dist/app.zip";
	it[2].sha256[0] = 1;
	assert_int_equal(statement_build(it, 3, "https://example.com/p",
	                     cJSON_CreateObject(), &st),
	    0);
	subj = cJSON_GetObjectItemCaseSensitive(st, "subject");
	assert_int_equal(cJSON_GetArraySize(subj), 2);
	assert_string_equal(
	    json_opt_str(cJSON_GetArrayItem(subj, 0), "name"), "app.tar.gz");
	assert_string_equal(
	    json_opt_str(cJSON_GetArrayItem(subj, 1), "name"), "app.zip");
	assert_int_equal(statement_serialize(st, &out), 0);
	assert_non_null(strstr(out.data,
	    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
	    "\"app.tar.gz\",\"digest\":{\"sha256\":\"000000"));
	assert_non_null(strstr(out.data,
	    "\"predicateType\":\"https://example.com/p\",\"predicate\":{}}"));
	cJSON_Delete(st);
	buf_release(&out);
}

static void
test_subject_cap(void **state)
{
	size_t n = STATEMENT_MAX_SUBJECTS + 1, i;
	struct digest_item *it = calloc(n, sizeof(*it));
	cJSON *st = NULL;

	(void)state;
	for (i = 0; i < n; i++) {
		it[i].path = "f";
		memcpy(it[i].sha256, &i, sizeof(i));
	}
	assert_int_equal(statement_build(it, n, "t", NULL, &st), -1);
	assert_int_equal(statement_build(it, n - 1, "t", NULL, &st), 0);
	cJSON_Delete(st);
	assert_int_equal(statement_build(it, 0, "t", NULL, &st), -1);
	free(it);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predicate_fields),
		cmocka_unit_test(test_workflow_path_like_js_replace),
		cmocka_unit_test(test_missing_claim),
		cmocka_unit_test(test_token_overrides_env),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_subject_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
