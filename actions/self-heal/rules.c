#include "common/compat.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * Rule sets: the compiled-in catalogue plus a user YAML file (§10):
 *
 *   defaults: {max_run_attempts: 3}
 *   classes:  {network: {limit: 2}}
 *   rules:
 *     - {id: x, class: network, contains: "...", regex: "...",
 *        exit_code: 1, signal: 9, job_name: e2e, step_name: "npm ci",
 *        near: ["https?://"], window: 3, clean: ["~/.npm/_cacache"],
 *        disabled: false}
 */
void
heal_rule_release(struct heal_rule *r)
{
	size_t i;

	free(r->id);
	free(r->contains);
	free(r->regex);
	free(r->job_name);
	free(r->step_name);
	strlist_release(&r->near);
	strlist_release(&r->clean);
	if (r->has_re)
		regfree(&r->re);
	for (i = 0; i < r->nnear; i++)
		regfree(&r->near_re[i]);
	memset(r, 0, sizeof(*r));
}

static void
lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void
uncompile(struct heal_rules *rs)
{
	size_t i, j;

	for (i = 0; i < rs->nr; i++) {
		struct heal_rule *r = &rs->v[i];
		if (r->has_re)
			regfree(&r->re);
		r->has_re = false;
		for (j = 0; j < r->nnear; j++)
			regfree(&r->near_re[j]);
		r->nnear = 0;
		r->prepared = false;
	}
	heal_ac_free(rs->ac);
	rs->ac = NULL;
	rs->compiled = false;
}

static int
add_rule(struct heal_rules *rs, struct heal_rule *r, bool dedup)
{
	size_t i;

	lower(r->contains);
	lower(r->job_name);
	if (rs->compiled)
		uncompile(rs);
	for (i = 0; dedup && i < rs->nr; i++)
		if (!strcmp(rs->v[i].id, r->id)) {
			heal_rule_release(&rs->v[i]);
			rs->v[i] = *r;
			memset(r, 0, sizeof(*r));
			return 0;
		}
	if (rs->nr >= HEAL_MAX_RULES) {
		error_msg(
		    "rule '%s': more than %d rules", r->id, HEAL_MAX_RULES);
		heal_rule_release(r);
		return -1;
	}
	xgrow((void **)&rs->v, &rs->alloc, rs->nr + 1, sizeof(*rs->v));
	rs->v[rs->nr++] = *r;
	memset(r, 0, sizeof(*r));
	return 0;
}

int
heal_rules_add(struct heal_rules *rs, struct heal_rule *r)
{
	return add_rule(rs, r, true);
}

int
heal_rules_add_new(struct heal_rules *rs, struct heal_rule *r)
{
	return add_rule(rs, r, false);
}

