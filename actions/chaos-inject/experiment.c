#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"

#include "chaos.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "experiment.h"

#define EXPERIMENT_MAX ((size_t)1 << 20)

void
chaos_experiment_init(struct chaos_experiment *e)
{
	size_t i;

	memset(e, 0, sizeof(*e));
	strlist_init(&e->args);
	strlist_init(&e->command);
	for (i = 0; i < CHAOS_MAX_PROBES; i++)
		strlist_init(&e->probes.p[i].command);
	for (i = 0; i < CHAOS_MAX_ROLLBACKS; i++)
		strlist_init(&e->rollbacks.c[i]);
	e->expect_exit = -1;
}

void
chaos_experiment_release(struct chaos_experiment *e)
{
	size_t i;

	strlist_release(&e->args);
	strlist_release(&e->command);
	for (i = 0; i < CHAOS_MAX_PROBES; i++)
		strlist_release(&e->probes.p[i].command);
	for (i = 0; i < CHAOS_MAX_ROLLBACKS; i++)
		strlist_release(&e->rollbacks.c[i]);
}

static int
node_err(const struct config_node *n, const char *what)
{
	char where[256];

	return error_msg(
	    "%s: %s", config_node_where(n, where, sizeof(where)), what);
}

/* A sequence of scalars into l. */
static int
get_cmd(const struct config_node *n, struct strlist *l)
{
	size_t i;

	if (n == NULL || config_node_kind(n) != CONFIG_SEQUENCE ||
	    config_node_len(n) == 0)
		return -1;
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *it = config_node_item(n, i);
		if (config_node_kind(it) != CONFIG_SCALAR)
			return -1;
		strlist_push(l, config_node_scalar(it));
	}
	return 0;
}

static int
probes_cb(const struct config_node *n, void *dst)
{
	struct chaos_probes *ps = dst;
	size_t i;

	if (config_node_kind(n) != CONFIG_SEQUENCE)
		return node_err(n, "'probes' must be a list");
	if (config_node_len(n) > CHAOS_MAX_PROBES)
		return node_err(n, "too many probes (max 16)");
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *m = config_node_item(n, i), *v;
		struct chaos_probe *p = &ps->p[ps->n++];

		if (config_node_kind(m) != CONFIG_MAPPING)
			return node_err(m, "a probe must be a mapping");
		v = config_node_get(m, "name");
		p->name = v != NULL && config_node_kind(v) == CONFIG_SCALAR
		              ? config_node_scalar(v)
		              : "probe";
		if (get_cmd(config_node_get(m, "command"), &p->command) != 0)
			return node_err(
			    m, "a probe needs 'command': a list of strings");
		p->timeout_ms = 60000;
		v = config_node_get(m, "expect-exit");
		if (v != NULL && (config_node_kind(v) != CONFIG_SCALAR ||
		                     opt_parse_long(config_node_scalar(v), 0,
		                         255, &p->expect) != 0))
			return node_err(v, "'expect-exit' must be 0..255");
		v = config_node_get(m, "timeout");
		if (v != NULL && (config_node_kind(v) != CONFIG_SCALAR ||
		                     opt_parse_duration(config_node_scalar(v),
		                         &p->timeout_ms) != 0))
			return node_err(v, "bad 'timeout'");
	}
	return 0;
}

static int
rollbacks_cb(const struct config_node *n, void *dst)
{
	struct chaos_cmds *cs = dst;
	size_t i;

	if (config_node_kind(n) != CONFIG_SEQUENCE)
		return node_err(n, "'rollbacks' must be a list");
	if (config_node_len(n) > CHAOS_MAX_ROLLBACKS)
		return node_err(n, "too many rollbacks (max 8)");
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *m = config_node_item(n, i);

		if (config_node_kind(m) != CONFIG_MAPPING ||
		    get_cmd(config_node_get(m, "command"), &cs->c[cs->n++]) !=
		        0)
			return node_err(
			    m, "a rollback needs 'command': a list of strings");
	}
	return 0;
}

int
chaos_experiment_load(struct chaos_experiment *e, struct config_doc *doc,
    const char *name, const char *data, size_t len)
{
	static const struct config_key keys[] = {
		{ "title", OPT_T_STRING,
		    offsetof(struct chaos_experiment, title), 0, 0, NULL },
		{ "seed", OPT_T_STRING, offsetof(struct chaos_experiment, seed),
		    0, 0, NULL },
		{ "steady-state-hypothesis.probes", OPT_T_CALLBACK,
		    offsetof(struct chaos_experiment, probes), 0, 0,
		    probes_cb },
		{ "method.scenario", OPT_T_STRING,
		    offsetof(struct chaos_experiment, scenario), 0, 0, NULL },
		{ "method.args", OPT_T_LIST,
		    offsetof(struct chaos_experiment, args), 0, 0, NULL },
		{ "method.command", OPT_T_LIST,
		    offsetof(struct chaos_experiment, command), 0, 0, NULL },
		{ "method.expect-exit", OPT_T_INT,
		    offsetof(struct chaos_experiment, expect_exit), 0, 255,
		    NULL },
		{ "rollbacks", OPT_T_CALLBACK,
		    offsetof(struct chaos_experiment, rollbacks), 0, 0,
		    rollbacks_cb },
		CONFIG_KEY_END,
	};

	if (config_load_mem(doc, name, data, len, keys, e) != 0)
		return -1;
	if (e->scenario == NULL)
		return error_msg("%s: missing 'method.scenario'", name);
	if (e->command.nr == 0)
		return error_msg("%s: missing 'method.command'", name);
	return 0;
}

