/*
 * libbulwark-chaos.so loaded into a real process (chaos_victim): faults
 * fire as the rules say, with the chosen errno, and replay exactly from the
 * seed, in forked and exec'd children too. The victim and the shim are
 * built without sanitizers, so this runs in ASan builds as well.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "chaos_testutil.h"

#define OUT_CAP 65536

static char file[256];

static int
setup(void **state)
{
	char dir[] = "/tmp/chaos-shim-XXXXXX";
	FILE *f;

	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/data.txt", dir);
	f = fopen(file, "w");
	if (f == NULL)
		return -1;
	fputs("payload\n", f);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	char dir[256];

	(void)state;
	unlink(file);
	snprintf(dir, sizeof(dir), "%s", file);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	return 0;
}

/* Runs the victim with the shim, rules and seed; output into out. */
static int
victim(const char *rules, const char *seed, const char *log, char *out,
    const char *a1, const char *a2, const char *a3, const char *a4,
    const char *a5, const char *a6)
{
	static char e_pre[512], e_rules[1024], e_seed[64], e_log[512];
	static char args[7][512];
	const char *in[7] = { CHAOS_VICTIM, a1, a2, a3, a4, a5, a6 };
	char *argv[8];
	char *extra[6];
	int i, n = 0;

	for (i = 0; i < 7 && in[i] != NULL; i++) {
		snprintf(args[i], sizeof(args[i]), "%s", in[i]);
		argv[i] = args[i];
	}
	argv[i] = NULL;

	snprintf(e_pre, sizeof(e_pre), "LD_PRELOAD=%s", CHAOS_SHIM);
	snprintf(e_rules, sizeof(e_rules), "BULWARK_CHAOS_RULES=%s", rules);
	snprintf(e_seed, sizeof(e_seed), "BULWARK_CHAOS_SEED=%s", seed);
	snprintf(e_log, sizeof(e_log), "BULWARK_CHAOS_LOG=%s",
	    log != NULL ? log : "");
	extra[n++] = e_pre;
	extra[n++] = e_rules;
	extra[n++] = e_seed;
	extra[n++] = e_log;
	extra[n] = NULL;
	return chaos_run_capture(argv, extra, out, OUT_CAP);
}

static void
test_same_seed_same_faults_in_forked_children(void **state)
{
	char rules[512], a[OUT_CAP], b[OUT_CAP], c[OUT_CAP];
	char *child1;

	(void)state;
	snprintf(rules, sizeof(rules), "read,path=%s,p=0.5", file);
	assert_int_equal(
	    victim(rules, "42", NULL, a, "fork", "3", "read", file, "24", NULL),
	    0);
	assert_int_equal(
	    victim(rules, "42", NULL, b, "fork", "3", "read", file, "24", NULL),
	    0);
	assert_string_equal(a, b);
	assert_true(chaos_count(a, " EIO") > 0);
	assert_true(chaos_count(a, " ok") > 0);
	assert_int_equal(chaos_count(a, "\n"), 72);
	/* each child has its own stream: child 0 and 1 differ */
	child1 = strstr(a, "root.1 ");
	assert_non_null(child1);
	{
		char s0[64] = "", s1[64] = "";
		size_t i, k0 = 0, k1 = 0;
		const char *p = a;
		for (i = 0; i < 72 && p != NULL; i++) {
			bool fail =
			    strncmp(strchr(p, ' ') + 1, "read", 4) == 0 &&
			    strstr(p, "EIO") != NULL &&
			    strstr(p, "EIO") < strchr(p, '\n');
			if (strncmp(p, "root.0 ", 7) == 0 && k0 < 63)
				s0[k0++] = fail ? 'x' : '.';
			if (strncmp(p, "root.1 ", 7) == 0 && k1 < 63)
				s1[k1++] = fail ? 'x' : '.';
			p = strchr(p, '\n');
			if (p != NULL)
				p++;
		}
		assert_int_equal(k0, 24);
		assert_int_equal(k1, 24);
		assert_string_not_equal(s0, s1);
	}
	assert_int_equal(
	    victim(rules, "43", NULL, c, "fork", "3", "read", file, "24", NULL),
	    0);
	assert_string_not_equal(a, c);
}

