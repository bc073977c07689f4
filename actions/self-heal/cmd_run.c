#include "common/compat.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/json.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "heal.h"

/* Option tables and glue for `run` and `classify`. */
static int
parse_retry_on(const char *s, struct heal_run_opts *o)
{
	struct strlist l = STRLIST_INIT;
	size_t i;
	int rc = 0;

	strlist_split(&l, s, ',', 1);
	for (i = 0; i < l.nr && rc == 0; i++) {
		const char *w = l.items[i];
		enum heal_class c;
		size_t k;

		while (*w == ' ')
			w++;
		if (!strcmp(w, "any")) {
			o->retry_any = true;
		} else if (!strcmp(w, "transient")) {
			for (k = 0; k < HEAL_CLASS_MAX; k++)
				if (heal_class_transient((enum heal_class)k))
					o->retry_on[k] = true;
		} else if (heal_class_parse(w, &c) == 0) {
			o->retry_on[c] = true;
		} else {
			rc = error_msg(
			    "--retry-on: expected transient, any or a list of classes");
		}
	}
	strlist_release(&l);
	return rc;
}

int
heal_cmd_run(int argc, char **argv)
{
	static const char *const usage[] = {
		"self-heal run [options] -- CMD [ARGS...]",
		NULL,
	};
	struct heal_run_opts o;
	struct heal_rules rules = HEAL_RULES_INIT;
	struct heal_run_result res;
	const char *backoff = "exponential", *retry_on = "transient";
	const char *rules_file = NULL;
	long max_attempts = 3;
	bool no_default_cleanup = false;
	int rc = RC_WRAPPER, idx;

	heal_run_opts_init(&o);
	{
		const struct opt opts[] = {
			OPT_INT(0, "max-attempts", &max_attempts, "N", 1, 100,
			    "attempts in total (default 3)"),
			OPT_DURATION(0, "timeout", &o.timeout_ms,
			    "time limit per attempt (default none)"),
			OPT_DURATION(0, "kill-grace", &o.grace_ms,
			    "SIGTERM to SIGKILL delay on timeout (default 5s)"),
			OPT_STRING(0, "backoff", &backoff, "KIND",
			    "exponential (default) or constant"),
			OPT_DURATION(0, "wait", &o.wait_ms,
			    "first wait between attempts (default 10s)"),
			OPT_DURATION(0, "max-wait", &o.max_wait_ms,
			    "cap on any wait, rate-limit waits too (default 10m)"),
			OPT_STRING(0, "retry-on", &retry_on, "WHAT",
			    "transient (default), any, or CLASS,..."),
			OPT_STRING(0, "rules", &rules_file, "FILE",
			    "YAML rules extending the built-in catalogue"),
			OPT_STRING(0, "on-retry", &o.on_retry, "CMD",
			    "command run before each retry"),
			OPT_BOOL(0, "shell", &o.shell,
			    "run CMD (and --on-retry) with /bin/sh -c"),
			OPT_LIST(0, "cleanup", &o.cleanup, "PATH",
			    "path deleted on disk_full (repeatable)"),
			OPT_LIST(0, "cache-path", &o.cache_paths, "PATH",
			    "cache deleted on cache_corrupt (repeatable)"),
			OPT_BOOL(0, "no-default-cleanup", &no_default_cleanup,
			    "skip the hosted-runner cleanup on disk_full"),
			OPT__VERBOSE,
			OPT__QUIET,
			OPT_END(),
		};
		idx = opt_parse(argc, argv, opts, usage);
	}
	if (idx == OPT_DONE) {
		rc = RC_OK;
		goto out;
	}
	if (idx < 0)
		goto out;
	if (idx >= argc) {
		error_msg(
		    "run: no command given; usage: self-heal run [options] -- CMD");
		goto out;
	}
	o.max_attempts = max_attempts;
	o.default_cleanup = !no_default_cleanup;
	if (!strcmp(backoff, "exponential"))
		o.backoff = HEAL_BACKOFF_EXPONENTIAL;
	else if (!strcmp(backoff, "constant"))
		o.backoff = HEAL_BACKOFF_CONSTANT;
	else {
		error_msg(
		    "--backoff: expected exponential or constant, not '%s'",
		    backoff);
		goto out;
	}
	if (parse_retry_on(retry_on, &o) < 0)
		goto out;
	if (rules_file == NULL)
		heal_rules_defer(&rules); /* built-ins: only when needed */
	else if (heal_rules_setup(&rules, rules_file) < 0)
		goto out;
	o.argv = argv + idx;
	rc = heal_run(&o, &rules, &res);
	if (heal_run_report(&o, &res) < 0 && rc == 0)
		rc = RC_WRAPPER;
out:
	heal_rules_release(&rules);
	heal_run_opts_release(&o);
	return rc;
}