/* Runs the probes; returns how many failed and records them in arr. */
static int
run_probes(const struct chaos_probes *ps, cJSON *arr, const char *phase)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < ps->n; i++) {
		const struct chaos_probe *p = &ps->p[i];
		struct proc pr;
		cJSON *o = cJSON_CreateObject();
		int code;

		proc_init(&pr);
		pr.argv = p->command.items;
		pr.timeout_ms = p->timeout_ms;
		code = proc_run(&pr);
		proc_release(&pr);
		cJSON_AddStringToObject(o, "phase", phase);
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddNumberToObject(o, "exit_code", code);
		cJSON_AddNumberToObject(o, "expected", (double)p->expect);
		cJSON_AddBoolToObject(o, "ok", code == p->expect);
		cJSON_AddItemToArray(arr, o);
		info_msg("probe '%s' (%s): exit %d, expected %ld: %s", p->name,
		    phase, code, p->expect,
		    code == p->expect ? "ok" : "DEVIATED");
		if (code != p->expect)
			failed++;
	}
	return failed;
}

static int
call_method(const struct chaos_experiment *e, const char *state,
    const struct strlist *allow_roots, chaos_method_fn *method)
{
	struct strlist av = STRLIST_INIT;
	size_t i;
	int rc;

	strlist_push(&av, "run");
	strlist_push(&av, "--scenario");
	strlist_push(&av, e->scenario);
	if (e->seed != NULL) {
		strlist_push(&av, "--seed");
		strlist_push(&av, e->seed);
	}
	if (state != NULL) {
		strlist_push(&av, "--state-dir");
		strlist_push(&av, state);
	}
	for (i = 0; allow_roots != NULL && i < allow_roots->nr; i++) {
		strlist_push(&av, "--allow-root");
		strlist_push(&av, allow_roots->items[i]);
	}
	for (i = 0; i < e->args.nr; i++)
		strlist_push(&av, e->args.items[i]);
	strlist_push(&av, "--");
	for (i = 0; i < e->command.nr; i++)
		strlist_push(&av, e->command.items[i]);
	rc = method((int)av.nr, av.items);
	strlist_release(&av);
	return rc;
}

int
chaos_experiment_main(const char *path, const char *journal,
    const char *state_dir, const struct strlist *allow_roots,
    chaos_method_fn *method)
{
	struct chaos_experiment e;
	struct config_doc doc = CONFIG_DOC_INIT;
	struct buf data = BUF_INIT(EXPERIMENT_MAX), out = BUF_INIT(0);
	cJSON *root = NULL, *probes;
	char *text = NULL;
	int rc = RC_USAGE, code = -1;
	bool deviated = false, before_ok;
	size_t i;

	chaos_experiment_init(&e);
	if (fs_read_file(path, EXPERIMENT_MAX, &data) != 0 ||
	    chaos_experiment_load(&e, &doc, path, data.data, data.len) != 0)
		goto out;
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "title", e.title ? e.title : path);
	cJSON_AddStringToObject(root, "scenario", e.scenario);
	probes = cJSON_AddArrayToObject(root, "steady_states");
	before_ok = run_probes(&e.probes, probes, "before") == 0;
	if (before_ok) {
		code = call_method(&e, state_dir, allow_roots, method);
		if (code == RC_USAGE) {
			error_msg(
			    "%s: the method's options were refused", path);
			deviated = true;
		} else {
			deviated =
			    run_probes(&e.probes, probes, "after") != 0 ||
			    (e.expect_exit >= 0 && code != e.expect_exit);
		}
	} else {
		error_msg(
		    "steady state does not hold before the experiment; method not run");
		deviated = true;
	}
	for (i = 0; i < e.rollbacks.n; i++) {
		struct proc pr;
		proc_init(&pr);
		pr.argv = e.rollbacks.c[i].items;
		if (proc_run(&pr) != 0)
			warn_msg("rollback command %zu failed", i + 1);
		proc_release(&pr);
	}
	cJSON_AddNumberToObject(root, "method_exit_code", code);
	cJSON_AddStringToObject(
	    root, "status", before_ok ? "completed" : "failed");
	cJSON_AddBoolToObject(root, "deviated", deviated);
	text = cJSON_Print(root);
	if (journal != NULL &&
	    fs_write_atomic(journal, text, strlen(text), 0644) != 0) {
		rc = RC_WRAPPER;
		goto out;
	}
	gha_set_output("deviated", deviated ? "true" : "false");
	buf_addf(&out, "### experiment: %s\n\nhypothesis %s\n",
	    e.title ? e.title : path, deviated ? "**deviated**" : "held");
	gha_summary_append(out.data);
	info_msg("hypothesis %s", deviated ? "DEVIATED" : "held");
	rc = code == RC_USAGE ? RC_USAGE : deviated ? RC_FAIL : RC_OK;
out:
	free(text);
	cJSON_Delete(root);
	buf_release(&data);
	buf_release(&out);
	chaos_experiment_release(&e);
	config_release(&doc);
	return rc;
}
