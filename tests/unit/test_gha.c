/*
 * gha: file commands, escaping, summary cap, masking and the stop-commands
 * wrapper, checked against simulations of the runner's own parsers
 * (research/gha-runtime.md §1-2).
 */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/gha.h"
#include "common/log.h"
#include "tmpdir.h"

/*
 * getrandom interposed so one test can predict the delimiter; otherwise it
 * is the real system call.
 */
static int fixed_random = -1;

ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	if (fixed_random >= 0) {
		memset(buf, fixed_random, len);
		return (ssize_t)len;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

static int
setup(void **state)
{
	struct fake_runner *r = calloc(1, sizeof(*r));

	fake_runner_begin(r);
	log_set_sink(test_log_quiet, NULL);
	*state = r;
	return 0;
}

static int
teardown(void **state)
{
	fake_runner_end(*state);
	free(*state);
	log_set_sink(NULL, NULL);
	fixed_random = -1;
	return 0;
}

static size_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* ---- the runner's file-command parser (FileCommandManager.cs) ---- */

struct kv {
	char *key, *value;
};

/* Parses like the runner on Linux; returns pairs or -1 on a format error. */
static int
runner_parse_file(const char *text, struct kv *out, int max)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char *line = strndup(p, len);
		char *eq = strchr(line, '='), *hd = strstr(line, "<<");

		p += len + (eol ? 1 : 0);
		if (len == 0) {
			free(line);
			continue;
		}
		if (n == max || (eq == NULL && hd == NULL)) {
			free(line);
			return -1;
		}
		if (eq != NULL && (hd == NULL || eq < hd)) {
			*eq = '\0';
			out[n].key = strdup(line);
			out[n].value = strdup(eq + 1);
		} else {
			char *delim = hd + 2;
			size_t cap = 0, vlen = 0;
			char *val = calloc(1, 1);
			*hd = '\0';
			if (line[0] == '\0' || delim[0] == '\0') {
				free(line);
				free(val);
				return -1;
			}
			for (;;) {
				const char *e2 = strchr(p, '\n');
				size_t l2;
				if (e2 == NULL) {
					free(line);
					free(val);
					return -1; /* no matching delimiter */
				}
				l2 = (size_t)(e2 - p);
				if (l2 == strlen(delim) &&
				    strncmp(p, delim, l2) == 0) {
					p = e2 + 1;
					break;
				}
				cap = vlen + l2 + 2;
				val = realloc(val, cap);
				if (vlen > 0)
					val[vlen++] = '\n';
				memcpy(val + vlen, p, l2);
				vlen += l2;
				val[vlen] = '\0';
				p = e2 + 1;
			}
			out[n].key = strdup(line);
			out[n].value = val;
		}
		free(line);
		n++;
	}
	return n;
}

static void
free_kv(struct kv *kv, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
}

static bool
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		        (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0' || s[n] == '\n' || s[n] == ':';
}

static void
test_output_heredoc_roundtrip(void **state)
{
	struct fake_runner *r = *state;
	struct kv kv[4];
	char *text;
	int n;

	assert_int_equal(gha_set_output("digest", "sha256:abc"), 0);
	assert_int_equal(
	    gha_set_output("multi", "line 1\nline 2\n\nx=y<<z"), 0);
	assert_int_equal(gha_export_var("FOO", "bar"), 0);
	assert_int_equal(gha_save_state("s", ""), 0);
	text = tmpdir_read(r->output, NULL);
	/* heredoc form: key<<ghadelimiter_<32 hex> */
	assert_true(strncmp(text, "digest<<ghadelimiter_", 21) == 0);
	assert_true(is_hex(text + 21, 32));
	n = runner_parse_file(text, kv, 4);
	assert_int_equal(n, 2);
	assert_string_equal(kv[0].key, "digest");
	assert_string_equal(kv[0].value, "sha256:abc");
	assert_string_equal(kv[1].key, "multi");
	assert_string_equal(kv[1].value, "line 1\nline 2\n\nx=y<<z");
	free_kv(kv, n);
	free(text);

	text = tmpdir_read(r->env, NULL);
	n = runner_parse_file(text, kv, 4);
	assert_int_equal(n, 1);
	assert_string_equal(kv[0].key, "FOO");
	assert_string_equal(kv[0].value, "bar");
	free_kv(kv, n);
	free(text);

	text = tmpdir_read(r->state, NULL);
	n = runner_parse_file(text, kv, 4);
	assert_int_equal(n, 1);
	assert_string_equal(kv[0].value, "");
	free_kv(kv, n);
	free(text);
}

