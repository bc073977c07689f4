/* `self-heal run` with real processes; sleeps go through a hook that
 * records them instead of waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/xalloc.h"

#include "heal.h"
#include "common/proc.h"
#include "tmpdir.h"

static int64_t slept[16];
static unsigned nslept;
static struct heal_rules rules;
static char *dir;

static void
record_sleep(int64_t ms, void *ctx)
{
	(void)ctx;
	if (nslept < 16)
		slept[nslept] = ms;
	nslept++;
}

static int
setup(void **state)
{
	(void)state;
	memset(&rules, 0, sizeof(rules));
	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	heal_set_sleep(record_sleep, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	heal_rules_release(&rules);
	return 0;
}

static int
each_setup(void **state)
{
	(void)state;
	nslept = 0;
	memset(slept, 0, sizeof(slept));
	dir = tmpdir_make();
	return 0;
}

static int
each_teardown(void **state)
{
	(void)state;
	tmpdir_remove(dir);
	free(dir);
	return 0;
}

/* Runs `sh -c script` with defaults for tests: transient retry set,
 * 3 attempts, 1 s base wait (recorded, not slept). */
static int
run_sh(const char *script, long attempts, struct heal_run_opts *o,
    struct heal_run_result *res)
{
	char *copy = xstrdup(script);
	char *argv[] = { "/bin/sh", "-c", copy, NULL };
	size_t k;
	int rc;
	o->argv = argv;
	o->max_attempts = attempts;
	o->wait_ms = 1000;
	o->quiet_child = true;
	o->default_cleanup = false;
	for (k = 0; k < HEAL_CLASS_MAX; k++)
		if (heal_class_transient((enum heal_class)k))
			o->retry_on[k] = true;
	rc = heal_run(o, &rules, res);
	free(copy);
	return rc;
}

static void
test_deterministic_not_retried(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(
	    run_sh("echo 'src/a.c:12:5: error: expected ;'; exit 3", 3, &o, &r),
	    3);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(r.last.cls, HEAL_DETERMINISTIC);
	assert_int_equal(nslept, 0);
	heal_run_opts_release(&o);
}

static void
test_network_retried_succeeds_on_2(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(
	    run_sh("if [ \"$SELF_HEAL_ATTEMPT\" = 1 ]; then "
	           "echo 'curl: (6) Could not resolve host: example.com'; "
	           "exit 6; fi; echo ok",
	        3, &o, &r),
	    0);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(nslept, 1);
	/* 1 s base, +-20% jitter */
	assert_in_range(slept[0], 800, 1200);
	heal_run_opts_release(&o);
}

static void
test_flaky_succeeds_on_3(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *script;
	(void)state;
	heal_run_opts_init(&o);
	script = xasprintf(
	    "n=$(cat %s/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s/n; "
	    "[ $n -ge 3 ] && exit 0; echo 'npm ERR! code ETIMEDOUT' >&2; exit 1",
	    dir, dir);
	assert_int_equal(run_sh(script, 5, &o, &r), 0);
	assert_int_equal(r.attempts, 3);
	/* exponential: the second wait is about twice the first */
	assert_int_equal(nslept, 2);
	assert_in_range(slept[1], 1600, 2400);
	free(script);
	heal_run_opts_release(&o);
}

static void
test_sigkill_is_137(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	int rc;
	(void)state;
	heal_run_opts_init(&o);
	rc = run_sh("echo working; kill -9 $$", 3, &o, &r);
	assert_int_equal(rc, 137);
	assert_int_not_equal(rc, 0);
	assert_int_equal(r.exit_code, 137);
	assert_int_equal(r.last.cls, HEAL_OOM);
	/* oom: at most one retry */
	assert_int_equal(r.attempts, 2);
	heal_run_opts_release(&o);
}

