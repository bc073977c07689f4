/*
 * proc: no shell, own process group, timeout -> TERM -> grace -> KILL of
 * the whole group (grandchildren included), exit codes as timeout(1),
 * line streaming with caps and signal forwarding.
 */
#include "common/compat.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "common/proc.h"
#include "tmpdir.h"

static int
run(char *const *argv, struct proc *p)
{
	proc_init(p);
	p->argv = argv;
	return proc_run(p);
}

static void
test_no_shell(void **state)
{
	char *argv[] = { "printf", "%s|", "a;b", "$(id)", "`id`", "*", NULL };
	struct proc p;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.capture_out = true;
	assert_int_equal(proc_run(&p), 0);
	assert_string_equal(p.out.data, "a;b|$(id)|`id`|*|");
	proc_release(&p);
}

static void
test_own_process_group(void **state)
{
	/* Field 5 of /proc/<pid>/stat is the process group. */
	char *argv[] = { "sh", "-c", "cut -d' ' -f5 /proc/$$/stat", NULL };
	struct proc p;
	char want[32];

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.capture_out = true;
	assert_int_equal(proc_run(&p), 0);
	snprintf(want, sizeof(want), "%d\n", (int)p.pid);
	assert_string_equal(p.out.data, want);
	assert_int_not_equal(p.pid, getpgrp());
	proc_release(&p);
}

static void
test_exit_codes_pass_through(void **state)
{
	char *a0[] = { "true", NULL };
	char *a3[] = { "sh", "-c", "exit 3", NULL };
	char *a200[] = { "sh", "-c", "exit 200", NULL };
	struct proc p;
	char d[64];

	(void)state;
	assert_int_equal(run(a0, &p), 0);
	proc_release(&p);
	assert_int_equal(run(a3, &p), 3);
	assert_string_equal(proc_describe(&p, d, sizeof(d)), "exited 3");
	proc_release(&p);
	assert_int_equal(run(a200, &p), 200);
	proc_release(&p);
}

static void
test_not_found_127(void **state)
{
	char *a1[] = { "/nonexistent/bulwark-cmd", NULL };
	char *a2[] = { "bulwark-no-such-command-xyz", NULL };
	struct proc p;

	(void)state;
	assert_int_equal(run(a1, &p), 127);
	assert_int_equal(p.spawn_errno, ENOENT);
	proc_release(&p);
	assert_int_equal(run(a2, &p), 127);
	proc_release(&p);
}

static void
test_not_executable_126(void **state)
{
	char *dir = tmpdir_make();
	char *file = tmpdir_write(dir, "script", "#!/bin/sh\nexit 0\n");
	char *a1[] = { file, NULL };
	char *a2[] = { dir, NULL };
	struct proc p;

	(void)state;
	assert_int_equal(run(a1, &p), 126);
	assert_int_equal(p.spawn_errno, EACCES);
	proc_release(&p);
	assert_int_equal(run(a2, &p), 126);
	proc_release(&p);
	tmpdir_remove(dir);
	free(file);
	free(dir);
}

static void
test_sigkill_is_137_never_0(void **state)
{
	char *argv[] = { "sh", "-c", "kill -9 $$; exit 0", NULL };
	struct proc p;
	char d[64];

	(void)state;
	assert_int_equal(run(argv, &p), 137);
	assert_true(WIFSIGNALED(p.status));
	assert_false(p.timed_out);
	assert_string_equal(
	    proc_describe(&p, d, sizeof(d)), "killed by SIGKILL");
	proc_release(&p);
}

static char *
read_pidfile(const char *path)
{
	char *s = tmpdir_read(path, NULL);

	assert_non_null(s);
	return s;
}

