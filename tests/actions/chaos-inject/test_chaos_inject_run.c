/*
 * `chaos-inject run` end to end with real victims: each scenario's fault
 * really happens, the command's status passes through, and everything is
 * rolled back: on a normal exit, and after kill -9 of the controller at
 * random points (30 trials), by the watchdog or by `rollback`.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include "chaos_testutil.h"

#define OUT_CAP (1 << 20)

static char dir[128], state[192], art[192], marker[256];
static char sum_before[65];
static char *out;

#define sh(...) chaos_sh(out, OUT_CAP, __VA_ARGS__)

static void
sha_of(const char *path, char hex[65])
{
	char cmd[300];
	int st;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s' | cut -c1-64", path);
	st = sh("%s", cmd);
	assert_int_equal(st, 0);
	memcpy(hex, out, 64);
	hex[64] = '\0';
}

static int
setup(void **state_)
{
	char tmpl[] = "/tmp/chaos-run-XXXXXX";

	(void)state_;
	out = malloc(OUT_CAP);
	if (out == NULL || mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(art, sizeof(art), "%s/ws/app.tar", dir);
	snprintf(marker, sizeof(marker), "BULWARK_CHAOS_STATE=%s", state);
	if (sh("mkdir -p %s/ws/cache && cd %s/ws && head -c 65536 /dev/urandom > app.tar && sha256sum app.tar > SHA256SUMS && echo hit > cache/entry",
	        dir, dir) != 0)
		return -1;
	sha_of(art, sum_before);
	setenv("BULWARK_CHAOS_STATE", state, 1);
	setenv("GITHUB_WORKSPACE", dir, 1);
	return 0;
}

static int
teardown(void **state_)
{
	(void)state_;
	sh("rm -rf '%s'", dir);
	free(out);
	return 0;
}

/* chaos-inject ARGS in dir/ws; returns its exit code. */
static int
chaos(const char *args)
{
	return sh("cd %s/ws && %s %s", dir, CHAOS_BIN, args);
}

static void
test_artifact_corruption_detected_and_restored(void **s)
{
	char after[65];

	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --scenario artifact-corruption --file app.tar --seed 11 --journal ../j.json -- sha256sum -c SHA256SUMS"),
	    1);
	assert_non_null(strstr(out, "FAILED"));
	sha_of(art, after);
	assert_string_equal(after, sum_before);
	assert_int_equal(sh("grep -c sha256_after %s/j.json", dir), 0);
	assert_int_equal(sh("grep -q '\"ok\":\\s*true' %s/j.json", dir), 0);
	/* a later check passes: the artifact is byte for byte back */
	assert_int_equal(sh("cd %s/ws && sha256sum -c SHA256SUMS", dir), 0);
}

static void
test_status_passes_through(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos("run -q --rule 'open,path=/nonexistent/' -- sh -c 'exit 7'"),
	    7);
	assert_int_equal(
	    chaos(
	        "run -q --rule 'open,path=/nonexistent/' -- sh -c 'kill -9 $$'"),
	    137);
	assert_int_equal(
	    chaos(
	        "run -q --rule 'open,path=/nonexistent/' -- /nonexistent-cmd"),
	    127);
}

static void
test_dd_gets_enospc(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --scenario custom --rule 'write,path=/tmp/,errno=ENOSPC' -- dd if=/dev/zero of=out.bin bs=4k count=4 2>&1; true"),
	    0);
	assert_non_null(strstr(out, "No space left on device"));
}

static void
test_dependency_failure_only_matched(void **s)
{
	struct chaos_echo a = { -1, 0 }, b = { -1, 0 };
	char args[1024];

	(void)s;
	assert_int_equal(chaos_echo_start(&a), 0);
	assert_int_equal(chaos_echo_start(&b), 0);
	snprintf(args, sizeof(args),
	    "run -q --scenario dependency-failure --target 127.0.0.1:%d --dns-fail registry.example.test -- python3 -c \""
	    "import socket\n"
	    "for p in (%d, %d):\n"
	    "  try: socket.create_connection(('127.0.0.1', p)).close(); print(p, 'ok')\n"
	    "  except OSError as e: print(p, e.errno == 111 and 'ECONNREFUSED' or e)\n"
	    "for h in ('registry.example.test', 'localhost'):\n"
	    "  try: socket.getaddrinfo(h, 80); print(h, 'ok')\n"
	    "  except socket.gaierror as e: print(h, 'dnsfail', e.errno)\n"
	    "\"",
	    a.port, a.port, b.port);
	assert_int_equal(chaos(args), 0);
	{
		char l1[64], l2[64];
		snprintf(l1, sizeof(l1), "%d ECONNREFUSED", a.port);
		snprintf(l2, sizeof(l2), "%d ok", b.port);
		assert_non_null(strstr(out, l1));
		assert_non_null(strstr(out, l2));
	}
	assert_non_null(strstr(out, "registry.example.test dnsfail"));
	assert_non_null(strstr(out, "localhost ok"));
	chaos_echo_stop(&a);
	chaos_echo_stop(&b);
}