void
heal_rules_release(struct heal_rules *rs)
{
	size_t i;

	uncompile(rs);
	for (i = 0; i < rs->nr; i++)
		heal_rule_release(&rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->nr = rs->alloc = 0;
}

/* POSIX ERE, bounded: length capped, no back-references (which are what
 * makes regex matching exponential). */
static int
compile_re(regex_t *re, const char *src, const char *id)
{
	char msg[128];
	const char *p;
	int rc;

	if (strlen(src) > HEAL_MAX_PATTERN)
		return error_msg("rule '%s': regex longer than %d bytes", id,
		    HEAL_MAX_PATTERN);
	for (p = src; *p; p++)
		if (p[0] == '\\' && p[1] >= '1' && p[1] <= '9')
			return error_msg(
			    "rule '%s': back-references are not allowed", id);
		else if (p[0] == '\\' && p[1])
			p++;
	rc = regcomp(re, src, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc) {
		regerror(rc, re, msg, sizeof(msg));
		return error_msg("rule '%s': bad regex '%s': %s", id, src, msg);
	}
	return 0;
}

int
heal_rule_prepare(struct heal_rule *r)
{
	size_t j;

	if (r->prepared)
		return 0;
	if (r->regex) {
		if (compile_re(&r->re, r->regex, r->id) < 0)
			return -1;
		r->has_re = true;
	}
	if (r->near.nr > HEAL_MAX_NEAR)
		return error_msg("rule '%s': more than %d near patterns", r->id,
		    HEAL_MAX_NEAR);
	for (j = 0; j < r->near.nr; j++) {
		if (compile_re(&r->near_re[j], r->near.items[j], r->id) < 0)
			return -1;
		r->nnear++;
	}
	r->prepared = true;
	return 0;
}

void
heal_rules_automaton(struct heal_rules *rs)
{
	const char **pats;
	size_t i;

	if (rs->ac)
		return;
	/* after the rules: the wait-hint keywords (heal_hint_keys) */
	pats = xcalloc(rs->nr + HEAL_NHINT, sizeof(*pats));
	for (i = 0; i < HEAL_NHINT; i++)
		pats[rs->nr + i] = heal_hint_keys[i];
	for (i = 0; i < rs->nr; i++) {
		const struct heal_rule *r = &rs->v[i];
		pats[i] = (r->contains && !r->disabled) ? r->contains : "";
	}
	rs->ac = heal_ac_build(pats, rs->nr + HEAL_NHINT);
	free(pats);
}

static int
compile_set(struct heal_rules *rs, bool all)
{
	size_t i;

	if (rs->compiled && !all)
		return 0;
	rs->any_near = false;
	rs->any_regex_only = false;
	for (i = 0; i < rs->nr; i++) {
		struct heal_rule *r = &rs->v[i];
		/* regex-only rules run on every line: compile them now */
		bool eager = all || !r->builtin || (r->regex && !r->contains);
		if (eager && !r->disabled && heal_rule_prepare(r) < 0) {
			uncompile(rs);
			return -1;
		}
		if (r->near.nr && !r->disabled)
			rs->any_near = true;
		if (r->regex && !r->contains && !r->disabled)
			rs->any_regex_only = true;
	}
	rs->compiled = true;
	return 0;
}

int
heal_rules_compile(struct heal_rules *rs)
{
	if (rs->deferred)
		return 0; /* heal_rules_ready compiles */
	return compile_set(rs, false);
}

int
heal_rules_check(struct heal_rules *rs)
{
	if (compile_set(rs, true) < 0)
		return -1;
	heal_rules_automaton(rs);
	return 0;
}

static int
where_err(const struct config_node *n, const char *what)
{
	char w[128];
	return error_msg("%s: %s", config_node_where(n, w, sizeof(w)), what);
}

static int
get_scalar(const struct config_node *n, char **out)
{
	const char *s;

	if (config_node_kind(n) != CONFIG_SCALAR)
		return where_err(n, "expected a string");
	s = config_node_scalar(n);
	free(*out);
	*out = xstrdup(s ? s : "");
	return 0;
}

static int
get_long(const struct config_node *n, long lo, long hi, long *out)
{
	if (config_node_kind(n) != CONFIG_SCALAR ||
	    opt_parse_long(config_node_scalar(n), lo, hi, out) < 0)
		return where_err(n, "expected a number");
	return 0;
}

static int
get_list(const struct config_node *n, struct strlist *l)
{
	size_t i;

	if (config_node_kind(n) == CONFIG_SCALAR) {
		strlist_push(l, config_node_scalar(n));
		return 0;
	}
	if (config_node_kind(n) != CONFIG_SEQUENCE)
		return where_err(n, "expected a string or a list");
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *it = config_node_item(n, i);
		if (config_node_kind(it) != CONFIG_SCALAR)
			return where_err(it, "expected a string");
		strlist_push(l, config_node_scalar(it));
	}
	return 0;
}

static int
parse_signal(const struct config_node *n, int *out)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "SIGKILL", SIGKILL }, { "SIGTERM", SIGTERM },
		{ "SIGSEGV", SIGSEGV }, { "SIGABRT", SIGABRT },
		{ "SIGINT", SIGINT }, { "SIGBUS", SIGBUS },
		{ "SIGILL", SIGILL }, { "SIGHUP", SIGHUP } };
	const char *s =
	    config_node_kind(n) == CONFIG_SCALAR ? config_node_scalar(n) : NULL;
	size_t i;
	long v;

	if (!s)
		return where_err(n, "expected a signal");
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (!strcasecmp(s, sigs[i].name) ||
		    !strcasecmp(s, sigs[i].name + 3)) {
			*out = sigs[i].sig;
			return 0;
		}
	if (opt_parse_long(s, 1, 64, &v) < 0)
		return where_err(n, "expected a signal");
	*out = (int)v;
	return 0;
}