static bool
pid_gone(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	size_t n;
	char *p;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	/* reparented to a PID 1 that does not reap: a zombie is dead */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static void
test_timeout_kills_grandchild(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *script, *pidfile, *txt;
	pid_t gc;
	int i;
	(void)state;
	heal_run_opts_init(&o);
	pidfile = tmpdir_path(dir, "gc.pid");
	/* the grandchild is detached from its parent (double fork) and
	 * ignores SIGTERM, so only a group SIGKILL ends it */
	script = xasprintf(
	    "(trap '' TERM; sleep 300 & echo $! > %s.tmp; mv %s.tmp %s; "
	    "wait) & sleep 300",
	    pidfile, pidfile, pidfile);
	o.timeout_ms = 300;
	o.grace_ms = 200;
	assert_int_equal(run_sh(script, 1, &o, &r), 124);
	assert_int_equal(r.last.cls, HEAL_TIMEOUT);
	txt = tmpdir_read(pidfile, NULL);
	assert_non_null(txt);
	gc = (pid_t)strtol(txt, NULL, 10);
	assert_true(gc > 1);
	for (i = 0; i < 100 && !pid_gone(gc); i++)
		usleep(20000);
	assert_true(pid_gone(gc));
	free(txt);
	free(script);
	free(pidfile);
	heal_run_opts_release(&o);
}

static void
test_rate_limit_wait(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	const char *s = "echo 'HTTP/2 429 Too Many Requests'; "
	                "echo 'retry-after: 5'; exit 1";
	(void)state;
	heal_run_opts_init(&o);
	o.max_wait_ms = 60000;
	assert_int_equal(run_sh(s, 2, &o, &r), 1);
	assert_int_equal(r.last.cls, HEAL_RATE_LIMIT);
	assert_int_equal(nslept, 1);
	assert_int_equal(slept[0], 5000);
	/* capped */
	nslept = 0;
	o.max_wait_ms = 1500;
	assert_int_equal(run_sh(s, 2, &o, &r), 1);
	assert_int_equal(nslept, 1);
	assert_int_equal(slept[0], 1500);
	heal_run_opts_release(&o);
}

static void
test_no_sleep_after_last(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(
	    run_sh("echo 'read ECONNRESET'; exit 4", 4, &o, &r), 4);
	assert_int_equal(r.attempts, 4);
	assert_int_equal(nslept, 3);
	assert_int_equal(r.sleeps, 3);
	nslept = 0;
	assert_int_equal(
	    run_sh("echo 'read ECONNRESET'; exit 4", 1, &o, &r), 4);
	assert_int_equal(nslept, 0);
	heal_run_opts_release(&o);
}

static void
test_disk_cleanup_on_enospc(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *junk = tmpdir_path(dir, "junk");
	char *f;
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(mkdir(junk, 0700), 0);
	f = tmpdir_write(junk, "big", "xxxxxxxx");
	strlist_push(&o.cleanup, junk);
	assert_int_equal(
	    run_sh("if [ \"$SELF_HEAL_ATTEMPT\" = 1 ]; then "
	           "echo 'cp: error writing out: No space left on device'; "
	           "exit 1; fi",
	        3, &o, &r),
	    0);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(access(junk, F_OK), -1);
	/* the cleanup is the remedy: no backoff wait */
	assert_int_equal(nslept, 0);
	free(f);
	free(junk);
	heal_run_opts_release(&o);
}

static void
test_cache_cleanup(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *cache = tmpdir_path(dir, "cache");
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(mkdir(cache, 0700), 0);
	strlist_push(&o.cache_paths, cache);
	assert_int_equal(
	    run_sh("echo 'npm error code EINTEGRITY'; exit 1", 3, &o, &r), 1);
	/* cache_corrupt is retried once */
	assert_int_equal(r.attempts, 2);
	assert_int_equal(r.last.cls, HEAL_CACHE_CORRUPT);
	assert_int_equal(access(cache, F_OK), -1);
	free(cache);
	heal_run_opts_release(&o);
}

static void
test_not_found_and_retry_any(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *argv[] = { "/nonexistent/prog", NULL };
	(void)state;
	heal_run_opts_init(&o);
	o.argv = argv;
	o.quiet_child = true;
	assert_int_equal(heal_run(&o, &rules, &r), 127);
	assert_int_equal(r.attempts, 1);
	/* --retry-on any retries even a deterministic failure */
	o.retry_any = true;
	o.wait_ms = 1;
	assert_int_equal(heal_run(&o, &rules, &r), 127);
	assert_int_equal(r.attempts, 3);
	heal_run_opts_release(&o);
}

static void
test_on_retry(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	char *mark = tmpdir_path(dir, "mark");
	char *cmd = xasprintf("touch %s", mark);
	(void)state;
	heal_run_opts_init(&o);
	o.on_retry = cmd;
	assert_int_equal(run_sh("[ \"$SELF_HEAL_ATTEMPT\" = 2 ] || "
	                        "{ echo 'i/o timeout'; exit 1; }",
	                     2, &o, &r),
	    0);
	assert_int_equal(access(mark, F_OK), 0);
	free(cmd);
	free(mark);
	heal_run_opts_release(&o);
}

/* Coalescing: a read the size of a stdio buffer is followed by a short
 * pause, a few lines or a full pipe are not, and a full read right after
 * a pause halves the next pauses until there are none. Every chunk is
 * still scanned as it comes. */
static void
test_relay_coalesces(void **state)
{
	struct heal_scan scan;
	struct heal_relay r;
	const size_t full = HEAL_RELAY_READ;
	char *block = xmalloc(full);
	long first;
	int i;
	(void)state;
	memset(block, 'x', full);
	for (i = 1; i <= (int)(full / 1024); i++)
		block[i * 1024 - 1] = '\n';
	heal_scan_init(&scan, &rules);
	heal_relay_start(&r, &scan, true);
	first = r.nap_us;
	assert_true(first > 0);
	heal_relay_chunk(PROC_STDOUT, block, 100, &r); /* a few lines */
	assert_false(r.napped);
	heal_relay_chunk(PROC_STDOUT, block + 100, 8092, &r); /* a buffer */
	assert_true(r.napped);
	assert_int_equal(scan.lineno, 8);
	heal_relay_chunk(PROC_STDOUT, block + 8192, 8192, &r);
	assert_true(r.napped);
	assert_int_equal(r.nap_us, first);
	/* the pipe filled during the pause: pause less */
	heal_relay_chunk(PROC_STDOUT, block, full, &r);
	assert_false(r.napped);
	assert_true(r.nap_us < first);
	for (i = 0; i < 10; i++) {
		heal_relay_chunk(PROC_STDOUT, block, 8192, &r);
		heal_relay_chunk(PROC_STDOUT, block, full, &r);
	}
	/* a child faster than the pauses gets none at all */
	heal_relay_chunk(PROC_STDOUT, block, 8192, &r);
	assert_false(r.napped);
	assert_true(scan.lineno > 80);
	heal_relay_stop(&r);
	heal_scan_release(&scan);
	free(block);
}

/* Output is relayed while the child still runs: a line must arrive
 * without a flush from the end of the attempt. */
static void
test_relay_is_live(void **state)
{
	struct heal_scan scan;
	struct heal_relay r;
	struct pollfd pfd;
	int fds[2], saved;
	char got[64];
	ssize_t n;
	(void)state;
	assert_int_equal(pipe(fds), 0);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fds[1], 1), 1);
	heal_scan_init(&scan, &rules);
	heal_relay_start(&r, &scan, false);
	heal_relay_chunk(
	    PROC_STDOUT, "npm error code ECONNRESET\npart", 30, &r);
	/* the complete line is scanned at once, the partial one waits */
	assert_int_equal(scan.lineno, 1);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	/* generous: liveness, not speed */
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	n = read(fds[0], got, sizeof(got) - 1);
	assert_int_equal(n, 30);
	got[n] = 0;
	assert_string_equal(got, "npm error code ECONNRESET\npart");
	/* the end of the attempt closes the open line */
	heal_relay_stop(&r);
	n = read(fds[0], got, sizeof(got) - 1);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], '\n');
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	close(fds[0]);
	close(fds[1]);
	/* ... and is scanned when the attempt ends */
	assert_int_equal(scan.lineno, 2);
	heal_scan_release(&scan);
}
/*
 * A cancelled job: the runner's SIGTERM reaches us, we forward it, the
 * child traps it and exits 6 after a network error line. That looks
 * retryable, but the job was told to stop. Last in the list: the
 * cancellation is process-wide state (proc_cancelled) by design.
 */
static void
test_cancel_stops_retries(void **state)
{
	struct heal_run_opts o;
	struct heal_run_result r;
	(void)state;
	heal_run_opts_init(&o);
	assert_int_equal(proc_cancelled(), 0);
	assert_int_equal(
	    run_sh("trap 'exit 6' TERM; "
	           "echo 'curl: (6) Could not resolve host: example.com'; "
	           "kill -TERM $PPID; sleep 5 & wait",
	        3, &o, &r),
	    6);
	assert_int_equal(proc_cancelled(), SIGTERM);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(nslept, 0);
	heal_run_opts_release(&o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
		T(test_deterministic_not_retried),
		T(test_network_retried_succeeds_on_2),
		T(test_flaky_succeeds_on_3), T(test_sigkill_is_137),
		T(test_timeout_kills_grandchild), T(test_rate_limit_wait),
		T(test_no_sleep_after_last), T(test_disk_cleanup_on_enospc),
		T(test_cache_cleanup), T(test_not_found_and_retry_any),
		T(test_on_retry), T(test_relay_is_live),
		T(test_relay_coalesces),
		T(test_cancel_stops_retries), /* must stay last */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