/* Faults of a run, without pid and time: what must replay exactly. */
static void
faults_of(const char *journal, char *dst, size_t len)
{
	assert_int_equal(
	    sh("python3 -c \"import json; j=json.load(open('%s')); "
	       "print(sorted((f['lineage'], f['rule'], f['n'], f['call'], f.get('errno')) for f in j['faults']))\"",
	        journal),
	    0);
	snprintf(dst, len, "%s", out);
}

static int
flaky_run(int seed, const char *name)
{
	char args[1024];

	snprintf(args, sizeof(args),
	    "run -q --scenario flaky-tests --calls open --path %s/ws/ --probability 0.3 --seed %d --journal ../%s.json -- "
	    "sh -c 'for i in 1 2 3 4 5 6 7 8; do cat app.tar >/dev/null 2>&1; done; true'",
	    dir, seed, name);
	return chaos(args);
}

static void
test_same_seed_same_journal(void **s)
{
	static char a[65536], b[65536], c[65536];
	char path[256];

	(void)s;
	assert_int_equal(flaky_run(77, "a"), 0);
	assert_int_equal(flaky_run(77, "b"), 0);
	assert_int_equal(flaky_run(78, "c"), 0);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	faults_of(path, a, sizeof(a));
	snprintf(path, sizeof(path), "%s/b.json", dir);
	faults_of(path, b, sizeof(b));
	snprintf(path, sizeof(path), "%s/c.json", dir);
	faults_of(path, c, sizeof(c));
	assert_true(strlen(a) > 10); /* some faults were injected */
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void
test_cache_moved_aside_and_back(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --scenario cache-invalidation --cache-dir cache -- sh -c 'ls -A cache | wc -l; echo junk > cache/new'"),
	    0);
	assert_int_equal(strtol(out, NULL, 10), 0);
	assert_int_equal(
	    sh("cd %s/ws && cat cache/entry && ls -A cache | wc -l", dir), 0);
	assert_non_null(strstr(out, "hit\n1\n"));
}

static void
test_parallel_failure_kills_one_worker(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --scenario parallel-failure --kill-after 300ms --seed 5 --journal ../p.json -- "
	        "sh -c 'for i in 1 2 3 4; do (sleep 2; echo done) & done; wait'"),
	    0);
	/* three of four workers finished */
	assert_int_equal(chaos_count(out, "done\n"), 3);
	assert_int_equal(
	    sh("grep -c '\"call\":\\s*\"kill\"' %s/p.json", dir), 0);
	assert_int_equal(strtol(out, NULL, 10), 1);
}

static void
test_proxy_latency_lower_bound(void **s)
{
	struct chaos_echo e = { -1, 0 };
	char args[1024];

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	/* a lower bound only: a slow machine cannot make it flaky */
	snprintf(args, sizeof(args),
	    "run -q --scenario network-latency --proxy-upstream 127.0.0.1:%d --latency 200ms -- python3 -c \""
	    "import os, socket, time\n"
	    "h, p = os.environ['BULWARK_CHAOS_PROXY'].rsplit(':', 1)\n"
	    "s = socket.create_connection((h, int(p)))\n"
	    "t = time.monotonic(); s.sendall(b'x'); s.recv(1)\n"
	    "print('slow' if time.monotonic() - t >= 0.19 else 'fast')\n"
	    "\"",
	    e.port);
	assert_int_equal(chaos(args), 0);
	assert_non_null(strstr(out, "slow"));
	chaos_echo_stop(&e);
}

static void
test_shim_latency_per_send(void **s)
{
	struct chaos_echo e = { -1, 0 };
	char args[1024];

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	snprintf(args, sizeof(args),
	    "run -q --scenario network-latency --target 127.0.0.1:%d --latency 200ms --journal ../lat.json -- python3 -c \""
	    "import socket, time\n"
	    "s = socket.create_connection(('127.0.0.1', %d))\n"
	    "for i in range(3):\n"
	    "  t = time.monotonic(); s.sendall(b'x'); s.recv(1)\n"
	    "  print('slow' if time.monotonic() - t >= 0.19 else 'fast')\n"
	    "\"",
	    e.port, e.port);
	assert_int_equal(chaos(args), 0);
	assert_int_equal(chaos_count(out, "slow\n"), 3);
	/* connect + 3 sends, each delayed exactly 200 ms (no jitter) */
	assert_int_equal(
	    sh("python3 -c \"import json; f=json.load(open('%s/lat.json'))['faults']; "
	       "print(len(f), set((x['action'], x['delay_ns']) for x in f))\"",
	        dir),
	    0);
	assert_non_null(strstr(out, "4 {('delay', 200000000)}"));
	chaos_echo_stop(&e);
}

