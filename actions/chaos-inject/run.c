#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "chaos_report.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"

/*
 * `chaos-inject run`: resolve the plan, journal and apply each change,
 * run the command with the shim preloaded into it alone, then undo
 * everything. The watchdog forked right after the journal is created
 * covers the case where we are SIGKILLed in between.
 */
extern char **environ;

int
chaos_find_shim(struct buf *out)
{
	static const char *const rel[] = { "/../lib/libbulwark-chaos.so",
		"/libbulwark-chaos.so", "/../lib/bulwark/libbulwark-chaos.so" };
	const char *env = getenv("BULWARK_CHAOS_LIB");
	char exe[PATH_MAX], *slash;
	ssize_t n;
	size_t i;

	buf_reset(out);
	if (env != NULL && *env != '\0') {
		if (access(env, R_OK) != 0)
			return error_errno("BULWARK_CHAOS_LIB '%s'", env);
		return buf_adds(out, env);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return error_errno("cannot find our own executable");
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	for (i = 0; i < ARRAY_SIZE(rel); i++) {
		char real[PATH_MAX];

		buf_reset(out);
		buf_addf(out, "%s%s", exe, rel[i]);
		if (realpath(out->data, real) != NULL) {
			buf_reset(out);
			return buf_adds(out, real);
		}
	}
	buf_reset(out);
	return error_msg(
	    "cannot find libbulwark-chaos.so next to '%s'; set BULWARK_CHAOS_LIB",
	    exe);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
pick_seed(const char *s, uint64_t *seed)
{
	char *end;

	if (s != NULL) {
		errno = 0;
		*seed = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' || end == s ||
		    *seed > (1ULL << 53) - 1)
			return error_msg(
			    "--seed '%s': expected an integer below 2^53", s);
		return 0;
	}
	if (getrandom(seed, sizeof(*seed), 0) != (ssize_t)sizeof(*seed))
		return error_errno("getrandom");
	*seed &= (1ULL << 53) - 1; /* exact in JSON numbers */
	return 0;
}

static void
build_env(struct strlist *env, const char *shim, const char *rules,
    uint64_t seed, const char *log, int64_t deadline, const char *proxy,
    bool trampoline)
{
	const char *old_preload = NULL;
	char **e;

	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "BULWARK_CHAOS_", 14) == 0)
			continue;
		if (shim != NULL && strncmp(*e, "LD_PRELOAD=", 11) == 0) {
			old_preload = *e + 11;
			continue;
		}
		strlist_push(env, *e);
	}
	strlist_push_owned(env,
	    xasprintf("BULWARK_CHAOS_SEED=%llu", (unsigned long long)seed));
	if (proxy != NULL)
		strlist_push_owned(
		    env, xasprintf("BULWARK_CHAOS_PROXY=%s", proxy));
	if (shim == NULL)
		return;
	/* through the __exec trampoline, the trampoline sets LD_PRELOAD
	 * right before exec: the shim is not loaded into chaos-inject itself
	 * (an ASan build refuses any preload) */
	strlist_push_owned(
	    env, old_preload != NULL && *old_preload != '\0'
	             ? xasprintf("%s=%s:%s",
	                   trampoline ? "BULWARK_CHAOS_PRELOAD" : "LD_PRELOAD",
	                   shim, old_preload)
	             : xasprintf("%s=%s",
	                   trampoline ? "BULWARK_CHAOS_PRELOAD" : "LD_PRELOAD",
	                   shim));
	strlist_push_owned(env, xasprintf("BULWARK_CHAOS_RULES=%s", rules));
	strlist_push_owned(env, xasprintf("BULWARK_CHAOS_LOG=%s", log));
	strlist_push(env, "BULWARK_CHAOS_LINEAGE=0000000000000000");
	if (deadline > 0)
		strlist_push_owned(env, xasprintf("BULWARK_CHAOS_DEADLINE=%lld",
		                            (long long)deadline));
}

/* argv for the command: through the __exec trampoline when rlimits are
 * to be set or a cgroup joined in the child only. */
