/*
 * Measured scenarios, through `chaos-inject run` the way a user runs it:
 * - network latency: +200 ms +- 10% through the shim and through the
 *   proxy, with and without jitter;
 * - flaky tests: a real victim run 1000 times under a seeded failure rule
 *   fails at the configured rate (binomial, 4 sigma), and the same seed
 *   gives the same pass/fail sequence.
 *
 * Timing on a noisy 2-core VM: noise only ever adds time, so each check
 * takes the MINIMUM of several round trips through the fault and
 * subtracts the minimum of direct round trips; that difference is the
 * injected delay, which must lie within the distribution's bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chaos_testutil.h"

#define OUT_CAP (1 << 16)
#define TRIPS 8
#define RUNS 1000

static char dir[128], client[192];
static char *out;
static struct chaos_echo echo = { -1, 0 };
static double direct_min;

/* Prints "min=MS max=MS" of TRIPS one-byte round trips, after connecting
 * (the connect itself is not timed); to argv's host:port or, with "proxy",
 * to $BULWARK_CHAOS_PROXY. */
static const char client_py[] =
    "import os, socket, sys, time\n"
    "if sys.argv[1] == 'proxy':\n"
    "    h, p = os.environ['BULWARK_CHAOS_PROXY'].rsplit(':', 1)\n"
    "else:\n"
    "    h, p = sys.argv[1], sys.argv[2]\n"
    "s = socket.create_connection((h, int(p)))\n"
    "s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)\n"
    "rtt = []\n"
    "for i in range(%d):\n"
    "    t = time.monotonic(); s.sendall(b'x')\n"
    "    assert s.recv(1) == b'x'\n"
    "    rtt.append((time.monotonic() - t) * 1000)\n"
    "print('min=%%.3f max=%%.3f' %% (min(rtt), max(rtt)))\n";

#define sh(...) chaos_sh(out, OUT_CAP, __VA_ARGS__)

/* Parses "min=A max=B" from out. */
static void
rtt_of(double *min, double *max)
{
	const char *p = strstr(out, "min=");

	assert_non_null(p);
	assert_int_equal(sscanf(p, "min=%lf max=%lf", min, max), 2);
}

