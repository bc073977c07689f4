/*
 * Root mechanisms: kernel netem on lo through rtnetlink and cgroup v2
 * limits, each behind a probe with one notice line on fallback. Nothing
 * is skipped: where a mechanism is missing here (this kernel has no
 * sch_netem; the hybrid cgroup2 mount has no cpu/memory/pids controller)
 * the test asserts the fallback and its notice instead, and the parts
 * that do exist (rtnetlink qdiscs, cgroup2 directories) are exercised.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "chaos.h"
#include "chaos_testutil.h"
#include "common/buf.h"
#include "common/log.h"

#define OUT_CAP (1 << 16)

static char dir[128], state[192];
static char *out;

#define sh(...) chaos_sh(out, OUT_CAP, __VA_ARGS__)

static int
setup(void **s)
{
	char tmpl[] = "/tmp/chaos-root-XXXXXX";

	(void)s;
	out = malloc(OUT_CAP);
	if (out == NULL || mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(state, sizeof(state), "%s/state", dir);
	if (mkdir(state, 0700) != 0)
		return -1;
	setenv("GITHUB_WORKSPACE", dir, 1);
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	sh("rm -rf '%s'", dir);
	free(out);
	return 0;
}

/* The rtnetlink path works (a tbf qdisc in a throwaway netns); netem
 * either works too or the reason names the missing module. */
static void
test_netem_probe(void **s)
{
	struct buf why = BUF_INIT(0);
	int rc;

	(void)s;
	if (geteuid() != 0) {
		assert_int_equal(chaos_netem_probe("netem", &why), -1);
		assert_non_null(strstr(why.data, "root"));
		buf_release(&why);
		return;
	}
	assert_int_equal(chaos_netem_probe("tbf", &why), 0);
	rc = chaos_netem_probe("netem", &why);
	if (rc != 0)
		assert_non_null(strstr(why.data, "sch_netem"));
	else
		assert_int_equal(why.len, 0);
	/* nothing of ours on the host's lo: undo is a no-op, and it never
	 * touches another device */
	assert_int_equal(chaos_netem_undo("lo", NULL), 0);
	log_set_sink(log_discard, NULL);
	assert_int_equal(chaos_netem_undo("eth0", NULL), -1);
	log_set_sink(NULL, NULL);
	buf_release(&why);
}

/* In a private network namespace (so the host's lo is never touched):
 * apply journals and adds our qdisc (tbf stands in for netem where the
 * kernel has none), rollback removes it, and the undo never removes a
 * qdisc with another handle. Returns a distinct code per failed step. */
static int
netns_apply_undo(void)
{
	struct chaos_journal j = CHAOS_JOURNAL_INIT;
	struct buf rep = BUF_INIT(0);

	if (unshare(CLONE_NEWNET) != 0)
		return 10;
	if (chaos_journal_open(&j, state) != 0)
		return 11;
	if (chaos_netem_apply(&j, "tbf", 0, 0) != 0)
		return 12;
	if (sh("tc qdisc show dev lo | grep -c 'b0c0: root'") != 0)
		return 13;
	if (chaos_journal_finish(&j, &rep) != 0 ||
	    strstr(rep.data, "removed qdisc b0c0:") == NULL)
		return 14;
	if (sh("tc qdisc show dev lo | grep -c 'b0c0:'") != 1)
		return 15;
	/* somebody else's root qdisc stays */
	if (sh("tc qdisc add dev lo root handle 1: tbf rate 1gbit burst 64k latency 10ms") !=
	        0 ||
	    chaos_netem_undo("lo", NULL) != 0 ||
	    sh("tc qdisc show dev lo | grep -c ' 1: root'") != 0)
		return 16;
	buf_release(&rep);
	return 0;
}