static void
build_argv(struct strlist *av, const struct chaos_plan *p, char **cmd)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (p->limit_nofile > 0 || p->limit_as > 0 || p->limit_fsize > 0 ||
	    p->use_cgroup) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = '\0';
		strlist_push(av, exe);
		strlist_push(av, "__exec");
		strlist_push_owned(av, xasprintf("%ld", p->limit_nofile));
		strlist_push_owned(
		    av, xasprintf("%llu", (unsigned long long)p->limit_as));
		strlist_push_owned(
		    av, xasprintf("%llu", (unsigned long long)p->limit_fsize));
		strlist_push(av, p->use_cgroup ? p->cgroup_path.data : "-");
		strlist_push(av, "--");
	}
	for (; *cmd != NULL; cmd++)
		strlist_push(av, *cmd);
}

int
chaos_exec_main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned long long as, fsize;
	long nofile;

	/* __exec NOFILE AS FSIZE CGROUP|- -- cmd... */
	if (argc < 7 || strcmp(argv[5], "--") != 0)
		return RC_USAGE;
	if (strcmp(argv[4], "-") != 0 && chaos_cgroup_join(argv[4]) != 0)
		return RC_WRAPPER;
	if (getenv("BULWARK_CHAOS_PRELOAD") != NULL) {
		if (setenv("LD_PRELOAD", getenv("BULWARK_CHAOS_PRELOAD"), 1) !=
		    0) {
			error_errno("cannot set LD_PRELOAD");
			return RC_WRAPPER;
		}
		unsetenv("BULWARK_CHAOS_PRELOAD");
	}
	nofile = strtol(argv[1], NULL, 10);
	as = strtoull(argv[2], NULL, 10);
	fsize = strtoull(argv[3], NULL, 10);
	if (nofile > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			warn_msg(
			    "cannot set RLIMIT_NOFILE: %s", strerror(errno));
	}
	if (as > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)as;
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			warn_msg("cannot set RLIMIT_AS: %s", strerror(errno));
	}
	if (fsize > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)fsize;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			warn_msg(
			    "cannot set RLIMIT_FSIZE: %s", strerror(errno));
	}
	execvp(argv[6], argv + 6);
	error_errno("cannot run '%s'", argv[6]);
	return errno == ENOENT ? RC_NOTFOUND : RC_NOEXEC;
}

/* The root mechanisms the plan's probes found usable. */
static int
apply_root(
    struct chaos_plan *p, struct chaos_journal *j, struct chaos_report *rep)
{
	char what[160];
	int rc = 0;

	if (p->use_cgroup) {
		rc = chaos_cgroup_create(
		    j, p->cgroup_mount.data, &p->cgroup, p->cgroup_path.data);
		if (rc != 0)
			goto out;
		snprintf(what, sizeof(what),
		    "cpu.max %ld%% memory.max %llu pids.max %ld",
		    p->cgroup.cpu_pct, (unsigned long long)p->cgroup.memory,
		    p->cgroup.pids);
		chaos_report_note(rep, "cgroup '%s'", p->cgroup_path.data);
		chaos_report_fault(
		    rep, getpid(), "cgroup", 1, what, p->cgroup_path.data);
	}
	if (p->netem) {
		rc = chaos_netem_apply(
		    j, "netem", p->netem_delay_ns, p->netem_jitter_ns);
		if (rc != 0)
			goto out;
		snprintf(what, sizeof(what), "delay %llu ns jitter %llu ns",
		    (unsigned long long)p->netem_delay_ns,
		    (unsigned long long)p->netem_jitter_ns);
		chaos_report_fault(rep, getpid(), "netem", 1, what, "lo");
	}
out:
	return rc;
}

/* Applies the plan's file, disk and process changes, journaling each and
 * reporting each as a fault. Paths are checked again right before the
 * change: the plan was checked, but a symlink may have moved since. */
