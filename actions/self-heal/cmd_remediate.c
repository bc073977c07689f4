#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/github.h"
#include "common/json.h"
#include "common/log.h"
#include "common/opt.h"
#include "heal.h"

/* Option table, validation and JSON for `self-heal remediate`. */
static bool
valid_chars(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static int
parse_issue_on(const char *s, struct heal_remediate_opts *o)
{
	struct strlist l = STRLIST_INIT;
	size_t i;
	int rc = 0;

	memset(o->issue_on, 0, sizeof(o->issue_on));
	strlist_split(&l, s, ',', 1);
	for (i = 0; i < l.nr && rc == 0; i++) {
		enum heal_class c;
		if (!strcmp(l.items[i], "none"))
			continue;
		if (heal_class_parse(l.items[i], &c) < 0)
			rc = error_msg(
			    "--issue-on: expected none or a list of classes");
		else
			o->issue_on[c] = true;
	}
	strlist_release(&l);
	return rc;
}

static cJSON *
result_json(
    const struct heal_remediate_opts *o, const struct heal_remediate_result *r)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	size_t i;

	cJSON_AddStringToObject(root, "repo", o->repo);
	cJSON_AddStringToObject(root, "run_id", o->run_id);
	cJSON_AddNumberToObject(root, "run_attempt", (double)r->run_attempt);
	cJSON_AddStringToObject(root, "decision", r->decision);
	cJSON_AddStringToObject(root, "reason", r->reason);
	cJSON_AddBoolToObject(root, "dry_run", o->dry_run);
	for (i = 0; i < r->njobs; i++) {
		const struct heal_job_verdict *v = &r->jobs[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "id", (double)v->id);
		cJSON_AddStringToObject(j, "name", v->name);
		cJSON_AddStringToObject(j, "conclusion", v->conclusion);
		cJSON_AddStringToObject(j, "class", heal_class_name(v->m.cls));
		cJSON_AddStringToObject(
		    j, "rule", v->m.rule_id ? v->m.rule_id : "");
		cJSON_AddNumberToObject(j, "line", (double)v->m.line);
		cJSON_AddStringToObject(j, "evidence", v->m.evidence);
		if (v->issue_action[0]) {
			cJSON_AddStringToObject(
			    j, "issue_action", v->issue_action);
			cJSON_AddNumberToObject(
			    j, "issue", (double)v->issue_number);
		}
		cJSON_AddItemToArray(arr, j);
	}
	cJSON_AddItemToObject(root, "jobs", arr);
	if (r->cache_ref[0]) {
		cJSON *c = cJSON_AddObjectToObject(root, "caches");
		cJSON *items = cJSON_AddArrayToObject(c, "items");
		cJSON_AddStringToObject(c, "ref", r->cache_ref);
		for (i = 0; i < r->ncaches; i++) {
			cJSON *it = cJSON_CreateObject();
			cJSON_AddNumberToObject(
			    it, "id", (double)r->caches[i].id);
			cJSON_AddStringToObject(it, "key", r->caches[i].key);
			cJSON_AddNumberToObject(
			    it, "size_in_bytes", (double)r->caches[i].size);
			cJSON_AddStringToObject(
			    it, "action", r->caches[i].action);
			cJSON_AddItemToArray(items, it);
		}
	}
	return root;
}

int
heal_cmd_remediate(int argc, char **argv)
{
	static const char *const usage[] = {
		"self-heal remediate --repo OWNER/REPO --run-id ID [options]",
		NULL,
	};
	struct heal_remediate_opts o;
	struct heal_remediate_result res;
	struct heal_rules rules = HEAL_RULES_INIT;
	struct github gh = GITHUB_INIT;
	const char *rules_file = NULL,
	           *issue_on = "deterministic,flaky_test,dependency";
	long max_run_attempts = 0;
	uint64_t max_log = (uint64_t)64 << 20;
	int64_t max_wait = 60000;
	bool json = false;
	int rc = RC_USAGE, idx;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	o.label = "self-heal";
	{
		const struct opt opts[] = {
			OPT_STRING_ENV(0, "repo", &o.repo, "OWNER/REPO",
			    "GITHUB_REPOSITORY", "repository of the run"),
			OPT_STRING(0, "run-id", &o.run_id, "ID",
			    "the failed workflow run (github.event.workflow_run.id)"),
			OPT_INT(0, "max-run-attempts", &max_run_attempts, "N",
			    1, 50,
			    "loop guard: no re-run once run_attempt reaches N (default 3)"),
			OPT_STRING(0, "rules", &rules_file, "FILE",
			    "YAML rules extending the built-in catalogue"),
			OPT_STRING(0, "issue-on", &issue_on, "CLASSES",
			    "classes that get an issue (default deterministic,flaky_test,dependency; none)"),
			OPT_STRING(0, "label", &o.label, "NAME",
			    "label of self-heal issues (default self-heal)"),
			OPT_SIZE(0, "max-log", &max_log,
			    "cap on one job's log (default 64M)"),
			OPT_DURATION(0, "max-wait", &max_wait,
			    "cap on a rate-limit wait before re-running (default 60s)"),
			OPT_BOOL(0, "open-pr", &o.open_pr,
			    "npm ERESOLVE: open one PR setting legacy-peer-deps (else an issue)"),
			OPT__DRY_RUN(&o.dry_run),
			OPT__JSON(&json),
			OPT__VERBOSE,
			OPT__QUIET,
			OPT_END(),
		};
		idx = opt_parse(argc, argv, opts, usage);
	}
	if (idx == OPT_DONE)
		return RC_OK;
	if (idx < 0)
		return RC_USAGE;
	if (idx < argc) {
		error_msg("remediate: unexpected argument '%s'", argv[idx]);
		goto out;
	}
	if (!o.repo || !strchr(o.repo, '/') || !valid_chars(o.repo, "_.-/") ||
	    strchr(strchr(o.repo, '/') + 1, '/')) {
		error_msg("--repo: expected OWNER/REPO, not '%s'",
		    o.repo ? o.repo : "");
		goto out;
	}
	if (!o.run_id || !valid_chars(o.run_id, "") || strlen(o.run_id) > 20 ||
	    strspn(o.run_id, "0123456789") != strlen(o.run_id)) {
		error_msg("--run-id: expected a number, not '%s'",
		    o.run_id ? o.run_id : "");
		goto out;
	}
	if (!valid_chars(o.label, "_.:-")) {
		error_msg("--label: use letters, digits and _.:- only");
		goto out;
	}
	if (parse_issue_on(issue_on, &o) < 0)
		goto out;
	if (heal_rules_setup(&rules, rules_file) < 0)
		goto out;
	o.max_run_attempts =
	    max_run_attempts ? max_run_attempts : rules.max_run_attempts;
	o.max_log =
	    max_log > ((uint64_t)1 << 30) ? (size_t)1 << 30 : (size_t)max_log;
	o.max_wait_ms = max_wait;
	o.json = json;
	if (github_init(&gh) < 0 || github_require_token(&gh) < 0)
		goto out;
	rc = RC_FAIL;
	if (heal_remediate(&o, &gh, &rules, &res) < 0)
		goto out;
	rc = RC_OK;
	{
		const struct gha_output outs[] = { { "decision", res.decision },
			{ "reason", res.reason } };

		(void)gha_set_outputs(outs, ARRAY_SIZE(outs));
	}
	if (json) {
		cJSON *j = result_json(&o, &res);
		char *s = json_print(j);
		puts(s);
		free(s);
		cJSON_Delete(j);
	}
out:
	heal_remediate_result_release(&res);
	heal_rules_release(&rules);
	github_release(&gh);
	return rc;
}