static int
setup(void **s)
{
	char tmpl[] = "/tmp/chaos-measure-XXXXXX";
	FILE *f;
	double max;
	int i;

	(void)s;
	out = malloc(OUT_CAP);
	if (out == NULL || mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s", tmpl);
	snprintf(client, sizeof(client), "%s/client.py", dir);
	f = fopen(client, "w");
	if (f == NULL)
		return -1;
	fprintf(f, client_py, TRIPS);
	fclose(f);
	if (sh("mkdir -p %s/ws %s/state && echo data > %s/ws/marker", dir, dir,
	        dir) != 0)
		return -1;
	setenv("GITHUB_WORKSPACE", dir, 1);
	if (chaos_echo_start(&echo) != 0)
		return -1;
	/* the direct baseline: the best of a few runs */
	direct_min = 1e9;
	for (i = 0; i < 3; i++) {
		double m;

		if (sh("python3 %s 127.0.0.1 %d", client, echo.port) != 0 ||
		    strstr(out, "min=") == NULL ||
		    sscanf(strstr(out, "min="), "min=%lf max=%lf", &m, &max) !=
		        2)
			return -1;
		if (m < direct_min)
			direct_min = m;
	}
	return 0;
}

static int
teardown(void **s)
{
	(void)s;
	chaos_echo_stop(&echo);
	sh("rm -rf '%s'", dir);
	free(out);
	return 0;
}

/* chaos-inject run ARGS -- python3 client.py CLIENT_ARGS, in dir/ws */
static void
measure(const char *args, const char *client_args, double *min, double *max)
{
	assert_int_equal(
	    sh("cd %s/ws && %s run -q --state-dir %s/state %s -- python3 %s %s",
	        dir, CHAOS_BIN, dir, args, client, client_args),
	    0);
	rtt_of(min, max);
	*min -= direct_min;
	*max -= direct_min;
	print_message(
	    "    %s: added min %.3f ms, max %.3f ms\n", args, *min, *max);
}

static void
test_shim_latency_200ms(void **s)
{
	char args[256], cargs[64];
	double min, max;

	(void)s;
	snprintf(args, sizeof(args),
	    "--scenario network-latency --target 127.0.0.1:%d --latency 200ms",
	    echo.port);
	snprintf(cargs, sizeof(cargs), "127.0.0.1 %d", echo.port);
	measure(args, cargs, &min, &max);
	assert_true(min >= 180.0);
	assert_true(min <= 220.0);
}

static void
test_proxy_latency_200ms(void **s)
{
	char args[256];
	double min, max;

	(void)s;
	snprintf(args, sizeof(args),
	    "--scenario network-latency --proxy-upstream 127.0.0.1:%d --latency 200ms",
	    echo.port);
	measure(args, "proxy", &min, &max);
	assert_true(min >= 180.0);
	assert_true(min <= 220.0);
}

/* Jitter 20 ms: every delay lies in [180, 220]; the journal names each
 * one exactly, and they are not all the same. */
static void
test_shim_jitter_bounds(void **s)
{
	char args[320], cargs[64];
	double min, max;
	long lo, hi, n;

	(void)s;
	snprintf(args, sizeof(args),
	    "--scenario network-latency --target 127.0.0.1:%d --latency 200ms --jitter 20ms --seed 9 --journal %s/jit.json",
	    echo.port, dir);
	snprintf(cargs, sizeof(cargs), "127.0.0.1 %d", echo.port);
	measure(args, cargs, &min, &max);
	assert_true(min >= 180.0);
	assert_true(min <= 220.0);
	assert_int_equal(
	    sh("python3 -c \"import json; d=[f['delay_ns'] for f in json.load(open('%s/jit.json'))['faults']]; "
	       "print(len(d), min(d), max(d))\"",
	        dir),
	    0);
	assert_int_equal(sscanf(out, "%ld %ld %ld", &n, &lo, &hi), 3);
	assert_int_equal(n, TRIPS + 1); /* connect + each send */
	assert_true(lo >= 180000000L);
	assert_true(hi <= 220000000L);
	assert_true(hi > lo);
}

static void
test_proxy_jitter_bounds(void **s)
{
	char args[256];
	double min, max;

	(void)s;
	snprintf(args, sizeof(args),
	    "--scenario network-latency --proxy-upstream 127.0.0.1:%d --latency 200ms --jitter 20ms --seed 9",
	    echo.port);
	measure(args, "proxy", &min, &max);
	assert_true(min >= 180.0);
	assert_true(min <= 220.0);
	/* noise cannot make eight draws look equal */
	assert_true(max - min >= 1.0);
}

/* Runs the victim (cat of a marker file: one matched open) RUNS times in
 * one chaos-inject run; out gets one P or F per run. */
static void
flaky(int seed, char *seq, size_t len)
{
	assert_int_equal(
	    sh("cd %s/ws && %s run -q --state-dir %s/state --scenario flaky-tests --calls open "
	       "--path %s/ws/marker --probability 0.3 --seed %d --journal %s/flaky-%d.json -- "
	       "sh -c 'i=0; while [ $i -lt %d ]; do "
	       "if cat marker >/dev/null 2>&1; then printf P; else printf F; fi; "
	       "i=$((i+1)); done'",
	        dir, CHAOS_BIN, dir, dir, seed, dir, seed, RUNS),
	    0);
	snprintf(seq, len, "%s", out);
}

static void
test_flaky_rate_and_replay(void **s)
{
	static char a[RUNS + 1], b[RUNS + 1], c[RUNS + 1];
	double mean = RUNS * 0.3, sigma = 14.491; /* sqrt(1000 * .3 * .7) */
	long fails, logged;

	(void)s;
	flaky(4242, a, sizeof(a));
	assert_int_equal(strlen(a), RUNS);
	fails = (long)chaos_count(a, "F");
	print_message(
	    "    %ld of %d runs failed (expected %.0f)\n", fails, RUNS, mean);
	assert_true((double)fails >= mean - 4 * sigma);
	assert_true((double)fails <= mean + 4 * sigma);
	/* every failure is a journaled fault */
	assert_int_equal(
	    sh("python3 -c \"import json; print(len(json.load(open('%s/flaky-4242.json'))['faults']))\"",
	        dir),
	    0);
	logged = strtol(out, NULL, 10);
	assert_int_equal(logged, fails);
	/* the same seed replays the same sequence, another seed does not */
	flaky(4242, b, sizeof(b));
	assert_string_equal(a, b);
	flaky(4243, c, sizeof(c));
	assert_int_equal(strlen(c), RUNS);
	assert_string_not_equal(a, c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shim_latency_200ms),
		cmocka_unit_test(test_proxy_latency_200ms),
		cmocka_unit_test(test_shim_jitter_bounds),
		cmocka_unit_test(test_proxy_jitter_bounds),
		cmocka_unit_test(test_flaky_rate_and_replay),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