static void
test_fresh_delimiter_per_call(void **state)
{
	struct fake_runner *r = *state;
	char *text, *second, d1[64], d2[64];

	assert_int_equal(gha_set_output("a", "1"), 0);
	assert_int_equal(gha_set_output("a", "1"), 0);
	text = tmpdir_read(r->output, NULL);
	assert_int_equal(sscanf(text, "a<<%63s", d1), 1);
	second = strstr(text + 1, "\na<<");
	assert_non_null(second);
	assert_int_equal(sscanf(second + 1, "a<<%63s", d2), 1);
	assert_int_equal(strlen(d1), strlen("ghadelimiter_") + 32);
	assert_string_not_equal(d1, d2);
	free(text);
}

/* One locked write for the set, parsed back whole; a bad member refuses
 * the set, leaving the file as it was. */
static void
test_set_outputs(void **state)
{
	struct fake_runner *r = *state;
	const struct gha_output good[] = { { "index", "7" },
		{ "leaf-hash", "ab\ncd" }, { "root", "" } };
	const struct gha_output bad[] = { { "ok", "1" }, { "a=b", "2" } };
	struct kv kv[4];
	char *text;
	long before;
	int n;

	assert_int_equal(gha_set_outputs(good, ARRAY_SIZE(good)), 0);
	text = tmpdir_read(r->output, NULL);
	n = runner_parse_file(text, kv, 4);
	assert_int_equal(n, 3);
	assert_string_equal(kv[0].key, "index");
	assert_string_equal(kv[0].value, "7");
	assert_string_equal(kv[1].key, "leaf-hash");
	assert_string_equal(kv[1].value, "ab\ncd");
	assert_string_equal(kv[2].key, "root");
	assert_string_equal(kv[2].value, "");
	free_kv(kv, n);
	free(text);
	before = file_size(r->output);
	assert_int_equal(gha_set_outputs(bad, ARRAY_SIZE(bad)), -1);
	assert_int_equal(file_size(r->output), before);
}

static void
test_bad_keys_refused(void **state)
{
	struct fake_runner *r = *state;
	static const char *const bad[] = { "", "a=b", "a<<b", "a\nb", "a\rb",
		"a\n", "=", "<<" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(gha_set_output(bad[i], "v"), -1);
		assert_int_equal(
		    gha_file_command("GITHUB_ENV", bad[i], "v"), -1);
	}
	assert_int_equal(file_size(r->output), 0);
	assert_int_equal(file_size(r->env), 0);
	/* '<' alone and '=' in the value are fine. */
	assert_int_equal(gha_set_output("a<b", "x=y"), 0);
	assert_true(file_size(r->output) > 0);
}

static void
test_value_with_delimiter_refused(void **state)
{
	struct fake_runner *r = *state;
	char hostile[128];

	/* With getrandom fixed at 0xab the delimiter is predictable. */
	fixed_random = 0xab;
	snprintf(hostile, sizeof(hostile),
	    "x\nghadelimiter_%s\nevil<<EOF\npwned\nEOF",
	    "abababababababababababababababab");
	assert_int_equal(gha_set_output("k", hostile), -1);
	assert_int_equal(file_size(r->output), 0);
	/* The same value is accepted once the delimiter differs. */
	fixed_random = 0xcd;
	assert_int_equal(gha_set_output("k", hostile), 0);
	assert_true(file_size(r->output) > 0);
}

static void
test_unset_or_missing_file(void **state)
{
	struct fake_runner *r = *state;
	char *missing = tmpdir_path(r->dir, "missing");

	/* Unset inside Actions: error from both layers. */
	unsetenv("GITHUB_OUTPUT");
	assert_int_equal(gha_file_command("GITHUB_OUTPUT", "k", "v"), -1);
	assert_int_equal(gha_set_output("k", "v"), -1);
	/* Unset on a laptop: the tool helper is a quiet no-op. */
	unsetenv("GITHUB_ACTIONS");
	assert_int_equal(gha_set_output("k", "v"), 0);
	assert_int_equal(gha_file_command("GITHUB_OUTPUT", "k", "v"), -1);
	setenv("GITHUB_ACTIONS", "true", 1);

	/* A missing file is an error and is not created. */
	setenv("GITHUB_OUTPUT", missing, 1);
	assert_int_equal(gha_set_output("k", "v"), -1);
	assert_int_equal(gha_file_command("GITHUB_OUTPUT", "k", "v"), -1);
	assert_false(access(missing, F_OK) == 0);
	free(missing);
}