static void
test_timeout_connect_hangs_then_etimedout(void **s)
{
	struct chaos_echo e = { -1, 0 };
	char args[1024];

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	snprintf(args, sizeof(args),
	    "run -q --scenario timeout --target 127.0.0.1:%d --delay 300ms -- python3 -c \""
	    "import socket, time, errno\n"
	    "t = time.monotonic()\n"
	    "try: socket.create_connection(('127.0.0.1', %d)); print('connected')\n"
	    "except OSError as x: print(errno.errorcode[x.errno], time.monotonic() - t >= 0.29)\n"
	    "\"",
	    e.port, e.port);
	assert_int_equal(chaos(args), 0);
	assert_non_null(strstr(out, "ETIMEDOUT True"));
	chaos_echo_stop(&e);
}

static void
test_faults_expire_at_duration(void **s)
{
	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --duration 100ms --rule 'open,path=/tmp/,errno=EACCES' -- sh -c "
	        "'cat app.tar >/dev/null 2>&1 && echo early-ok || echo early-fail; sleep 0.3; "
	        "cat app.tar >/dev/null && echo late-ok'"),
	    0);
	assert_non_null(strstr(out, "early-fail"));
	assert_non_null(strstr(out, "late-ok"));
}

static void
test_memory_balloon_is_resident(void **s)
{
	long kb;

	(void)s;
	assert_int_equal(
	    chaos(
	        "run -q --scenario resource-exhaustion --memory 64M --mem-floor 1M -- sh -c "
	        "'sleep 0.5; for p in $(pgrep -x chaos-balloon); do grep -q BULWARK_CHAOS_STATE=$BULWARK_CHAOS_STATE /proc/$p/environ && grep VmRSS /proc/$p/status; done'"),
	    0);
	assert_non_null(strstr(out, "VmRSS:"));
	kb = strtol(strstr(out, "VmRSS:") + 6, NULL, 10);
	assert_true(kb >= 60 * 1024);
	/* gone after the run */
	assert_int_equal(
	    sh("for p in $(pgrep -x chaos-balloon); do grep -q %s /proc/$p/environ && echo left; done; true",
	        marker),
	    0);
	assert_null(strstr(out, "left"));
}

static void
test_static_binary_uses_strace(void **s)
{
	(void)s;
	if (access("/usr/bin/strace", X_OK) != 0 ||
	    sh("file -L /sbin/ldconfig | grep -q 'static'") != 0)
		skip();
	assert_int_equal(
	    chaos(
	        "run --rule 'open,errno=EACCES' -- /sbin/ldconfig -p 2>&1; true"),
	    0);
	assert_non_null(strstr(out, "strace --inject"));
	assert_non_null(strstr(out, "Permission denied"));
}

/* Processes still carrying this test's state dir in their environment,
 * zombies excluded: the controller's helpers and its command. */