static void
test_exec_keeps_distinct_lineage(void **state)
{
	char rules[512], a[OUT_CAP], b[OUT_CAP];
	const char *p0, *p1;

	(void)state;
	snprintf(rules, sizeof(rules), "read,path=%s,p=0.5", file);
	/* each forked child execs the victim with an explicit envp copy */
	assert_int_equal(victim(rules, "7", NULL, a, "fork", "2", "exec",
	                     "read", file, "32"),
	    0);
	assert_int_equal(victim(rules, "7", NULL, b, "fork", "2", "exec",
	                     "read", file, "32"),
	    0);
	assert_string_equal(a, b);
	p0 = strstr(a, "root.0 read 0");
	p1 = strstr(a, "root.1 read 0");
	assert_non_null(p0);
	assert_non_null(p1);
	/* compare the two children's outcome columns */
	{
		char s0[40] = "", s1[40] = "";
		int i;
		for (i = 0; i < 32; i++) {
			char key[32];
			const char *l;
			snprintf(key, sizeof(key), "root.0 read %d ", i);
			l = strstr(a, key);
			assert_non_null(l);
			s0[i] = l[strlen(key)];
			snprintf(key, sizeof(key), "root.1 read %d ", i);
			l = strstr(a, key);
			assert_non_null(l);
			s1[i] = l[strlen(key)];
		}
		assert_string_not_equal(s0, s1);
	}
}

static void
test_errno_as_chosen_and_nth_after(void **state)
{
	char rules[512], out[OUT_CAP];

	(void)state;
	snprintf(rules, sizeof(rules), "open,path=%s,nth=3,errno=EACCES", file);
	assert_int_equal(
	    victim(rules, "1", NULL, out, "open", file, "5", NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "root open 2 EACCES\n"));
	assert_int_equal(chaos_count(out, " ok"), 4);

	snprintf(
	    rules, sizeof(rules), "open,path=%s,after=3,errno=ENOENT", file);
	assert_int_equal(
	    victim(rules, "1", NULL, out, "open", file, "6", NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "root open 2 ok\n"));
	assert_non_null(strstr(out, "root open 3 ENOENT\n"));
	assert_int_equal(chaos_count(out, "ENOENT"), 3);

	/* a rule on another path leaves this one alone */
	assert_int_equal(victim("open,path=/nonexistent-prefix/,errno=EIO", "1",
	                     NULL, out, "open", file, "3", NULL, NULL, NULL),
	    0);
	assert_int_equal(chaos_count(out, " ok"), 3);
}

static void
test_connect_only_matched_port(void **state)
{
	struct chaos_echo e = { -1, 0 };
	char rules[256], port[16], out[OUT_CAP];

	(void)state;
	assert_int_equal(chaos_echo_start(&e), 0);
	snprintf(port, sizeof(port), "%d", e.port);
	snprintf(rules, sizeof(rules),
	    "connect,host=127.0.0.1,port=%d,errno=ETIMEDOUT", e.port);
	assert_int_equal(victim(rules, "1", NULL, out, "connect", port, "2",
	                     NULL, NULL, NULL),
	    0);
	assert_int_equal(chaos_count(out, "ETIMEDOUT"), 2);
	snprintf(rules, sizeof(rules),
	    "connect,host=127.0.0.1,port=%d,errno=ECONNREFUSED",
	    e.port == 65535 ? 1 : e.port + 1);
	assert_int_equal(victim(rules, "1", NULL, out, "connect", port, "2",
	                     NULL, NULL, NULL),
	    0);
	assert_int_equal(chaos_count(out, " ok"), 2);
	/* recv on the matched socket: reset on the 2nd round trip only */
	snprintf(
	    rules, sizeof(rules), "recv,host=127.0.0.1,port=%d,nth=2", e.port);
	assert_int_equal(
	    victim(rules, "1", NULL, out, "echo", port, "3", NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "root echo 0 ok\n"));
	assert_non_null(strstr(out, "root echo 1 ECONNRESET\n"));
	assert_non_null(strstr(out, "root echo 2 ok\n"));
	chaos_echo_stop(&e);
}