static void
test_existing_content_never_truncated(void **state)
{
	struct fake_runner *r = *state;
	char *text;

	free(tmpdir_write(r->dir, "set_output_x", "earlier=1\n"));
	assert_int_equal(gha_set_output("k", "v"), 0);
	text = tmpdir_read(r->output, NULL);
	assert_true(strncmp(text, "earlier=1\nk<<ghadelimiter_", 26) == 0);
	free(text);
}

static void
test_add_path(void **state)
{
	struct fake_runner *r = *state;
	char *text;

	assert_int_equal(gha_add_path("/opt/tool/bin"), 0);
	assert_int_equal(gha_add_path("/a\n/b"), -1);
	assert_int_equal(gha_add_path("/a\r"), -1);
	text = tmpdir_read(r->path, NULL);
	assert_string_equal(text, "/opt/tool/bin\n");
	free(text);
}

/* ---- escaping (toolkit command.ts) ---- */

struct esc_case {
	const char *in, *data, *prop;
};

static const struct esc_case esc_cases[] = {
	{ "", "", "" },
	{ "plain text", "plain text", "plain text" },
	{ "100%", "100%25", "100%25" },
	{ "a\nb", "a%0Ab", "a%0Ab" },
	{ "a\r\nb", "a%0D%0Ab", "a%0D%0Ab" },
	{ "k: v, w", "k: v, w", "k%3A v%2C w" },
	{ "%0A", "%250A", "%250A" },
	{ "::error::x", "::error::x", "%3A%3Aerror%3A%3Ax" },
	{ "a=b;c]", "a=b;c]", "a=b;c]" },
	{ "\xc3\xa9\t", "\xc3\xa9\t", "\xc3\xa9\t" },
};

static void
test_escape_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(esc_cases); i++) {
		struct buf b = BUF_INIT(0);
		assert_int_equal(gha_escape_data(&b, esc_cases[i].in), 0);
		assert_string_equal(b.data, esc_cases[i].data);
		buf_reset(&b);
		assert_int_equal(gha_escape_prop(&b, esc_cases[i].in), 0);
		assert_string_equal(b.data, esc_cases[i].prop);
		buf_release(&b);
	}
}

static void
test_command_line(void **state)
{
	struct buf b = BUF_INIT(0);

	(void)state;
	assert_int_equal(gha_command_line(&b, "error", "title", "a:b,c",
	                     "line1\nline2 100%"),
	    0);
	assert_string_equal(
	    b.data, "::error title=a%3Ab%2Cc::line1%0Aline2 100%25");
	buf_reset(&b);
	assert_int_equal(gha_command_line(&b, "endgroup", NULL, NULL, NULL), 0);
	assert_string_equal(b.data, "::endgroup::");
	buf_release(&b);
}

static void
test_annotate_inside_actions(void **state)
{
	struct gha_loc loc = { "src/a.c", 3, 0, 7, 0, "lint: x" };
	struct stdout_capture c;
	char *out;

	(void)state;
	stdout_capture_begin(&c);
	gha_annotate("warning", &loc, "bad %s\nhere", "thing");
	gha_annotate("error", NULL, "plain");
	out = stdout_capture_end(&c);
	assert_string_equal(out,
	    "::warning title=lint%3A x,file=src/a.c,line=3,col=7::bad "
	    "thing%0Ahere\n::error::plain\n");
	free(out);
}

/* ---- step summary ---- */

