#include "common/compat.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * `self-heal run`: run, classify the failure while the output streams
 * through, act by class, retry. The loop never sleeps after the last
 * attempt, and the exit status is the last attempt's, as timeout(1)
 * reports it: a signal death is 128+N, never 0.
 */
void
heal_run_opts_init(struct heal_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_attempts = 3;
	o->backoff = HEAL_BACKOFF_EXPONENTIAL;
	o->wait_ms = 10000;
	o->max_wait_ms = 600000;
	o->jitter = 0.2;
	strlist_init(&o->cleanup);
	strlist_init(&o->cache_paths);
	o->default_cleanup = true;
}

void
heal_run_opts_release(struct heal_run_opts *o)
{
	strlist_release(&o->cleanup);
	strlist_release(&o->cache_paths);
}

static double
jitter_rnd(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)getpid() * 2654435761u;
	return (double)v / 4294967296.0;
}

static void
fmt_ms(char *b, size_t n, int64_t ms)
{
	if (ms < 1000)
		snprintf(b, n, "%lldms", (long long)ms);
	else
		snprintf(b, n, "%.1fs", (double)ms / 1000.0);
}

/* The evidence is child output: between stop-commands markers inside
 * Actions, so a hostile line cannot become a workflow command. */
static void
print_evidence(const struct heal_match *m)
{
	struct gha_untrusted u;

	if (!m->evidence[0])
		return;
	fflush(stdout);
	gha_untrusted_begin(&u, stdout);
	if (m->line)
		printf("self-heal: evidence (line %ld): %s\n", m->line,
		    m->evidence);
	else
		printf("self-heal: evidence: %s\n", m->evidence);
	gha_untrusted_end(&u, stdout);
	fflush(stdout);
}

static int
run_on_retry(const struct heal_run_opts *o)
{
	struct strlist av = STRLIST_INIT;
	struct proc p = PROC_INIT;
	int rc;

	if (o->shell) {
		strlist_push(&av, "/bin/sh");
		strlist_push(&av, "-c");
		strlist_push(&av, o->on_retry);
	} else {
		strlist_split(&av, o->on_retry, ' ', 1);
	}
	if (!av.nr) {
		strlist_release(&av);
		return 0;
	}
	p.argv = av.items;
	p.stdin_fd = -1;
	p.timeout_ms = o->timeout_ms;
	rc = proc_run(&p);
	if (rc != 0)
		warn_msg(
		    "on-retry command '%s' failed (exit %d)", o->on_retry, rc);
	proc_release(&p);
	strlist_release(&av);
	return rc;
}

static bool
wants_retry(const struct heal_run_opts *o, enum heal_class c)
{
	if (c == HEAL_DETERMINISTIC || c == HEAL_DEPENDENCY)
		return o->retry_any;
	return o->retry_any || o->retry_on[c];
}

/* One attempt: returns the exit code or -1 if it could not start. */
static int
attempt_once(const struct heal_run_opts *o, char *const *argv,
    struct heal_rules *rules, struct heal_match *m, int *sig)
{
	struct heal_scan scan;
	struct heal_relay r;
	struct proc p = PROC_INIT;
	int code;

	heal_scan_init(&scan, rules);
	heal_relay_start(&r, &scan, o->quiet_child);
	p.argv = argv;
	p.timeout_ms = o->timeout_ms;
	p.grace_ms = o->grace_ms;
	p.stdin_fd = PROC_STDIN_INHERIT;
	p.on_chunk = heal_relay_chunk; /* relays and scans; no on_line */
	p.line_ctx = &r;
	p.pipe_size = HEAL_RELAY_PIPE;
	p.read_size = HEAL_RELAY_READ;
	code = proc_run(&p);
	heal_relay_stop(&r);
	*sig = 0;
	if (code >= 0) {
		code = proc_exit_code(&p);
		if (!p.timed_out && WIFSIGNALED(p.status))
			*sig = WTERMSIG(p.status);
		/* success: nothing to classify (nor rules to load) */
		memset(m, 0, sizeof(*m));
		if (code != 0 || *sig)
			heal_scan_result(
			    &scan, p.timed_out ? -1 : code, *sig, m);
		if (p.timed_out && (m->cls == HEAL_NONE ||
		                       heal_class_priority(m->cls) <
		                           heal_class_priority(HEAL_TIMEOUT))) {
			char tmp[80];
			int n = snprintf(tmp, sizeof(tmp),
			    "timed out after %lld ms",
			    (long long)o->timeout_ms);
			m->cls = HEAL_TIMEOUT;
			m->rule_id = "timeout";
			m->line = 0;
			heal_evidence_copy(
			    m->evidence, sizeof(m->evidence), tmp, (size_t)n);
		}
		/* a signal death is never success */
		if (*sig && code == 0)
			code = RC_SIGNAL_BASE + *sig;
	}
	proc_release(&p);
	heal_scan_release(&scan);
	return code;
}

int
heal_run(const struct heal_run_opts *o, struct heal_rules *rules,
    struct heal_run_result *res)
{
	struct strlist sh = STRLIST_INIT;
	char *const *argv = o->argv;
	unsigned retries[HEAL_CLASS_MAX] = { 0 };
	unsigned nretry = 0;
	int code = RC_WRAPPER;
	long a;

	memset(res, 0, sizeof(*res));
	if (heal_rules_compile(rules) < 0)
		return RC_WRAPPER;
	if (o->shell) {
		struct buf cmd = BUF_INIT(0);
		char *const *q;
		for (q = o->argv; *q; q++)
			(void)buf_addf(
			    &cmd, "%s%s", q == o->argv ? "" : " ", *q);
		strlist_push(&sh, "/bin/sh");
		strlist_push(&sh, "-c");
		strlist_push(&sh, cmd.data);
		buf_release(&cmd);
		argv = sh.items;
	}