static void
test_dns_only_matched_host(void **state)
{
	char out[OUT_CAP];

	(void)state;
	assert_int_equal(
	    victim("dns,host=localhost,errno=EAI_NONAME", "1", NULL, out, "dns",
	        "localhost", NULL, NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "root dns localhost EAI_NONAME"));
	assert_int_equal(victim("dns,host=blocked.invalid", "1", NULL, out,
	                     "dns", "localhost", NULL, NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "root dns localhost ok"));
}

static void
test_malloc_rate_and_log(void **state)
{
	char out[OUT_CAP], log[300], *text;
	long fails;
	FILE *f;
	size_t lines = 0;
	int c;

	(void)state;
	snprintf(log, sizeof(log), "%s.log", file);
	unlink(log);
	/* the victim's stdout buffer is set up before the loop */
	assert_int_equal(victim("malloc,p=10%", "5", log, out, "malloc", "2000",
	                     NULL, NULL, NULL, NULL),
	    0);
	text = strstr(out, "failures ");
	assert_non_null(text);
	fails = strtol(text + 9, NULL, 10);
	assert_true(fails > 100 && fails < 300);
	f = fopen(log, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		if (c == '\n')
			lines++;
	fclose(f);
	/* every failure the victim saw is in the log (and maybe a few
	 * inside libc's own allocations) */
	assert_true(lines >= (size_t)fails);
	unlink(log);
}

/* The hex of "payload\n" as the victim prints it. */
#define PAYLOAD_HEX "7061796c6f61640a"

static int
popcount_diff(const char *a, const char *b)
{
	int n = 0;

	for (; *a != '\n' && *b != '\n'; a += 2, b += 2) {
		unsigned x, y;

		assert_int_equal(sscanf(a, "%2x", &x), 1);
		assert_int_equal(sscanf(b, "%2x", &y), 1);
		n += __builtin_popcount(x ^ y);
	}
	assert_true(*a == *b); /* same length */
	return n;
}

/* action=corrupt flips exactly one bit of what read(2) returned;
 * action=short halves the transfer. Both only for the matched file. */
static void
test_corrupt_and_short_reads(void **state)
{
	char rules[512], out[OUT_CAP];
	const char *hex;

	(void)state;
	snprintf(rules, sizeof(rules), "read,path=%s,action=corrupt", file);
	assert_int_equal(
	    victim(rules, "3", NULL, out, "cat", file, "64", NULL, NULL, NULL),
	    0);
	hex = strstr(out, "bytes ");
	assert_non_null(hex);
	assert_int_equal(popcount_diff(hex + 6, PAYLOAD_HEX "\n"), 1);

	snprintf(rules, sizeof(rules), "read,path=%s,action=short", file);
	assert_int_equal(
	    victim(rules, "3", NULL, out, "cat", file, "4", NULL, NULL, NULL),
	    0);
	assert_int_equal(chaos_count(out, "chunk 2"), 4);
	assert_int_equal(chaos_count(out, "chunk 4"), 0);
	assert_non_null(strstr(out, "bytes " PAYLOAD_HEX "\n"));

	/* another file's reads are left alone */
	snprintf(
	    rules, sizeof(rules), "read,path=/nonexistent/,action=corrupt");
	assert_int_equal(
	    victim(rules, "3", NULL, out, "cat", file, "64", NULL, NULL, NULL),
	    0);
	assert_non_null(strstr(out, "bytes " PAYLOAD_HEX "\n"));
}

static void
test_no_rules_is_transparent(void **state)
{
	char out[OUT_CAP];

	(void)state;
	assert_int_equal(
	    victim("", "1", NULL, out, "fork", "2", "read", file, "4", NULL),
	    0);
	assert_int_equal(chaos_count(out, " ok"), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_faults_in_forked_children),
		cmocka_unit_test(test_exec_keeps_distinct_lineage),
		cmocka_unit_test(test_errno_as_chosen_and_nth_after),
		cmocka_unit_test(test_connect_only_matched_port),
		cmocka_unit_test(test_dns_only_matched_host),
		cmocka_unit_test(test_malloc_rate_and_log),
		cmocka_unit_test(test_corrupt_and_short_reads),
		cmocka_unit_test(test_no_rules_is_transparent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