/* Classifies one file ("-" = stdin) in 1 MiB reads: memory does not grow
 * with the log. */
static int
classify_file(const char *path, struct heal_rules *rules, struct heal_match *m,
    long *lines)
{
	static char chunk[1 << 20];
	struct heal_scan s;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	heal_scan_init(&s, rules);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			rc = error_errno("cannot read '%s'", path);
			break;
		}
		heal_scan_feed(&s, chunk, (size_t)n);
	}
	heal_scan_result(&s, -1, 0, m);
	*lines = s.lineno;
	heal_scan_release(&s);
	if (fd > 0)
		close(fd);
	return rc;
}

int
heal_cmd_classify(int argc, char **argv)
{
	static const char *const usage[] = {
		"self-heal classify [--rules FILE] [--json] LOG...",
		NULL,
	};
	struct heal_rules rules = HEAL_RULES_INIT;
	const char *rules_file = NULL;
	bool json = false;
	cJSON *arr = NULL;
	struct gha_untrusted u;
	int rc = RC_USAGE, idx, i;
	const struct opt opts[] = {
		OPT_STRING(0, "rules", &rules_file, "FILE",
		    "YAML rules extending the built-in catalogue"),
		OPT__JSON(&json),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};

	idx = opt_parse(argc, argv, opts, usage);
	if (idx == OPT_DONE)
		return RC_OK;
	if (idx < 0)
		return RC_USAGE;
	if (idx >= argc) {
		error_msg("classify: no log given");
		return RC_USAGE;
	}
	if (heal_rules_setup(&rules, rules_file) < 0)
		goto out;
	arr = cJSON_CreateArray();
	if (!json)
		gha_untrusted_begin(&u, stdout);
	rc = RC_OK;
	for (i = idx; i < argc; i++) {
		struct heal_match m;
		long lines = 0;
		const char *cls;

		if (classify_file(argv[i], &rules, &m, &lines) < 0) {
			rc = RC_FAIL;
			continue;
		}
		cls = m.cls == HEAL_NONE ? "unknown" : heal_class_name(m.cls);
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "log", argv[i]);
			cJSON_AddStringToObject(o, "class", cls);
			cJSON_AddBoolToObject(
			    o, "transient", heal_class_transient(m.cls));
			if (m.rule_id)
				cJSON_AddStringToObject(o, "rule", m.rule_id);
			else
				cJSON_AddNullToObject(o, "rule");
			cJSON_AddNumberToObject(o, "line", (double)m.line);
			cJSON_AddStringToObject(o, "evidence", m.evidence);
			cJSON_AddNumberToObject(o, "lines", (double)lines);
			if (m.have_wait)
				cJSON_AddNumberToObject(
				    o, "wait_ms", (double)m.wait_ms);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%s: %s", argv[i], cls);
			if (m.rule_id)
				printf(" (rule '%s', line %ld): %s", m.rule_id,
				    m.line, m.evidence);
			putchar('\n');
		}
		if (argc - idx == 1) {
			const struct gha_output outs[] = { { "class", cls },
				{ "rule", m.rule_id ? m.rule_id : "" },
				{ "evidence", m.evidence } };

			(void)gha_set_outputs(outs, ARRAY_SIZE(outs));
		}
	}
	if (json) {
		char *s = json_print(arr);
		puts(s);
		free(s);
	} else {
		gha_untrusted_end(&u, stdout);
	}
out:
	cJSON_Delete(arr);
	heal_rules_release(&rules);
	return rc;
}
