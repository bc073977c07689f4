#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/xalloc.h"

/* Under ASan a huge malloc must return NULL like glibc's does, so the OOM
 * path is the one under test. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_strings(void **st)
{
	char *a = xstrdup("hello"), *b = xstrndup("hello", 3);
	char *c = xasprintf("%s-%d", "x", 42);

	(void)st;
	assert_string_equal(a, "hello");
	assert_string_equal(b, "hel");
	assert_string_equal(c, "x-42");
	free(a);
	free(b);
	free(c);
}

static void
test_xgrow_keeps_contents(void **st)
{
	int *arr = NULL;
	size_t cap = 0, i;

	(void)st;
	for (i = 0; i < 1000; i++) {
		xgrow((void **)&arr, &cap, i + 1, sizeof(*arr));
		assert_true(cap >= i + 1);
		arr[i] = (int)i;
	}
	for (i = 0; i < 1000; i++)
		assert_int_equal(arr[i], (int)i);
	free(arr);
}

/* Out of memory is the one place common/ exits: one line, status 125. */
static void
test_oom_exits_125(void **st)
{
	int fds[2], status;
	char msg[4096] = { 0 };
	size_t got = 0;
	pid_t pid;

	(void)st;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		(void)xmalloc((size_t)1 << 62);
		_exit(0);
	}
	close(fds[1]);
	/* Read everything: a sanitizer may warn before our line. */
	for (;;) {
		ssize_t n = read(fds[0], msg + got, sizeof(msg) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 125);
	assert_non_null(strstr(msg, "out of memory"));
}

static void
test_overflow_dies(void **st)
{
	int status;
	pid_t pid;

	(void)st;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(2);
		(void)xreallocarray(NULL, SIZE_MAX / 2, 4);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 125);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_xgrow_keeps_contents),
		cmocka_unit_test(test_oom_exits_125),
		cmocka_unit_test(test_overflow_dies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