static int
apply_plan(struct chaos_plan *p, struct chaos_journal *j, const char *state,
    uint64_t seed, struct chaos_report *rep)
{
	static const char *const lim[] = { "RLIMIT_NOFILE", "RLIMIT_AS",
		"RLIMIT_FSIZE" };
	uint64_t lv[3];
	size_t i, n = 0, k = 0;
	pid_t pids[64];

	for (i = 0; i < p->mutate.nr; i++) {
		struct chaos_mut_result r;

		if (chaos_path_allowed(
		        p->mutate.items[i], &p->roots, "--file", 0) != 0 ||
		    chaos_mutate_file(j, state, p->mutate.items[i], p->mutation,
		        seed, i, &r) != 0)
			return -1;
		chaos_report_mutation(rep, p->mutate.items[i],
		    chaos_mutation_name(p->mutation), &r);
	}
	for (i = 0; i < p->aside.nr; i++) {
		if (chaos_path_allowed(
		        p->aside.items[i], &p->roots, "--cache-dir", 0) != 0 ||
		    chaos_move_aside(j, p->aside.items[i], seed) != 0)
			return -1;
		chaos_report_note(rep, "moved '%s' aside", p->aside.items[i]);
		chaos_report_fault(rep, getpid(), "move-aside", i + 1,
		    "cold cache", p->aside.items[i]);
	}
	if (p->fill_dir != NULL) {
		struct buf path = BUF_INIT(0);
		uint64_t filled;
		int rc = chaos_path_allowed(
		    p->fill_dir, &p->roots, "--fill-dir", CHAOS_PATH_INSIDE);

		if (rc == 0)
			rc = chaos_disk_fill(p->fill_dir, p->fill_size,
			    p->keep_free, j, &path, &filled);
		if (rc == 0) {
			char what[64];

			snprintf(what, sizeof(what), "fill %llu bytes",
			    (unsigned long long)filled);
			chaos_report_note(rep, "filled %llu bytes in '%s'",
			    (unsigned long long)filled, path.data);
			chaos_report_fault(
			    rep, getpid(), "disk-fill", 1, what, path.data);
		}
		buf_release(&path);
		if (rc != 0)
			return -1;
	}
	if (apply_root(p, j, rep) != 0)
		return -1;
	if (chaos_stress_start(&p->stress, j, pids, ARRAY_SIZE(pids), &n) != 0)
		return -1;
	if (n > 0)
		chaos_report_note(rep, "started %zu stressor process(es)", n);
	for (i = 0; i < n; i++)
		chaos_report_fault(rep, pids[i], "stress", i + 1,
		    (long)i < p->stress.cpu_workers ? "cpu spinner"
		                                    : "memory balloon",
		    NULL);
	/* set in the command by the __exec trampoline */
	lv[0] = p->limit_nofile > 0 ? (uint64_t)p->limit_nofile : 0;
	lv[1] = p->limit_as;
	lv[2] = p->limit_fsize;
	for (i = 0; i < ARRAY_SIZE(lim); i++)
		if (lv[i] > 0)
			chaos_report_fault(
			    rep, getpid(), "rlimit", ++k, lim[i], NULL);
	return 0;
}