static void
test_netem_apply_and_rollback_in_netns(void **s)
{
	pid_t pid;
	int st;

	(void)s;
	if (geteuid() != 0) {
		struct buf why = BUF_INIT(0);

		/* without root the probe says so; nothing to apply */
		assert_int_equal(chaos_netem_probe("tbf", &why), -1);
		buf_release(&why);
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(netns_apply_undo());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Through the tool: --netem falls back to the shim with one notice line
 * (and the shim delays), or the journal shows the netem fault. */
static void
test_netem_fallback_notice(void **s)
{
	struct chaos_echo e = { -1, 0 };
	struct buf why = BUF_INIT(0);
	bool have = chaos_netem_probe("netem", &why) == 0;

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	assert_int_equal(
	    sh("cd %s && %s run --state-dir %s --scenario network-latency --netem --latency 50ms "
	       "--target 127.0.0.1:%d --journal %s/n.json -- true 2>&1; "
	       "grep -c '\"call\":\\s*\"netem\"' %s/n.json",
	        dir, CHAOS_BIN, state, e.port, dir, dir),
	    have ? 0 : 1);
	if (!have) {
		assert_int_equal(chaos_count(out, "netem unavailable"), 1);
		assert_non_null(strstr(out, "using the shim instead"));
	}
	/* the plan says the same without changing anything */
	assert_int_equal(
	    sh("%s run -n --state-dir %s --scenario network-latency --netem "
	       "--target 127.0.0.1:%d -- true 2>&1",
	        CHAOS_BIN, state, e.port),
	    0);
	assert_non_null(
	    strstr(out, have ? "kernel netem" : "rules: connect|send"));
	chaos_echo_stop(&e);
	buf_release(&why);
}

static bool
cgroup2_writable(struct buf *mount)
{
	struct chaos_cgroup want = { 0, 1, 0 }, use;
	struct buf why = BUF_INIT(0);
	int rc = chaos_cgroup_probe(&want, &use, mount, &why);

	buf_release(&why);
	return rc == 0;
}

/* The cgroup2 directory path: created (journaled), joined by a child,
 * and on rollback the child is killed and the directory removed. */
static void
test_cgroup_create_join_rollback(void **s)
{
	struct chaos_journal j = CHAOS_JOURNAL_INIT;
	struct chaos_cgroup none = { 0, 0, 0 };
	struct buf mount = BUF_INIT(0), path = BUF_INIT(0), rep = BUF_INIT(0);
	char procfile[64], line[512];
	FILE *f;
	pid_t child;
	int st, i;

	(void)s;
	if (!cgroup2_writable(&mount)) {
		struct chaos_cgroup want = { 0, 1, 0 }, use;
		struct buf why = BUF_INIT(0);

		/* no cgroup2 to write here: the probe says why */
		assert_int_equal(
		    chaos_cgroup_probe(&want, &use, &mount, &why), -1);
		assert_true(why.len > 0);
		buf_release(&why);
		goto out;
	}
	assert_int_equal(chaos_journal_open(&j, state), 0);
	chaos_cgroup_path(mount.data, &path);
	assert_int_equal(
	    chaos_cgroup_create(&j, mount.data, &none, path.data), 0);
	assert_int_equal(access(path.data, F_OK), 0);
	child = fork();
	if (child == 0) {
		if (chaos_cgroup_join(path.data) != 0)
			_exit(3);
		pause();
		_exit(0);
	}
	/* wait until it has joined */
	snprintf(procfile, sizeof(procfile), "/proc/%d/cgroup", (int)child);
	for (i = 0; i < 200; i++) {
		bool in = false;

		f = fopen(procfile, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "bulwark-chaos-") != NULL)
				in = true;
		fclose(f);
		if (in)
			break;
		usleep(10000);
	}
	assert_true(i < 200);
	assert_int_equal(chaos_journal_finish(&j, &rep), 0);
	assert_non_null(strstr(rep.data, "removed cgroup"));
	assert_int_not_equal(access(path.data, F_OK), 0);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* idempotent */
	assert_int_equal(chaos_cgroup_undo(path.data, NULL), 0);
out:
	chaos_journal_release(&j);
	buf_release(&mount);
	buf_release(&path);
	buf_release(&rep);
}

/* The controller dies (no rollback, no watchdog) with a process in its
 * cgroup: `chaos-inject rollback` kills it and removes the cgroup. */
static void
test_cgroup_rollback_after_controller_death(void **s)
{
	struct chaos_cgroup none = { 0, 0, 0 };
	struct buf mount = BUF_INIT(0), path = BUF_INIT(0);
	int p[2], st;
	pid_t ctl;

	(void)s;
	if (!cgroup2_writable(&mount)) {
		/* covered by the probe assertion above */
		buf_release(&mount);
		return;
	}
	assert_int_equal(pipe(p), 0);
	ctl = fork();
	if (ctl == 0) {
		struct chaos_journal j = CHAOS_JOURNAL_INIT;

		close(p[0]);
		chaos_cgroup_path(mount.data, &path);
		if (chaos_journal_open(&j, state) != 0 ||
		    chaos_cgroup_create(&j, mount.data, &none, path.data) != 0)
			_exit(1);
		if (fork() == 0) {
			int null = open("/dev/null", O_RDWR);

			/* not the journal's owner, never the test's stdout,
			 * and gone within a minute whatever happens */
			chaos_journal_release(&j);
			dup2(null, 1);
			dup2(null, 2);
			alarm(60);
			if (chaos_cgroup_join(path.data) != 0)
				_exit(1);
			/* tell the test we are in, then linger */
			if (write(p[1], path.data, path.len) < 0)
				_exit(1);
			close(p[1]);
			for (;;)
				pause();
		}
		_exit(0); /* "killed": the journal is left behind */
	}
	close(p[1]);
	assert_int_equal(waitpid(ctl, &st, 0), ctl);
	assert_int_equal(WEXITSTATUS(st), 0);
	memset(out, 0, 512);
	assert_true(read(p[0], out, 511) > 0);
	close(p[0]);
	buf_adds(&path, out);
	assert_int_equal(access(path.data, F_OK), 0);
	assert_int_equal(sh("%s rollback --state-dir %s", CHAOS_BIN, state), 0);
	assert_non_null(strstr(out, "removed cgroup"));
	assert_int_not_equal(access(path.data, F_OK), 0);
	/* idempotent */
	assert_int_equal(sh("%s rollback --state-dir %s", CHAOS_BIN, state), 0);
	assert_non_null(strstr(out, "rolled back 0 journal(s)"));
	buf_release(&mount);
	buf_release(&path);
}

/* A forged journal cannot aim the cgroup undo at another directory. */
static void
test_cgroup_undo_refuses_other_dirs(void **s)
{
	char other[256];

	(void)s;
	snprintf(other, sizeof(other), "%s/bulwark-chaos-1", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	log_set_sink(log_discard, NULL);
	assert_int_equal(chaos_cgroup_undo(other, NULL), -1);
	log_set_sink(NULL, NULL);
	assert_int_equal(access(other, F_OK), 0);
	rmdir(other);
}

/* Through the tool: the limits are set in a cgroup the command is in, or
 * each missing one falls back (memory.max -> RLIMIT_AS, pids.max -> fork
 * EAGAIN) with one notice line, and the fallback really bites. */
static void
test_cgroup_limits_or_fallback(void **s)
{
	struct chaos_cgroup want = { 50, 64 << 20, 1 }, use;
	struct buf mount = BUF_INIT(0), why = BUF_INIT(0);
	char ours[4200];
	long ctl;
	int rc;

	(void)s;
	rc = chaos_cgroup_probe(&want, &use, &mount, &why);
	/* builtins only up to the fork: pids.max 1 leaves no room for one;
	 * dash exits 2 when it cannot fork */
	assert_int_equal(
	    sh("cd %s && echo $$ && exec %s run --state-dir %s --scenario resource-exhaustion "
	       "--cgroup-cpu 50 --cgroup-memory 64M --cgroup-pids 1 -- "
	       "sh -c 'ulimit -v; while read l; do echo \"cg $l\"; done </proc/self/cgroup; "
	       "(true) && echo forked' 2>&1",
	        dir, CHAOS_BIN, state),
	    2);
	assert_null(strstr(out, "forked"));
	ctl = strtol(out, NULL, 10); /* the controller's pid names its cgroup */
	assert_true(ctl > 1);
	snprintf(ours, sizeof(ours), "%s/bulwark-chaos-%ld", mount.data, ctl);
	if (rc == 0 && why.len == 0) {
		/* all three controllers: the command is inside, no notice */
		assert_non_null(strstr(out, "bulwark-chaos-"));
		assert_null(strstr(out, "unavailable"));
	} else {
		assert_int_equal(
		    chaos_count(out, "cgroup v2 limits unavailable"), 1);
		if (use.memory == 0)
			assert_non_null(strstr(out, "\n65536\n"));
	}
	/* nothing left behind */
	assert_int_equal(sh("ls %s | grep -c undo-", state), 1);
	assert_int_not_equal(access(ours, F_OK), 0);
	buf_release(&mount);
	buf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_netem_probe),
		cmocka_unit_test(test_netem_apply_and_rollback_in_netns),
		cmocka_unit_test(test_netem_fallback_notice),
		cmocka_unit_test(test_cgroup_create_join_rollback),
		cmocka_unit_test(test_cgroup_rollback_after_controller_death),
		cmocka_unit_test(test_cgroup_undo_refuses_other_dirs),
		cmocka_unit_test(test_cgroup_limits_or_fallback),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