static void
test_summary_cap(void **state)
{
	struct fake_runner *r = *state;
	char line[1001];
	char *big, *text;
	size_t i, len, note = strlen(GHA_SUMMARY_TRUNCATED_NOTE), before;
	int rc = 0, calls = 0;

	assert_int_equal(gha_summary_append("# Report\n"), 0);
	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	/* 100 lines of 1000 bytes per call: the 11th call must overflow. */
	big = malloc(100 * 1000 + 1);
	for (i = 0; i < 100; i++)
		memcpy(big + i * 1000, line, 1000);
	big[100 * 1000] = '\0';
	while (rc == 0 && calls < 20) {
		rc = gha_summary_append(big);
		calls++;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(calls, 11);
	text = tmpdir_read(r->summary, &len);
	assert_true(len <= GHA_SUMMARY_MAX);
	assert_true(len < 1024 * 1024);
	assert_true(len > GHA_SUMMARY_MAX - 1000 - note);
	/* The note ends the file, and the cut before it is at a line end. */
	assert_string_equal(text + len - note, GHA_SUMMARY_TRUNCATED_NOTE);
	assert_int_equal(text[len - note - 1], '\n');
	assert_int_equal(text[len - note - 2], 'x');
	free(text);
	/* Later appends are dropped. */
	before = file_size(r->summary);
	assert_int_equal(gha_summary_append("more\n"), 1);
	assert_int_equal(file_size(r->summary), before);
	free(big);
}

static void
test_summary_single_long_line(void **state)
{
	struct fake_runner *r = *state;
	size_t n = GHA_SUMMARY_MAX + 10, len;
	char *big = malloc(n + 1), *text;

	/* No line boundary fits: only the note is written. */
	memset(big, 'y', n);
	big[n] = '\0';
	assert_int_equal(gha_summary_append(big), 1);
	text = tmpdir_read(r->summary, &len);
	assert_string_equal(text, GHA_SUMMARY_TRUNCATED_NOTE);
	free(text);
	free(big);
}

static void
test_summary_missing_file(void **state)
{
	struct fake_runner *r = *state;
	char *missing = tmpdir_path(r->dir, "nope");

	setenv("GITHUB_STEP_SUMMARY", missing, 1);
	assert_int_equal(gha_summary_append("x\n"), -1);
	assert_false(access(missing, F_OK) == 0);
	free(missing);
}

/* ---- workflow-command parser (ActionCommand.cs, ActionCommandManager) ---- */

struct runner_sim {
	bool stopped;
	char token[128];
	int processed;      /* commands the runner would act on */
	int stops, resumes; /* our own stop/resume pairs */
	char last[256];
};

static const char *const known_cmds[] = { "add-mask", "error", "warning",
	"notice", "debug", "group", "endgroup", "set-output", "save-state",
	"set-env", "add-path", "echo", "add-matcher", "remove-matcher",
	"stop-commands" };

static void
sim_line(struct runner_sim *s, const char *line)
{
	const char *t = line, *end;
	char name[128];
	size_t n, i;

	while (*t == ' ' || *t == '\t')
		t++; /* TrimStart */
	if (strncmp(t, "::", 2) == 0 && (end = strstr(t + 2, "::")) != NULL) {
		n = strcspn(t + 2, " ");
		if (n > (size_t)(end - t - 2))
			n = (size_t)(end - t - 2);
		if (n >= sizeof(name))
			return;
		memcpy(name, t + 2, n);
		name[n] = '\0';
		if (s->stopped) {
			if (strcasecmp(name, s->token) == 0) {
				s->stopped = false;
				s->resumes++;
			}
			return;
		}
		for (i = 0; i < ARRAY_SIZE(known_cmds); i++) {
			if (strcasecmp(name, known_cmds[i]) != 0)
				continue;
			if (strcmp(known_cmds[i], "stop-commands") == 0) {
				snprintf(
				    s->token, sizeof(s->token), "%s", end + 2);
				s->stopped = true;
				s->stops++;
			} else {
				s->processed++;
				snprintf(s->last, sizeof(s->last), "%s", t);
			}
		}
		return;
	}
	/* Legacy ##[name ...] is found anywhere in the line. */
	if (!s->stopped && strstr(line, "##[") != NULL) {
		s->processed++;
		snprintf(s->last, sizeof(s->last), "%s", line);
	}
}

/* Lines split on \n and bare \r, as .NET ReadLine does. */
static void
sim_text(struct runner_sim *s, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\r\n");
		char *line = strndup(p, n);
		sim_line(s, line);
		free(line);
		p += n;
		if (p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (*p)
			p++;
	}
}

static const char hostile[] = "::add-mask::x\n"
                              "::error::pwned\n"
                              "##[set-output name=x]y\n"
                              "   ::warning file=a::indented\n"
                              "\t::ERROR::case\n"
                              "::stop-commands::abc\n"
                              "::abc::\n"
                              "::set-output name=a::b\n"
                              "text then ##[error]legacy\n"
                              "cr injection\r::error::after-cr\n"
                              "no newline at the end ::error::";

static void
test_simulator_sees_injection(void **state)
{
	struct runner_sim s = { 0 };

	(void)state;
	/* Without the wrapper the same text would inject commands. */
	sim_text(&s, hostile);
	assert_true(s.processed >= 5);
}

static void
test_untrusted_blocks_injection(void **state)
{
	struct gha_untrusted u;
	struct runner_sim s = { 0 };
	char *text = NULL, token1[33], *p;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	gha_untrusted_begin(&u, fp);
	assert_true(u.on);
	assert_int_equal(strlen(u.token), 32);
	assert_true(is_hex(u.token, 32));
	memcpy(token1, u.token, sizeof(token1));
	fputs(hostile, fp);
	gha_untrusted_end(&u, fp);
	assert_false(u.on);
	fclose(fp);

	sim_text(&s, text);
	assert_int_equal(s.processed, 0);
	assert_int_equal(s.stops, 1);
	assert_int_equal(s.resumes, 1);
	assert_false(s.stopped);
	assert_string_equal(s.token, token1);
	/* The marker lines are exactly "::stop-commands::<t>" and "::<t>::". */
	assert_true(strncmp(text, "::stop-commands::", 17) == 0);
	assert_memory_equal(text + 17, token1, 32);
	assert_int_equal(text[49], '\n');
	p = text + len - 37;
	assert_int_equal(p[-1], '\n');
	assert_memory_equal(p, "::", 2);
	assert_memory_equal(p + 2, token1, 32);
	assert_string_equal(p + 34, "::\n");
	free(text);

	/* A second wrapper uses a different token. */
	text = NULL;
	fp = open_memstream(&text, &len);
	gha_untrusted_begin(&u, fp);
	assert_string_not_equal(u.token, token1);
	gha_untrusted_end(&u, fp);
	fclose(fp);
	free(text);
}

static void
test_untrusted_outside_actions_is_silent(void **state)
{
	struct gha_untrusted u;
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	(void)state;
	unsetenv("GITHUB_ACTIONS");
	gha_untrusted_begin(&u, fp);
	gha_untrusted_end(&u, fp);
	fclose(fp);
	assert_int_equal(len, 0);
	free(text);
}

static void
test_mask_multiline(void **state)
{
	struct stdout_capture c;
	struct runner_sim s = { 0 };
	char *out;

	(void)state;
	stdout_capture_begin(&c);
	gha_mask("line1\n  line2  \r\nline3\n");
	gha_mask("");
	out = stdout_capture_end(&c);
	assert_string_equal(out,
	    "::add-mask::line1%0A  line2  %0D%0Aline3%0A\n"
	    "::add-mask::line1\n::add-mask::line2\n::add-mask::line3\n");
	sim_text(&s, out);
	assert_int_equal(s.processed, 4);
	free(out);

	unsetenv("GITHUB_ACTIONS");
	stdout_capture_begin(&c);
	gha_mask("secret");
	out = stdout_capture_end(&c);
	assert_string_equal(out, "");
	free(out);
}

static void
test_group(void **state)
{
	struct stdout_capture c;
	char *out;

	(void)state;
	stdout_capture_begin(&c);
	gha_group_begin("build: step\n2");
	gha_group_end();
	out = stdout_capture_end(&c);
	assert_string_equal(out, "::group::build: step%0A2\n::endgroup::\n");
	free(out);
}

static void
test_random_hex(void **state)
{
	char a[65], b[65];

	(void)state;
	assert_int_equal(gha_random_hex(a, 32), 0);
	assert_int_equal(gha_random_hex(b, 32), 0);
	assert_int_equal(strlen(a), 64);
	assert_true(is_hex(a, 64));
	assert_string_not_equal(a, b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_output_heredoc_roundtrip),
		T(test_fresh_delimiter_per_call),
		T(test_set_outputs),
		T(test_bad_keys_refused),
		T(test_value_with_delimiter_refused),
		T(test_unset_or_missing_file),
		T(test_existing_content_never_truncated),
		T(test_add_path),
		T(test_escape_table),
		T(test_command_line),
		T(test_annotate_inside_actions),
		T(test_summary_cap),
		T(test_summary_single_long_line),
		T(test_summary_missing_file),
		T(test_simulator_sees_injection),
		T(test_untrusted_blocks_injection),
		T(test_untrusted_outside_actions_is_silent),
		T(test_mask_multiline),
		T(test_group),
		T(test_random_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