	for (a = 1; a <= o->max_attempts; a++) {
		char num[24], desc[32];
		struct heal_match m;
		int sig;
		int64_t wait = 0;
		enum heal_class c;

		snprintf(num, sizeof(num), "%ld", a);
		setenv("SELF_HEAL_ATTEMPT", num, 1);
		code = attempt_once(o, argv, rules, &m, &sig);
		res->attempts = a;
		if (code < 0) {
			code = RC_WRAPPER;
			break;
		}
		res->exit_code = code;
		if (code == 0) {
			memset(&res->last, 0, sizeof(res->last));
			res->last.cls = HEAL_NONE;
			break;
		}
		if (m.cls == HEAL_NONE) {
			m.cls = HEAL_UNKNOWN;
			m.rule_id = "unknown";
		}
		res->last = m;
		c = m.cls;
		if (sig)
			snprintf(
			    desc, sizeof(desc), "killed by signal %d", sig);
		else
			snprintf(desc, sizeof(desc), "exit code %d", code);
		info_msg("attempt %ld of %ld failed (%s): class %s, rule '%s'",
		    a, o->max_attempts, desc, heal_class_name(c),
		    m.rule_id ? m.rule_id : "-");
		print_evidence(&m);

		if (a >= o->max_attempts)
			break; /* no sleep after the last attempt */
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
		    proc_cancelled()) {
			info_msg("not retrying: the command was cancelled");
			break;
		}
		if (!wants_retry(o, c)) {
			info_msg("not retrying: class %s is not retried%s",
			    heal_class_name(c),
			    c == HEAL_DETERMINISTIC ? " (a retry repeats it)"
			                            : "");
			break;
		}
		if (!o->retry_any && rules->limit[c] > 0 &&
		    retries[c] >= (unsigned)rules->limit[c]) {
			info_msg(
			    "not retrying: class %s already retried %u time%s",
			    heal_class_name(c), retries[c],
			    retries[c] == 1 ? "" : "s");
			break;
		}
		retries[c]++;
		nretry++;

		if (c == HEAL_DISK_FULL) {
			struct buf rep = BUF_INIT(1 << 16);
			(void)heal_disk_cleanup(o, &rep);
			if (rep.len)
				info_msg("disk cleanup:\n%s", rep.data);
			buf_release(&rep);
		} else if (c == HEAL_CACHE_CORRUPT) {
			struct buf rep = BUF_INIT(1 << 16);
			const struct heal_rule *rule = NULL;
			size_t i;
			for (i = 0; i < rules->nr; i++)
				if (m.rule_id &&
				    !strcmp(rules->v[i].id, m.rule_id))
					rule = &rules->v[i];
			(void)heal_cache_cleanup(o, rule, &rep);
			if (rep.len)
				info_msg("cache cleanup:\n%s", rep.data);
			buf_release(&rep);
		}

		if (c == HEAL_RATE_LIMIT && m.have_wait) {
			wait = m.wait_ms;
			if (o->max_wait_ms > 0 && wait > o->max_wait_ms)
				wait = o->max_wait_ms;
		} else if (c == HEAL_DISK_FULL || c == HEAL_CACHE_CORRUPT) {
			wait = 0; /* the remedy was the cleanup */
		} else {
			wait = heal_backoff_ms(o->backoff, o->wait_ms,
			    o->max_wait_ms, o->jitter, nretry, jitter_rnd());
		}
		{
			char w[32];
			fmt_ms(w, sizeof(w), wait);
			gha_annotate("warning", NULL,
			    "attempt %ld of %ld failed (%s, class %s); retrying in %s",
			    a, o->max_attempts, desc, heal_class_name(c), w);
		}
		if (o->on_retry)
			(void)run_on_retry(o);
		if (wait > 0) {
			heal_sleep(wait);
			res->slept_ms += wait;
			res->sleeps++;
		}
	}
	strlist_release(&sh);
	return code;
}

static void
add_row(struct buf *md, const char *k, const char *v)
{
	(void)buf_addf(md, "| %s | ", k);
	(void)heal_md_code(md, v);
	(void)buf_adds(md, " |\n");
}

int
heal_run_report(
    const struct heal_run_opts *o, const struct heal_run_result *res)
{
	char num[24], code[24];
	const char *cls =
	    res->exit_code == 0 ? "none" : heal_class_name(res->last.cls);
	struct buf md = BUF_INIT(1 << 16);
	int rc = 0;

	(void)o;
	snprintf(num, sizeof(num), "%ld", res->attempts);
	snprintf(code, sizeof(code), "%d", res->exit_code);
	{
		const struct gha_output outs[] = { { "attempts", num },
			{ "exit-code", code }, { "class", cls },
			{ "evidence",
			    res->exit_code ? res->last.evidence : "" } };

		if (gha_set_outputs(outs, ARRAY_SIZE(outs)) < 0)
			rc = -1;
	}
	(void)buf_addf(&md, "### self-heal run: %s after %ld attempt%s\n\n",
	    res->exit_code == 0 ? "succeeded" : "failed", res->attempts,
	    res->attempts == 1 ? "" : "s");
	(void)buf_adds(&md, "| | |\n|---|---|\n");
	add_row(&md, "exit code", code);
	add_row(&md, "class", cls);
	if (res->exit_code) {
		add_row(
		    &md, "rule", res->last.rule_id ? res->last.rule_id : "-");
		add_row(&md, "evidence", res->last.evidence);
	}
	if (gha_summary_append(md.data) < 0)
		rc = -1;
	buf_release(&md);
	return rc;
}
