#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "common/log.h"

static char got[8][512];
static int ngot;

static void
capture(enum log_level l, const char *m, void *c)
{
	(void)c;
	if (ngot < 8)
		snprintf(got[ngot++], sizeof(got[0]), "%d:%s", (int)l, m);
}

static void
test_error_returns_minus_one(void **st)
{
	(void)st;
	ngot = 0;
	log_set_sink(capture, NULL);
	assert_int_equal(error_msg("cannot open '%s'", "x"), -1);
	errno = ENOENT;
	assert_int_equal(error_errno("cannot read '%s'", "y"), -1);
	assert_int_equal(ngot, 2);
	assert_string_equal(got[0], "0:cannot open 'x'");
	assert_string_equal(
	    got[1], "0:cannot read 'y': No such file or directory");
	log_set_sink(NULL, NULL);
}

static void
test_levels_filter(void **st)
{
	(void)st;
	ngot = 0;
	log_set_sink(capture, NULL);
	log_set_level(LOG_INFO);
	debug_msg("hidden");
	info_msg("shown");
	log_set_level(LOG_ERROR);
	warn_msg("hidden too");
	error_msg("always");
	log_set_level(LOG_INFO);
	assert_int_equal(ngot, 2);
	assert_string_equal(got[0], "2:shown");
	assert_string_equal(got[1], "0:always");
	log_set_sink(NULL, NULL);
}

static void
test_sink_save_restore(void **st)
{
	log_sink_fn *fn;
	void *ctx;
	int tag;

	(void)st;
	log_get_sink(&fn, &ctx);
	assert_null(fn);
	log_set_sink(capture, &tag);
	log_get_sink(&fn, &ctx);
	assert_ptr_equal(fn, capture);
	assert_ptr_equal(ctx, &tag);
	log_set_sink(NULL, NULL);
	log_get_sink(&fn, &ctx);
	assert_null(fn);
	assert_null(ctx);
}

/* Inside Actions an error is one escaped ::error line: a message with a
 * newline cannot start a second workflow command. */
static void
test_actions_annotation_is_escaped(void **st)
{
	char path[] = "/tmp/bulwark-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char buf[1024] = { 0 };
	FILE *f;

	(void)st;
	assert_true(fd >= 0);
	setenv("GITHUB_ACTIONS", "true", 1);
	log_init("/usr/bin/tool");
	fflush(stderr);
	dup2(fd, 2);
	error_msg("bad 'x'\n::add-mask::secret, 100%%");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("GITHUB_ACTIONS");
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(
	    buf, "::error title=tool::bad 'x'%0A::add-mask::secret, 100%25\n");
	assert_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	close(fd);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_returns_minus_one),
		cmocka_unit_test(test_levels_filter),
		cmocka_unit_test(test_sink_save_restore),
		cmocka_unit_test(test_actions_annotation_is_escaped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
