/* glob: segment wildcards, "**" across segments, expansion on a tree. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/glob.h"
#include "common/log.h"
#include "common/strlist.h"
#include "tmpdir.h"

static const struct {
	const char *pat, *path;
	bool match;
} cases[] = {
	{ "*.xml", "a.xml", true },
	{ "*.xml", "dir/a.xml", false }, /* '*' stays in its segment */
	{ "*", "a", true },
	{ "*", "a/b", false },
	{ "a?c", "abc", true },
	{ "a?c", "a/c", false },
	{ "a?c", "ac", false },
	{ "[abc].txt", "b.txt", true },
	{ "[abc].txt", "d.txt", false },
	{ "[!abc].txt", "d.txt", true },
	{ "[a-c]x", "cx", true },
	{ "[a-c]x", "dx", false },
	{ "file\\*", "file*", true },
	{ "file\\*", "filex", false },
	{ "reports/**/*.xml", "reports/a.xml", true }, /* zero segments */
	{ "reports/**/*.xml", "reports/x/y/z/a.xml", true },
	{ "reports/**/*.xml", "reports/x/a.txt", false },
	{ "reports/**/*.xml", "other/a.xml", false },
	{ "**", "a/b/c", true },
	{ "**/*.c", "main.c", true },
	{ "**/*.c", "src/lib/x.c", true },
	{ "src/**", "src/a/b", true },
	{ "src/**", "srcx/a", false },
	{ "a/**/b/**/c", "a/b/c", true },
	{ "a/**/b/**/c", "a/x/b/y/z/c", true },
	{ "a/**/b/**/c", "a/x/y/c", false },
	{ "./dist/*.tar.gz", "dist/a.tar.gz", true },
	{ "dist/*.tar.gz", "./dist/a.tar.gz", true },
	{ "dist//*.gz", "dist/a.gz", true },
	{ "/abs/*", "/abs/x", true },
	{ "/abs/*", "abs/x", false },
	{ "abs/*", "/abs/x", false },
	{ "a*b*c", "aXXbYYc", true },
	{ "a*b*c", "aXXbYY", false },
	{ "", "", true },
	{ "x", "", false },
};

static void
test_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (glob_match(cases[i].pat, cases[i].path) != cases[i].match)
			fail_msg("glob_match('%s', '%s') != %d", cases[i].pat,
			    cases[i].path, cases[i].match);
}

static void
test_many_doublestars_terminate(void **state)
{
	char path[400];
	size_t i;

	(void)state;
	/* Exponential backtracking would never finish this. */
	for (i = 0; i < 100; i++)
		memcpy(path + 2 * i, "a/", 2);
	memcpy(path + 200, "b", 2);
	assert_false(glob_match("**/**/**/**/**/**/**/**/**/**/**/**/c", path));
	assert_true(glob_match("**/**/**/**/**/**/**/**/**/**/**/**/b", path));
}

static void
touch(const char *dir, const char *rel)
{
	char *p = tmpdir_path(dir, rel);
	char *slash = strrchr(p, '/');

	*slash = '\0';
	assert_int_equal(fs_mkdirs(p, 0755), 0);
	*slash = '/';
	free(tmpdir_write(dir, rel, "x"));
	free(p);
}

static char *
join_list(const struct strlist *l, const char *strip)
{
	size_t i, n = 1;
	char *s;

	for (i = 0; i < l->nr; i++)
		n += strlen(l->items[i]) + 1;
	s = calloc(1, n);
	for (i = 0; i < l->nr; i++) {
		const char *it = l->items[i];
		if (strip && strncmp(it, strip, strlen(strip)) == 0)
			it += strlen(strip);
		memcpy(s + strlen(s), it, strlen(it));
		if (i + 1 < l->nr)
			s[strlen(s)] = ' ';
	}
	return s;
}

static void
test_expand_tree(void **state)
{
	char *dir = tmpdir_make(), *cwd = getcwd(NULL, 0), *got, *pat = NULL,
	     *strip = NULL;
	struct strlist l = STRLIST_INIT;

	(void)state;
	touch(dir, "reports/b.xml");
	touch(dir, "reports/a.xml");
	touch(dir, "reports/sub/deep/c.xml");
	touch(dir, "reports/sub/note.txt");
	touch(dir, "src/z.c");
	touch(dir, "src/a.c");
	touch(dir, "src/lib/m.c");
	touch(dir, "top.c");
	assert_int_equal(chdir(dir), 0);
	/* A symlinked directory is not followed. */
	assert_int_equal(symlink("reports", "link"), 0);

	assert_int_equal(glob_expand("reports/**/*.xml", &l, 0), 3);
	got = join_list(&l, NULL);
	assert_string_equal(
	    got, "reports/a.xml reports/b.xml reports/sub/deep/c.xml");
	free(got);
	strlist_release(&l);

	/* "link" -> reports is a symlinked directory: not walked. */
	assert_int_equal(glob_expand("**/*.xml", &l, 0), 3);
	got = join_list(&l, NULL);
	assert_string_equal(
	    got, "reports/a.xml reports/b.xml reports/sub/deep/c.xml");
	free(got);
	strlist_release(&l);

	assert_int_equal(glob_expand("./src/*.c", &l, 0), 2);
	got = join_list(&l, NULL);
	assert_string_equal(got, "src/a.c src/z.c");
	free(got);
	strlist_release(&l);

	assert_int_equal(glob_expand("**/*.c", &l, 0), 4);
	got = join_list(&l, NULL);
	assert_string_equal(got, "src/a.c src/lib/m.c src/z.c top.c");
	free(got);
	strlist_release(&l);

	/* No wildcard: the file itself if it exists, else nothing. */
	assert_int_equal(glob_expand("top.c", &l, 0), 1);
	assert_int_equal(glob_expand("missing.c", &l, 0), 0);
	assert_int_equal(glob_expand("nodir/*.c", &l, 0), 0);
	assert_int_equal(l.nr, 1);
	strlist_release(&l);

	/* Over the cap is an error and adds nothing. */
	strlist_push(&l, "before");
	assert_int_equal(glob_expand("**/*.c", &l, 3), -1);
	assert_int_equal(l.nr, 1);
	strlist_release(&l);

	/* Absolute patterns give absolute paths. */
	assert_true(asprintf(&pat, "%s/src/*.c", dir) > 0);
	assert_true(asprintf(&strip, "%s/", dir) > 0);
	assert_int_equal(glob_expand(pat, &l, 0), 2);
	got = join_list(&l, strip);
	assert_string_equal(got, "src/a.c src/z.c");
	assert_true(strncmp(l.items[0], dir, strlen(dir)) == 0);
	free(got);
	strlist_release(&l);

	assert_int_equal(chdir(cwd), 0);
	free(pat);
	free(strip);
	tmpdir_remove(dir);
	free(dir);
	free(cwd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_table),
		cmocka_unit_test(test_many_doublestars_terminate),
		cmocka_unit_test(test_expand_tree),
	};

	log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