static int
survivors(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], buf[65536], st[512];
		long pid = strtol(e->d_name, NULL, 10);
		ssize_t k, i;
		int fd;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		k = read(fd, st, sizeof(st) - 1);
		close(fd);
		if (k <= 0)
			continue;
		st[k] = '\0';
		if (strrchr(st, ')') != NULL && strrchr(st, ')')[2] == 'Z')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		k = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (i = 0; k > 0 && i < k; i += (ssize_t)strlen(buf + i) + 1) {
			buf[k] = '\0';
			if (strcmp(buf + i, marker) == 0) {
				n++;
				break;
			}
		}
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static pid_t
spawn_chaos(struct chaos_echo *e)
{
	char cmd[2048];
	pid_t pid;

	snprintf(cmd, sizeof(cmd),
	    "cd %s/ws && exec %s run -q --scenario artifact-corruption --file app.tar --cache-dir cache "
	    "--fill-dir %s --fill-size 1M --cpu 1 --cpu-load 10 --proxy-upstream 127.0.0.1:%d --toxic latency:latency=10ms "
	    "--rule 'open,path=/nonexistent/' -- sleep 30",
	    dir, CHAOS_BIN, dir, e->port);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool
fill_file_left(void)
{
	return sh("ls -A %s | grep -q bulwark-chaos-fill", dir) == 0;
}

static bool
settled(void)
{
	char now[65];
	int i;

	for (i = 0; i < 200; i++) {
		sha_of(art, now);
		if (strcmp(now, sum_before) == 0 && !fill_file_left() &&
		    survivors() == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static void
test_kill9_thirty_trials(void **s)
{
	struct chaos_echo e = { -1, 0 };
	unsigned seed = 12345;
	int t;

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	for (t = 0; t < 30; t++) {
		pid_t c = spawn_chaos(&e);
		useconds_t delay;

		seed = seed * 1103515245u + 12345u;
		/* anywhere from before setup to deep in the command */
		delay = (useconds_t)((seed >> 8) % 400000);
		usleep(delay);
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		if (!settled())
			fail_msg(
			    "trial %d (kill after %u us): state not restored",
			    t, (unsigned)delay);
	}
	chaos_echo_stop(&e);
}

/* GitHub's cancel: SIGINT to the step, SIGTERM 7.5 s later. */
static void
test_sigint_sigterm_roll_back(void **s)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct chaos_echo e = { -1, 0 };
	size_t k;

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	for (k = 0; k < 2; k++) {
		char now[65];
		pid_t c = spawn_chaos(&e);
		int st, i;

		for (i = 0; i < 100; i++) {
			sha_of(art, now);
			if (strcmp(now, sum_before) != 0)
				break;
			usleep(50000);
		}
		assert_string_not_equal(now, sum_before);
		usleep(200000); /* into proc_wait */
		kill(c, sigs[k]);
		waitpid(c, &st, 0);
		/* the command died of the forwarded signal; status passed on */
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 128 + sigs[k]);
		sha_of(art, now);
		assert_string_equal(now, sum_before);
		assert_false(fill_file_left());
		assert_true(settled());
	}
	chaos_echo_stop(&e);
}

static void
test_rollback_verb_after_watchdog_killed_too(void **s)
{
	struct chaos_echo e = { -1, 0 };
	char now[65];
	pid_t c;
	int i;

	(void)s;
	assert_int_equal(chaos_echo_start(&e), 0);
	c = spawn_chaos(&e);
	/* wait until the artifact is mutated */
	for (i = 0; i < 100; i++) {
		sha_of(art, now);
		if (strcmp(now, sum_before) != 0 && fill_file_left())
			break;
		usleep(50000);
	}
	assert_string_not_equal(now, sum_before);
	/* kill the controller, its watchdog, everything it started */
	/* stop them all first, so the watchdog cannot start a rollback */
	assert_int_equal(
	    sh("ps=$(grep -l -a -F '%s' /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); "
	       "for p in $ps; do [ $p = $$ ] || kill -STOP $p 2>/dev/null; done; "
	       "for p in $ps; do [ $p = $$ ] || kill -9 $p 2>/dev/null; done; true",
	        marker),
	    0);
	waitpid(c, NULL, 0);
	usleep(200000);
	/* nothing restored it: the journal is stale until rollback runs */
	sha_of(art, now);
	assert_string_not_equal(now, sum_before);
	assert_true(fill_file_left());
	assert_int_equal(sh("%s rollback --state-dir %s", CHAOS_BIN, state), 0);
	assert_non_null(strstr(out, "rolled back 1 journal(s)"));
	assert_non_null(strstr(out, "restored"));
	sha_of(art, now);
	assert_string_equal(now, sum_before);
	assert_false(fill_file_left());
	/* idempotent */
	assert_int_equal(sh("%s rollback --state-dir %s", CHAOS_BIN, state), 0);
	assert_non_null(strstr(out, "rolled back 0 journal(s)"));
	chaos_echo_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_artifact_corruption_detected_and_restored),
		cmocka_unit_test(test_status_passes_through),
		cmocka_unit_test(test_dd_gets_enospc),
		cmocka_unit_test(test_dependency_failure_only_matched),
		cmocka_unit_test(test_same_seed_same_journal),
		cmocka_unit_test(test_cache_moved_aside_and_back),
		cmocka_unit_test(test_parallel_failure_kills_one_worker),
		cmocka_unit_test(test_proxy_latency_lower_bound),
		cmocka_unit_test(test_shim_latency_per_send),
		cmocka_unit_test(test_timeout_connect_hangs_then_etimedout),
		cmocka_unit_test(test_faults_expire_at_duration),
		cmocka_unit_test(test_memory_balloon_is_resident),
		cmocka_unit_test(test_static_binary_uses_strace),
		cmocka_unit_test(test_kill9_thirty_trials),
		cmocka_unit_test(test_sigint_sigterm_roll_back),
		cmocka_unit_test(test_rollback_verb_after_watchdog_killed_too),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
