#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaos.h"
#include "experiment.h"
#include "common/exitcode.h"
#include "common/log.h"
#include "common/opt.h"
#include "rules.h"

/*
 * chaos-inject: real, reproducible fault injection inside one CI job.
 * Option tables only; the work is in the library files.
 */

static int
cmd_run(int argc, char **argv)
{
	struct chaos_run_opts o;
	const char *experiment = NULL;
	const struct opt opts[] = {
		OPT_STRING(0, "experiment", &experiment, "FILE",
		    "run a YAML experiment (probes, method, rollbacks)"),
		OPT_STRING('s', "scenario", &o.scenario, "NAME",
		    "one of 'chaos-inject scenarios' (default custom)"),
		OPT_STRING(0, "seed", &o.seed, "N",
		    "master seed (default random, printed)"),
		OPT_DURATION(0, "duration", &o.duration_ms,
		    "faults expire after this long"),
		OPT_DURATION(0, "timeout", &o.timeout_ms,
		    "kill the command after this long (exit 124)"),
		OPT_LIST(0, "rule", &o.rules, "RULE",
		    "extra shim rule (see chaos-inject(1)); repeatable"),
		OPT_STRING(0, "target", &o.target, "HOST:PORT",
		    "dependency the network rules aim at"),
		OPT_DURATION(0, "latency", &o.latency_ms,
		    "network-latency: added delay (default 200ms)"),
		OPT_DURATION(0, "jitter", &o.jitter_ms, "latency jitter"),
		OPT_DURATION(0, "delay", &o.delay_ms,
		    "timeout: how long connect hangs (default 5s)"),
		OPT_STRING(0, "proxy-listen", &o.proxy_listen, "HOST:PORT",
		    "proxy listen address (default 127.0.0.1:0)"),
		OPT_STRING(0, "proxy-upstream", &o.proxy_upstream, "HOST:PORT",
		    "run the TCP fault proxy in front of this upstream"),
		OPT_LIST(0, "toxic", &o.toxics, "SPEC",
		    "proxy toxic, e.g. latency:latency=200ms; repeatable"),
		OPT_LIST(0, "dns-fail", &o.dns_fail, "HOST",
		    "dependency-failure: resolving HOST fails"),
		OPT_STRING(0, "errno", &o.err, "NAME",
		    "errno for the scenario's rules"),
		OPT_INT(0, "cpu", &o.cpu, "N", 0, 256, "CPU spinners"),
		OPT_INT(0, "cpu-load", &o.cpu_load, "PCT", 1, 100,
		    "spinner duty cycle (default 100)"),
		OPT_SIZE(0, "memory", &o.memory, "memory balloon size"),
		OPT_SIZE(0, "mem-floor", &o.mem_floor,
		    "keep this much memory available (default 256M)"),
		OPT_STRING(0, "fill-dir", &o.fill_dir, "DIR",
		    "fill this directory's filesystem"),
		OPT_SIZE(0, "fill-size", &o.fill_size,
		    "fill exactly this much (default: to --keep-free)"),
		OPT_SIZE(0, "keep-free", &o.keep_free,
		    "free space to leave when filling (default 0: ENOSPC)"),
		OPT_INT(0, "limit-nofile", &o.limit_nofile, "N", 0, 1048576,
		    "RLIMIT_NOFILE for the command"),
		OPT_SIZE(
		    0, "limit-as", &o.limit_as, "RLIMIT_AS for the command"),
		OPT_SIZE(0, "limit-fsize", &o.limit_fsize,
		    "RLIMIT_FSIZE for the command"),
		OPT_INT(0, "cgroup-cpu", &o.cgroup.cpu_pct, "PCT", 0, 100000,
		    "root: cgroup v2 cpu.max, percent of one CPU"),
		OPT_SIZE(0, "cgroup-memory", &o.cgroup.memory,
		    "root: cgroup v2 memory.max (else RLIMIT_AS)"),
		OPT_INT(0, "cgroup-pids", &o.cgroup.pids, "N", 0, 4194304,
		    "root: cgroup v2 pids.max (else shim fork EAGAIN)"),
		OPT_BOOL(0, "netem", &o.netem,
		    "network-latency: root: kernel netem on lo (else shim/proxy)"),
		OPT_STRING(0, "malloc-fail", &o.malloc_fail, "P",
		    "malloc fails with probability P"),
		OPT_LIST(0, "file", &o.files, "PATH",
		    "artifact to mutate; repeatable"),
		OPT_STRING(0, "mutation", &o.mutation, "KIND",
		    "flip, truncate, zero or delete (default flip)"),
		OPT_LIST(0, "cache-dir", &o.cache_dirs, "DIR",
		    "cache directory to invalidate; repeatable"),
		OPT_STRING(0, "cache-mode", &o.cache_mode, "MODE",
		    "aside, enoent or eio (default aside)"),
		OPT_STRING(0, "probability", &o.probability, "P",
		    "flaky-tests: per-call failure probability (default 0.05)"),
		OPT_STRING(0, "calls", &o.calls, "CALLS",
		    "flaky-tests: calls to fail (default read|write)"),
		OPT_STRING(0, "path", &o.path, "PREFIX",
		    "flaky-tests: only files under this absolute prefix"),
		OPT_DURATION(0, "kill-after", &o.kill_after_ms,
		    "parallel-failure: SIGKILL one worker after this long"),
		OPT_STRING(0, "fork-fail", &o.fork_fail, "P",
		    "parallel-failure: fork fails with probability P"),
		OPT_STRING(0, "journal", &o.journal, "FILE",
		    "write the JSON journal here"),
		OPT_STRING_ENV(0, "state-dir", &o.state_dir, "DIR",
		    "BULWARK_CHAOS_STATE", "undo journals and backups"),
		OPT_LIST(0, "allow-root", &o.allow_roots, "DIR",
		    "also allow changes below DIR (blast radius); repeatable"),
		OPT_BOOL(0, "allow-nonlocal", &o.allow_nonlocal,
		    "let the proxy listen on a non-loopback address"),
		OPT__DRY_RUN(&o.dry_run),
		OPT__JSON(&o.json),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"chaos-inject run --scenario NAME [options] -- CMD [ARGS...]",
		"chaos-inject run --experiment FILE.yml [--journal FILE]",
		NULL,
	};
	int i, rc;

	chaos_run_opts_init(&o);
	i = opt_parse(argc, argv, opts, usage);
	if (i < 0) {
		rc = i == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	if (experiment != NULL) {
		if (i < argc) {
			error_msg(
			    "--experiment takes its command from the file");
			rc = RC_USAGE;
			goto out;
		}
		rc = chaos_experiment_main(experiment, o.journal, o.state_dir,
		    &o.allow_roots, cmd_run);
		goto out;
	}
	rc = chaos_run(&o, argv + i);
out:
	chaos_run_opts_release(&o);
	return rc;
}

static int
cmd_proxy(int argc, char **argv)
{
	struct chaos_proxy_opts o;
	const char *seed = NULL;
	struct strlist toxics = STRLIST_INIT;
	int64_t duration = 0;
	const struct opt opts[] = {
		OPT_STRING('l', "listen", &o.listen, "HOST:PORT",
		    "listen address (default 127.0.0.1:0)"),
		OPT_STRING('u', "upstream", &o.upstream, "HOST:PORT",
		    "where to forward"),
		OPT_LIST('t', "toxic", &toxics, "SPEC",
		    "e.g. latency:latency=200ms,jitter=10ms; repeatable"),
		OPT_STRING(
		    0, "seed", &seed, "N", "seed for toxicity and jitter"),
		OPT_DURATION(0, "duration", &duration, "stop after this long"),
		OPT_BOOL(0, "allow-nonlocal", &o.allow_nonlocal,
		    "listen on a non-loopback address"),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"chaos-inject proxy --upstream HOST:PORT [--listen HOST:PORT] [--toxic SPEC]...",
		NULL,
	};
	size_t k;
	int i, rc = RC_USAGE;

	memset(&o, 0, sizeof(o));
	o.ready_fd = 1;
	i = opt_parse(argc, argv, opts, usage);
	if (i < 0) {
		rc = i == OPT_DONE ? RC_OK : RC_USAGE;
		goto out;
	}
	if (o.upstream == NULL) {
		error_msg("missing --upstream HOST:PORT");
		goto out;
	}
	if (o.listen == NULL)
		o.listen = "127.0.0.1:0";
	if (seed != NULL) {
		long v;
		if (opt_parse_long(seed, 0, 0x7fffffffffffffffL, &v) != 0)
			goto out;
		o.seed = (uint64_t)v;
	}
	for (k = 0; k < toxics.nr; k++) {
		if (o.ntoxics == CHAOS_MAX_TOXICS) {
			error_msg("too many toxics (max %d)", CHAOS_MAX_TOXICS);
			goto out;
		}
		if (chaos_toxic_parse(
		        toxics.items[k], &o.toxics[o.ntoxics++]) != 0)
			goto out;
	}
	if (duration > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.deadline_ms =
		    (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + duration;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = chaos_proxy_run(&o) == 0 ? RC_OK : RC_WRAPPER;
out:
	strlist_release(&toxics);
	return rc;
}

static int
cmd_rollback(int argc, char **argv)
{
	const char *journal = NULL, *state = NULL;
	const struct opt opts[] = {
		OPT_STRING(0, "journal", &journal, "FILE",
		    "an undo journal (undo-PID.log)"),
		OPT_STRING_ENV(0, "state-dir", &state, "DIR",
		    "BULWARK_CHAOS_STATE",
		    "roll back every stale journal in DIR"),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};
	static const char *const usage[] = {
		"chaos-inject rollback [--journal FILE | --state-dir DIR]",
		NULL,
	};
	struct buf dir = BUF_INIT(0), rep = BUF_INIT(0);
	int i, rc;

	i = opt_parse(argc, argv, opts, usage);
	if (i < 0)
		return i == OPT_DONE ? RC_OK : RC_USAGE;
	if (journal != NULL) {
		rc = chaos_rollback_path(journal, false, &rep);
		if (rc == 1) {
			error_msg(
			    "journal '%s' belongs to a running chaos-inject",
			    journal);
			rc = RC_FAIL;
		} else {
			rc = rc == 0 ? RC_OK : RC_FAIL;
		}
	} else if (chaos_state_dir(state, &dir) != 0) {
		rc = RC_WRAPPER;
	} else {
		int n = chaos_rollback_stale(dir.data, &rep);
		rc = n < 0 ? RC_FAIL : RC_OK;
		if (n >= 0)
			printf("rolled back %d journal(s)\n", n);
	}
	if (rep.len > 0)
		fputs(rep.data, stdout);
	buf_release(&dir);
	buf_release(&rep);
	return rc;
}

static int
cmd_scenarios(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; chaos_scenarios[i] != NULL; i++)
		printf("%s\n", chaos_scenarios[i]);
	return RC_OK;
}

static int
cmd_check(int argc, char **argv)
{
	struct chaos_rules *rs;
	char err[200];
	int rc;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr,
		    "usage: chaos-inject check RULES\n");
		return argc == 2 ? RC_OK : RC_USAGE;
	}
	rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return RC_WRAPPER;
	rc = chaos_rules_parse(rs, argv[1], err, sizeof(err));
	if (rc != 0)
		error_msg("%s", err);
	else
		printf("%zu rule(s) ok\n", rs->n);
	free(rs);
	return rc == 0 ? RC_OK : RC_USAGE;
}

int
main(int argc, char **argv)
{
	static const struct subcmd cmds[] = {
		{ "run", cmd_run, "run a command under a fault scenario" },
		{ "proxy", cmd_proxy, "TCP fault proxy with toxics" },
		{ "rollback", cmd_rollback,
		    "undo what a killed run left behind" },
		{ "scenarios", cmd_scenarios, "list the scenarios" },
		{ "check", cmd_check, "validate shim rules" },
		{ NULL, NULL, NULL },
	};

	log_init("chaos-inject");
	if (argc > 1 && strcmp(argv[1], "__exec") == 0)
		return chaos_exec_main(argc - 1, argv + 1);
	return opt_dispatch(argc, argv, cmds,
	    "Real, reproducible fault injection for one CI job.");
}