static int
parse_rule(const struct config_node *m, struct heal_rule *r)
{
	size_t i;
	long v;

	if (config_node_kind(m) != CONFIG_MAPPING)
		return where_err(m, "a rule must be a mapping");
	for (i = 0; i < config_node_len(m); i++) {
		const char *k = config_node_key(m, i);
		const struct config_node *val = config_node_value(m, i);
		const char *s = config_node_kind(val) == CONFIG_SCALAR
		                    ? config_node_scalar(val)
		                    : NULL;
		int rc = 0;

		if (!strcmp(k, "id")) {
			rc = get_scalar(val, &r->id);
		} else if (!strcmp(k, "class")) {
			if (!s || heal_class_parse(s, &r->cls) < 0)
				rc = where_err(val, "unknown class");
		} else if (!strcmp(k, "contains")) {
			rc = get_scalar(val, &r->contains);
			if (!rc && strlen(r->contains) > HEAL_MAX_PATTERN)
				rc = where_err(val, "'contains' too long");
		} else if (!strcmp(k, "regex")) {
			rc = get_scalar(val, &r->regex);
		} else if (!strcmp(k, "exit_code")) {
			rc = get_long(val, 0, 255, &r->exit_code);
		} else if (!strcmp(k, "signal")) {
			rc = parse_signal(val, &r->signal);
		} else if (!strcmp(k, "job_name")) {
			rc = get_scalar(val, &r->job_name);
		} else if (!strcmp(k, "step_name")) {
			rc = get_scalar(val, &r->step_name);
		} else if (!strcmp(k, "near")) {
			rc = get_list(val, &r->near);
		} else if (!strcmp(k, "window")) {
			rc = get_long(val, 1, HEAL_MAX_WINDOW - 1, &v);
			r->window = (int)v;
		} else if (!strcmp(k, "clean")) {
			rc = get_list(val, &r->clean);
		} else if (!strcmp(k, "disabled")) {
			r->disabled =
			    s && (!strcmp(s, "true") || !strcmp(s, "yes"));
		} else {
			char w[128];
			rc = error_msg("%s: unknown rule key '%s'",
			    config_node_where(val, w, sizeof(w)), k);
		}
		if (rc < 0)
			return -1;
	}
	if (!r->id || !*r->id)
		return where_err(m, "a rule needs an 'id'");
	if (!r->disabled && r->cls == HEAL_NONE)
		return where_err(m, "a rule needs a 'class'");
	return 0;
}

static int
rules_cb(const struct config_node *n, void *dst)
{
	struct heal_rules *rs = dst;
	size_t i;

	if (config_node_kind(n) != CONFIG_SEQUENCE)
		return where_err(n, "'rules' must be a list");
	for (i = 0; i < config_node_len(n); i++) {
		struct heal_rule r;
		memset(&r, 0, sizeof(r));
		r.exit_code = -1;
		strlist_init(&r.near);
		strlist_init(&r.clean);
		if (parse_rule(config_node_item(n, i), &r) < 0) {
			heal_rule_release(&r);
			return -1;
		}
		if (heal_rules_add(rs, &r) < 0)
			return -1;
	}
	return 0;
}

static int
classes_cb(const struct config_node *n, void *dst)
{
	struct heal_rules *rs = dst;
	size_t i;

	if (config_node_kind(n) != CONFIG_MAPPING)
		return where_err(n, "'classes' must be a mapping");
	for (i = 0; i < config_node_len(n); i++) {
		const struct config_node *v = config_node_value(n, i);
		const struct config_node *lim;
		enum heal_class c;
		long l;

		if (heal_class_parse(config_node_key(n, i), &c) < 0)
			return where_err(v, "unknown class");
		if (config_node_kind(v) != CONFIG_MAPPING)
			return where_err(v, "expected a mapping");
		lim = config_node_get(v, "limit");
		if (lim) {
			if (get_long(lim, 0, 100, &l) < 0)
				return -1;
			rs->limit[c] = (int)l;
		}
	}
	return 0;
}

static int
defaults_cb(const struct config_node *n, void *dst)
{
	struct heal_rules *rs = dst;
	const struct config_node *m;

	if (config_node_kind(n) != CONFIG_MAPPING)
		return where_err(n, "'defaults' must be a mapping");
	m = config_node_get(n, "max_run_attempts");
	if (m && get_long(m, 1, 50, &rs->max_run_attempts) < 0)
		return -1;
	return 0;
}

static const struct config_key keys[] = {
	{ "defaults", OPT_T_CALLBACK, 0, 0, 0, defaults_cb },
	{ "classes", OPT_T_CALLBACK, 0, 0, 0, classes_cb },
	{ "rules", OPT_T_CALLBACK, 0, 0, 0, rules_cb },
	CONFIG_KEY_END,
};

int
heal_rules_load(struct heal_rules *rs, const char *path)
{
	struct config_doc doc = CONFIG_DOC_INIT;
	int rc = config_load(&doc, path, keys, rs);

	config_release(&doc);
	return rc;
}

int
heal_rules_load_mem(
    struct heal_rules *rs, const char *name, const char *data, size_t len)
{
	struct config_doc doc = CONFIG_DOC_INIT;
	int rc = config_load_mem(&doc, name, data, len, keys, rs);

	config_release(&doc);
	return rc;
}

int
heal_rules_setup(struct heal_rules *rs, const char *user_file)
{
	heal_rules_builtin(rs);
	if (user_file && heal_rules_load(rs, user_file) < 0)
		return -1;
	return heal_rules_compile(rs);
}

void
heal_rules_defer(struct heal_rules *rs)
{
	rs->deferred = true;
}

int
heal_rules_ready(struct heal_rules *rs)
{
	if (!rs->deferred)
		return 0;
	rs->deferred = false;
	heal_rules_builtin(rs);
	return heal_rules_compile(rs);
}