static void
test_timeout_kills_grandchild(void **state)
{
	char *dir = tmpdir_make();
	char *pidfile = tmpdir_path(dir, "pid");
	char *script = NULL;
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct proc p;
	char *s;
	pid_t gpid, r;
	int st = 0;

	(void)state;
	/* Orphans re-parent to us, so we can see how the grandchild died. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_true(
	    asprintf(&script, "sleep 1000 & echo $! > %s; wait", pidfile) > 0);
	argv[2] = script;
	proc_init(&p);
	p.argv = argv;
	p.timeout_ms = 500;
	p.grace_ms = 1000;
	assert_int_equal(proc_run(&p), 124);
	assert_true(p.timed_out);
	s = read_pidfile(pidfile);
	gpid = (pid_t)strtol(s, NULL, 10);
	assert_true(gpid > 1);
	/* Already dead by the time proc_wait returned: no blocking wait. */
	r = waitpid(gpid, &st, WNOHANG);
	if (r != gpid)
		kill(gpid, SIGKILL);
	assert_int_equal(r, gpid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
	proc_release(&p);
	free(s);
	free(script);
	tmpdir_remove(dir);
	free(pidfile);
	free(dir);
}

static void
test_ignored_sigterm_gets_sigkill(void **state)
{
	char *argv[] = { "sh", "-c",
		"trap '' TERM; while :; do sleep 0.05; done", NULL };
	struct proc p;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.timeout_ms = 200;
	p.grace_ms = 300;
	assert_int_equal(proc_run(&p), 124);
	assert_true(p.timed_out);
	assert_true(WIFSIGNALED(p.status));
	assert_int_equal(WTERMSIG(p.status), SIGKILL);
	proc_release(&p);
}

struct lines {
	int n;
	enum proc_stream s[16];
	char *text[16];
	bool partial[16];
	int raise_on_ready; /* signal to raise when "ready" arrives */
};

static void
on_line(
    enum proc_stream s, const char *line, size_t len, bool partial, void *ctx)
{
	struct lines *l = ctx;

	assert_int_equal(strlen(line), len);
	if (l->raise_on_ready && strcmp(line, "ready") == 0)
		raise(l->raise_on_ready);
	if (l->n == 16)
		return;
	l->s[l->n] = s;
	l->text[l->n] = strndup(line, len);
	l->partial[l->n] = partial;
	l->n++;
}

static void
free_lines(struct lines *l)
{
	int i;

	for (i = 0; i < l->n; i++)
		free(l->text[i]);
}

static void
test_line_streaming(void **state)
{
	char *argv[] = { "sh", "-c",
		"printf 'a\\nbb\\n'; printf 'err1\\n' >&2; "
		"printf '%0100d\\n' 7; printf 'tail'",
		NULL };
	struct lines l = { 0 };
	struct proc p;
	int i, out_lines = 0;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.on_line = on_line;
	p.line_ctx = &l;
	p.max_line = 40;
	p.capture_out = true;
	assert_int_equal(proc_run(&p), 0);
	assert_int_equal(l.n, 7);
	/* stderr's line, wherever it landed in time. */
	for (i = 0; i < l.n; i++) {
		if (l.s[i] == PROC_STDERR) {
			assert_string_equal(l.text[i], "err1");
			assert_false(l.partial[i]);
			continue;
		}
		out_lines++;
	}
	assert_int_equal(out_lines, 6);
	/* stdout order is preserved: a, bb, 40+40 partial, 20, tail */
	{
		const char *want[] = { "a", "bb", NULL, NULL, NULL, "tail" };
		const bool part[] = { false, false, true, true, false, false };
		const size_t wlen[] = { 1, 2, 40, 40, 20, 4 };
		int k = 0;
		for (i = 0; i < l.n; i++) {
			if (l.s[i] != PROC_STDOUT)
				continue;
			assert_int_equal(strlen(l.text[i]), wlen[k]);
			assert_int_equal(l.partial[i], part[k]);
			if (want[k] != NULL)
				assert_string_equal(l.text[i], want[k]);
			k++;
		}
	}
	assert_false(p.truncated);
	assert_int_equal(p.out.len, 2 + 3 + 101 + 4);
	free_lines(&l);
	proc_release(&p);
}

/* on_chunk: the raw bytes of each read, before that read's lines. */
struct chunks {
	struct buf out, err;
	long lines;    /* stdout lines seen by on_line */
	bool in_order; /* every line was already in `out` when it arrived */
	size_t most;   /* the longest chunk */
};

static void
on_chunk(enum proc_stream s, const char *data, size_t len, void *ctx)
{
	struct chunks *c = ctx;

	assert_true(len > 0);
	if (len > c->most)
		c->most = len;
	assert_int_equal(
	    buf_add(s == PROC_STDERR ? &c->err : &c->out, data, len), 0);
}

static void
on_seq_line(
    enum proc_stream s, const char *line, size_t len, bool partial, void *ctx)
{
	struct chunks *c = ctx;
	char want[24];

	assert_int_equal(s, PROC_STDOUT);
	assert_false(partial);
	assert_int_equal(strlen(line), len);
	c->lines++;
	snprintf(want, sizeof(want), "%ld", c->lines);
	assert_string_equal(line, want);
	if (c->out.len == 0 || c->out.data[c->out.len - 1] == '\0')
		c->in_order = false;
}

static void
test_chunks(void **state)
{
	char *a_raw[] = { "sh", "-c", "printf 'x\\ny'; printf 'e' >&2; exit 3",
		NULL };
	char *a_seq[] = { "seq", "1", "100000", NULL };
	struct chunks c = { BUF_INIT(0), BUF_INIT(0), 0, true, 0 };
	struct proc p;
	size_t want = 0;
	long i;

	(void)state;
	/* on_chunk alone: pipes are made, bytes arrive unchanged (no
	 * newline added to an unterminated tail), status passes through. */
	proc_init(&p);
	p.argv = a_raw;
	p.on_chunk = on_chunk;
	p.line_ctx = &c;
	assert_int_equal(proc_run(&p), 3);
	assert_int_equal(c.out.len, 3);
	assert_memory_equal(c.out.data, "x\ny", 3);
	assert_int_equal(c.err.len, 1);
	assert_int_equal(c.err.data[0], 'e');
	proc_release(&p);

	/* Both: lines that straddle 64 KiB reads come out whole, in order,
	 * and the raw stream is byte-exact. */
	buf_reset(&c.out);
	buf_reset(&c.err);
	proc_init(&p);
	p.argv = a_seq;
	p.on_chunk = on_chunk;
	p.on_line = on_seq_line;
	p.line_ctx = &c;
	assert_int_equal(proc_run(&p), 0);
	assert_int_equal(c.lines, 100000);
	assert_true(c.in_order);
	for (i = 1; i <= 100000; i++)
		want += (size_t)snprintf(NULL, 0, "%ld\n", i);
	assert_int_equal(c.out.len, want);
	assert_memory_equal(c.out.data + c.out.len - 7, "100000\n", 7);
	assert_null(memchr(c.out.data, '\0', c.out.len));
	assert_int_equal(c.err.len, 0);
	proc_release(&p);

	/* A bigger pipe (best effort) and a read size: no read is longer,
	 * and the bytes are the same. */
	for (i = 0; i < 2; i++) {
		size_t cap = i ? (size_t)256 << 10 : 1000;

		buf_reset(&c.out);
		c.most = 0;
		proc_init(&p);
		p.argv = a_seq;
		p.on_chunk = on_chunk;
		p.line_ctx = &c;
		p.pipe_size = (size_t)1 << 20;
		p.read_size = cap;
		assert_int_equal(proc_run(&p), 0);
		assert_int_equal(c.out.len, want);
		assert_memory_equal(c.out.data + c.out.len - 7, "100000\n", 7);
		assert_true(c.most > 0 && c.most <= cap);
		proc_release(&p);
	}
	buf_release(&c.out);
	buf_release(&c.err);
}

static void
test_capture_cap(void **state)
{
	char *argv[] = { "sh", "-c",
		"printf '%01000d' 5; printf 'E%.0s' "
		"$(seq 300) >&2",
		NULL };
	struct proc p;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.capture_out = true;
	p.capture_err = true;
	p.max_capture = 100;
	assert_int_equal(proc_run(&p), 0);
	assert_true(p.truncated);
	assert_int_equal(p.out.len, 100);
	assert_int_equal(p.err.len, 100);
	assert_int_equal(p.out.data[0], '0');
	assert_int_equal(p.err.data[99], 'E');
	proc_release(&p);
}

static void
test_env_cwd_stdin(void **state)
{
	char *dir = tmpdir_make();
	char *argv[] = { "/bin/sh", "-c", "echo \"$FOO\"; pwd; cat", NULL };
	char *env[] = { "FOO=bar baz", NULL };
	struct proc p;
	char *want = NULL;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	p.env = env;
	p.cwd = dir;
	p.capture_out = true;
	assert_int_equal(proc_run(&p), 0); /* cat reads /dev/null */
	assert_true(asprintf(&want, "bar baz\n%s\n", dir) > 0);
	assert_string_equal(p.out.data, want);
	free(want);
	proc_release(&p);
	tmpdir_remove(dir);
	free(dir);
}

static int marker_hits;
static void
marker(int sig)
{
	(void)sig;
	marker_hits++;
}

static void
test_signal_forwarding(void **state)
{
	char *a_int[] = { "sh", "-c",
		"trap 'exit 42' INT; echo ready; while :; do sleep 0.05; done",
		NULL };
	char *a_term[] = { "sh", "-c", "echo ready; exec sleep 1000", NULL };
	struct sigaction sa, now;
	struct lines l = { 0 };
	struct proc p;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = marker;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	assert_int_equal(proc_cancelled(), 0);

	/* SIGINT to us reaches the child's trap; our own handler is not hit. */
	proc_init(&p);
	p.argv = a_int;
	p.on_line = on_line;
	p.line_ctx = &l;
	l.raise_on_ready = SIGINT;
	assert_int_equal(proc_run(&p), 42);
	/* The child trapped it and exited 42, but we were still told to stop.
	 */
	assert_int_equal(proc_cancelled(), SIGINT);
	proc_release(&p);
	free_lines(&l);

	memset(&l, 0, sizeof(l));
	proc_init(&p);
	p.argv = a_term;
	p.on_line = on_line;
	p.line_ctx = &l;
	l.raise_on_ready = SIGTERM;
	assert_int_equal(proc_run(&p), 128 + SIGTERM);
	assert_int_equal(proc_cancelled(), SIGTERM);
	proc_release(&p);
	free_lines(&l);

	assert_int_equal(marker_hits, 0);
	/* Our handlers are back after proc_wait. */
	sigaction(SIGINT, NULL, &now);
	assert_ptr_equal(now.sa_handler, marker);
	sigaction(SIGTERM, NULL, &now);
	assert_ptr_equal(now.sa_handler, marker);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void
test_stdin_fd_and_kill_group(void **state)
{
	char *a_cat[] = { "cat", NULL };
	char *a_sleep[] = { "sh", "-c", "sleep 1000 & sleep 1000", NULL };
	struct proc p;
	int fds[2];
	char d[64];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "from stdin", 10), 10);
	close(fds[1]);
	proc_init(&p);
	p.argv = a_cat;
	p.stdin_fd = fds[0];
	p.capture_out = true;
	assert_int_equal(proc_run(&p), 0);
	assert_string_equal(p.out.data, "from stdin");
	close(fds[0]);
	proc_release(&p);

	/* An explicit group kill; reported as 128+9, never 0. */
	proc_init(&p);
	p.argv = a_sleep;
	assert_int_equal(proc_start(&p), 0);
	assert_int_equal(proc_kill_group(&p, SIGKILL), 0);
	assert_int_equal(proc_wait(&p), 137);
	assert_string_equal(
	    proc_describe(&p, d, sizeof(d)), "killed by SIGKILL");
	proc_release(&p);
}

static void
test_start_errors(void **state)
{
	char *argv[] = { NULL };
	struct proc p;

	(void)state;
	proc_init(&p);
	p.argv = argv;
	assert_int_equal(proc_run(&p), -1);
	assert_int_equal(proc_wait(&p), -1);
	proc_release(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_shell),
		cmocka_unit_test(test_own_process_group),
		cmocka_unit_test(test_exit_codes_pass_through),
		cmocka_unit_test(test_not_found_127),
		cmocka_unit_test(test_not_executable_126),
		cmocka_unit_test(test_sigkill_is_137_never_0),
		cmocka_unit_test(test_timeout_kills_grandchild),
		cmocka_unit_test(test_ignored_sigterm_gets_sigkill),
		cmocka_unit_test(test_line_streaming),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_capture_cap),
		cmocka_unit_test(test_env_cwd_stdin),
		cmocka_unit_test(test_signal_forwarding),
		cmocka_unit_test(test_stdin_fd_and_kill_group),
		cmocka_unit_test(test_start_errors),
	};

	log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