int
chaos_run(struct chaos_run_opts *o, char **cmd)
{
	struct chaos_plan plan;
	struct chaos_journal j = CHAOS_JOURNAL_INIT;
	struct chaos_report rep;
	struct buf state = BUF_INIT(0), shim = BUF_INIT(0), addr = BUF_INIT(0);
	struct buf logpath = BUF_INIT(0), undo = BUF_INIT(0);
	struct strlist env = STRLIST_INIT, av = STRLIST_INIT;
	struct proc pr;
	uint64_t seed;
	int64_t deadline = 0;
	pid_t proxy_pid = -1, killer = -1;
	int rc = RC_WRAPPER, code = -1;
	size_t i;

	chaos_plan_init(&plan);
	chaos_report_init(&rep);
	proc_init(&pr);
	if (cmd == NULL || cmd[0] == NULL) {
		error_msg(
		    "missing command: chaos-inject run [options] -- CMD...");
		rc = RC_USAGE;
		goto out;
	}
	if (pick_seed(o->seed, &seed) != 0 ||
	    chaos_plan_build(o, seed, &plan) != 0) {
		rc = RC_USAGE;
		goto out;
	}
	if (plan.rules.len > 0 && chaos_find_shim(&shim) != 0 && !o->dry_run)
		goto out;
	if (chaos_state_dir(o->state_dir, &state) != 0)
		goto out;
	for (i = 0; i < plan.fallbacks.nr; i++)
		warn_msg("%s", plan.fallbacks.items[i]);
	build_argv(&av, &plan, cmd);
	if (chaos_fallback_check(&plan, &av, shim.len > 0 ? shim.data : NULL))
		buf_reset(&shim); /* strace injects; no preload into it */
	info_msg("seed %llu (replay with --seed %llu)",
	    (unsigned long long)seed, (unsigned long long)seed);
	if (o->dry_run) {
		chaos_print_plan(o, &plan, seed, &av, shim.data, o->json);
		rc = RC_OK;
		goto out;
	}
	if (chaos_rollback_stale(state.data, &undo) > 0)
		info_msg("rolled back journals of killed runs:\n%s", undo.data);
	buf_reset(&undo);
	if (chaos_journal_open(&j, state.data) != 0 ||
	    chaos_journal_start_watchdog(&j) != 0)
		goto out;
	if (o->duration_ms > 0)
		deadline = now_ms() + o->duration_ms;
	plan.stress.deadline_ms = deadline;
	plan.proxy_opts.deadline_ms = deadline;
	chaos_report_begin(&rep, o, &plan, seed, cmd);
	buf_addf(&logpath, "%s/faults-%d.jsonl", state.data, (int)getpid());
	if (chaos_journal_add(&j, "temp", logpath.data, NULL, NULL) != 0)
		goto out;
	if (apply_plan(&plan, &j, state.data, seed, &rep) != 0)
		goto out;
	if (plan.proxy &&
	    chaos_proxy_spawn(&plan.proxy_opts, &j, &proxy_pid, &addr) != 0)
		goto out;
	if (plan.proxy)
		chaos_report_note(&rep, "proxy listening on %s", addr.data);
	build_env(&env, shim.len > 0 ? shim.data : NULL, plan.rules.data, seed,
	    logpath.data, deadline, plan.proxy ? addr.data : NULL,
	    av.nr > 1 && strcmp(av.items[1], "__exec") == 0);
	pr.argv = av.items;
	pr.env = env.items;
	pr.timeout_ms = o->timeout_ms;
	pr.stdin_fd = PROC_STDIN_INHERIT;
	if (proc_start(&pr) != 0)
		goto out;
	if (chaos_journal_add_pid(&j, "group", pr.pid) != 0) {
		proc_kill_group(&pr, SIGKILL);
		goto out;
	}
	if (plan.kill_after_ms > 0 &&
	    chaos_killer_start(pr.pid, plan.kill_after_ms, seed, logpath.data,
	        &j, &killer) != 0)
		goto out;
	code = proc_wait(&pr);
	rc = code < 0 ? RC_WRAPPER : code;
out:
	if (j.path != NULL) {
		int rb;

		chaos_report_faults(&rep, logpath.data);
		rb = chaos_journal_finish(&j, &undo);
		chaos_report_end(&rep, code, rb == 0, undo.data);
		if (chaos_report_write(&rep, o->journal, state.data, o->json) !=
		        0 &&
		    rc == RC_OK)
			rc = RC_WRAPPER;
		if (rb != 0) {
			error_msg(
			    "rollback incomplete; run 'chaos-inject rollback --state-dir %s'",
			    state.data);
			rc = RC_WRAPPER;
		}
	} else {
		chaos_journal_release(&j);
	}
	proc_release(&pr);
	strlist_release(&env);
	strlist_release(&av);
	buf_release(&state);
	buf_release(&shim);
	buf_release(&addr);
	buf_release(&logpath);
	buf_release(&undo);
	chaos_report_release(&rep);
	chaos_plan_release(&plan);
	(void)proxy_pid;
	(void)killer;
	return rc;
}
