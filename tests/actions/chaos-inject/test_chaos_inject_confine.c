/*
 * The blast-radius guard (confine.c): the allowed roots come from the
 * environment, the working directory and --allow-root; a path must resolve
 * strictly below one of them and never into a system directory.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "chaos.h"

static char base[PATH_MAX], oldcwd[PATH_MAX];

static const char *
at(const char *rel)
{
	static char bufs[4][PATH_MAX * 2];
	static int k;

	k = (k + 1) % 4;
	snprintf(bufs[k], sizeof(bufs[k]), "%s/%s", base, rel);
	return bufs[k];
}

static void
mk(const char *rel)
{
	assert_int_equal(mkdir(at(rel), 0700), 0);
}

static int
setup(void **s)
{
	char tmpl[] = "/tmp/chaos-confine-XXXXXX", real[PATH_MAX];

	(void)s;
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, real) == NULL ||
	    getcwd(oldcwd, sizeof(oldcwd)) == NULL)
		return -1;
	snprintf(base, sizeof(base), "%s", real);
	mk("ws");
	mk("ws/sub");
	mk("ws/cache");
	mk("rt");
	mk("rt/cache");
	mk("home");
	mk("home/.cache");
	mk("tmp");
	mk("cwd");
	mk("other");
	mk("other/cache");
	if (symlink("/etc", at("ws/etc-link")) != 0 ||
	    symlink(at("other"), at("ws/other-link")) != 0)
		return -1;
	return 0;
}

static int
teardown(void **s)
{
	int st = -1;
	pid_t pid;

	(void)s;
	if (chdir(oldcwd) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		execlp("rm", "rm", "-rf", base, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* A runner-like environment, cwd in base/cwd; roots into r. */
static void
runner_env(struct strlist *r, const struct strlist *extra)
{
	setenv("GITHUB_WORKSPACE", at("ws"), 1);
	setenv("RUNNER_TEMP", at("rt"), 1);
	setenv("HOME", at("home"), 1);
	setenv("TMPDIR", at("tmp"), 1);
	assert_int_equal(chdir(at("cwd")), 0);
	strlist_init(r);
	assert_int_equal(chaos_roots_init(r, extra), 0);
}

static int
allowed(const struct strlist *r, const char *path, unsigned flags)
{
	return chaos_path_allowed(path, r, "--test", flags);
}

static void
test_system_paths(void **s)
{
	static const char *const yes[] = { "/", "/etc", "/etc/ssl/x", "/usr",
		"/usr/share", "/bin", "/sbin/x", "/lib", "/lib64", "/libx32/a",
		"/boot", "/proc/1", "/sys", "/dev/null", "/var/lib",
		"/var/lib/dpkg" };
	static const char *const no[] = { "/tmp", "/home/u", "/var/tmp",
		"/var/library", "/etcetera", "/opt/usr", "/root", "relative" };
	size_t i;

	(void)s;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(chaos_path_is_system(yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(chaos_path_is_system(no[i]));
}

static void
test_roots_from_env_and_cwd(void **s)
{
	struct strlist r;
	size_t i;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(r.nr, 5);
	assert_string_equal(r.items[0], at("ws"));
	assert_string_equal(r.items[1], at("rt"));
	assert_string_equal(r.items[2], at("home"));
	assert_string_equal(r.items[3], at("tmp"));
	assert_string_equal(r.items[4], at("cwd"));
	strlist_release(&r);

	/* TMPDIR unset means /tmp; a HOME of / is ignored, never a root */
	unsetenv("TMPDIR");
	setenv("HOME", "/", 1);
	strlist_init(&r);
	assert_int_equal(chaos_roots_init(&r, NULL), 0);
	for (i = 0; i < r.nr; i++)
		assert_string_not_equal(r.items[i], "/");
	for (i = 0; i < r.nr && strcmp(r.items[i], "/tmp") != 0; i++)
		;
	assert_true(i < r.nr);
	strlist_release(&r);
}

static void
test_etc_refused(void **s)
{
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, "/etc", 0), -1);
	assert_int_equal(allowed(&r, "/etc", CHAOS_PATH_INSIDE), -1);
	assert_int_equal(allowed(&r, "/etc/hostname", 0), -1);
	assert_int_equal(allowed(&r, "/usr/share", CHAOS_PATH_DRY_RUN), -1);
	assert_int_equal(allowed(&r, "/", CHAOS_PATH_INSIDE), -1);
	strlist_release(&r);
}

static void
test_symlink_to_etc_refused(void **s)
{
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, at("ws/etc-link"), 0), -1);
	assert_int_equal(allowed(&r, at("ws/etc-link"), CHAOS_PATH_INSIDE), -1);
	assert_int_equal(allowed(&r, at("ws/etc-link/hostname"), 0), -1);
	/* a link to a directory outside every root is judged by its target */
	assert_int_equal(allowed(&r, at("ws/other-link/cache"), 0), -1);
	/* a missing path cannot be resolved, so it is refused */
	assert_int_equal(allowed(&r, at("ws/nonexistent"), 0), -1);
	strlist_release(&r);
}

static void
test_dotdot_escape_refused(void **s)
{
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, at("ws/sub/../../other/cache"), 0), -1);
	assert_int_equal(allowed(&r, "../other/cache", 0), -1); /* from cwd */
	assert_int_equal(allowed(&r, at("ws/../../../../../../etc"), 0), -1);
	assert_int_equal(allowed(&r, at("ws/.."), CHAOS_PATH_INSIDE), -1);
	/* `..` that stays inside a root is fine */
	assert_int_equal(allowed(&r, at("ws/sub/../cache"), 0), 0);
	strlist_release(&r);
}

static void
test_paths_under_roots_accepted(void **s)
{
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, at("rt/cache"), 0), 0);
	assert_int_equal(allowed(&r, at("ws/cache"), 0), 0);
	assert_int_equal(allowed(&r, at("home/.cache"), 0), 0);
	assert_int_equal(allowed(&r, "../rt/cache", 0), 0);
	strlist_release(&r);
}

static void
test_root_itself_refused(void **s)
{
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, at("home"), 0), -1);
	assert_int_equal(allowed(&r, at("rt"), 0), -1);
	assert_int_equal(allowed(&r, ".", 0), -1);
	/* a fill file goes inside: the root itself may be filled */
	assert_int_equal(allowed(&r, at("rt"), CHAOS_PATH_INSIDE), 0);
	strlist_release(&r);

	/* HOME below the workspace is still a root of its own */
	setenv("HOME", at("ws/sub"), 1);
	strlist_init(&r);
	assert_int_equal(chaos_roots_init(&r, NULL), 0);
	assert_int_equal(allowed(&r, at("ws/sub"), 0), -1);
	strlist_release(&r);
}

static void
test_allow_root(void **s)
{
	struct strlist r, extra = STRLIST_INIT;

	(void)s;
	runner_env(&r, NULL);
	assert_int_equal(allowed(&r, at("other/cache"), 0), -1);
	strlist_release(&r);

	strlist_push(&extra, at("other"));
	runner_env(&r, &extra);
	assert_string_equal(r.items[0], at("other"));
	assert_int_equal(allowed(&r, at("other/cache"), 0), 0);
	assert_int_equal(allowed(&r, at("ws/other-link/cache"), 0), 0);
	assert_int_equal(allowed(&r, at("other"), 0), -1);
	strlist_release(&r);
	strlist_release(&extra);

	/* system directories and missing ones cannot be made roots */
	strlist_push(&extra, "/");
	strlist_init(&r);
	assert_int_equal(chaos_roots_init(&r, &extra), -1);
	strlist_release(&r);
	strlist_release(&extra);
	strlist_push(&extra, "/usr/share");
	strlist_init(&r);
	assert_int_equal(chaos_roots_init(&r, &extra), -1);
	strlist_release(&r);
	strlist_release(&extra);
	strlist_push(&extra, at("nonexistent"));
	strlist_init(&r);
	assert_int_equal(chaos_roots_init(&r, &extra), -1);
	strlist_release(&r);
	strlist_release(&extra);
}

/* Through the scenario planner: the options are checked, cache dirs are
 * not roots of their own any more. */
static void
test_plan_refuses(void **s)
{
	struct chaos_run_opts o;
	struct chaos_plan p;
	struct strlist r;

	(void)s;
	runner_env(&r, NULL);
	strlist_release(&r);

	chaos_run_opts_init(&o);
	chaos_plan_init(&p);
	o.scenario = "cache-invalidation";
	strlist_push(&o.cache_dirs, "/etc");
	assert_int_equal(chaos_plan_build(&o, 1, &p), -1);
	assert_int_equal(p.aside.nr, 0);
	chaos_plan_release(&p);
	chaos_run_opts_release(&o);

	chaos_run_opts_init(&o);
	chaos_plan_init(&p);
	o.scenario = "resource-exhaustion";
	o.fill_dir = "/etc";
	o.dry_run = true;
	assert_int_equal(chaos_plan_build(&o, 1, &p), -1);
	chaos_plan_release(&p);
	chaos_run_opts_release(&o);

	/* a cache dir outside the roots no longer admits a --file in it */
	chaos_run_opts_init(&o);
	chaos_plan_init(&p);
	o.scenario = "artifact-corruption";
	strlist_push(&o.cache_dirs, at("other/cache"));
	strlist_push(&o.files, at("other/cache"));
	assert_int_equal(chaos_plan_build(&o, 1, &p), -1);
	chaos_plan_release(&p);
	chaos_run_opts_release(&o);

	chaos_run_opts_init(&o);
	chaos_plan_init(&p);
	o.scenario = "cache-invalidation";
	strlist_push(&o.cache_dirs, at("rt/cache"));
	o.fill_dir = at("rt");
	assert_int_equal(chaos_plan_build(&o, 1, &p), 0);
	assert_int_equal(p.aside.nr, 1);
	chaos_plan_release(&p);
	chaos_run_opts_release(&o);

	chaos_run_opts_init(&o);
	chaos_plan_init(&p);
	o.scenario = "cache-invalidation";
	strlist_push(&o.allow_roots, at("other"));
	strlist_push(&o.cache_dirs, at("other/cache"));
	assert_int_equal(chaos_plan_build(&o, 1, &p), 0);
	assert_int_equal(p.aside.nr, 1);
	chaos_plan_release(&p);
	chaos_run_opts_release(&o);
}

/* Writes a one-step undo journal "kind a [b]" (paths hex-encoded). */
static const char *
journal(const char *kind, const char *a, const char *b)
{
	struct buf line = BUF_INIT(0);
	const char *path = at("undo-1.log");
	FILE *f;

	buf_addf(&line, "owner\n%s ", kind);
	assert_int_equal(chaos_hex_encode(&line, a), 0);
	if (b != NULL) {
		buf_addch(&line, ' ');
		assert_int_equal(chaos_hex_encode(&line, b), 0);
	}
	buf_addch(&line, '\n');
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(line.data, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	buf_release(&line);
	return path;
}

/* A forged journal cannot aim rollback at a system path or through `..`. */
static void
test_rollback_refuses_forged_steps(void **s)
{
	struct stat st;
	FILE *f;

	(void)s;
	mk("victim");
	mk("aside");
	f = fopen(at("victim/keep"), "w");
	assert_non_null(f);
	fclose(f);
	/* would remove_tree the victim and move the aside dir in its place */
	assert_int_equal(
	    chaos_rollback_path(
	        journal("moved", at("ws/../victim"), at("aside")), false, NULL),
	    -1);
	assert_int_equal(stat(at("victim/keep"), &st), 0);
	assert_int_equal(stat(at("aside"), &st), 0);
	/* a fill step under /etc is refused before any unlink */
	assert_int_equal(
	    chaos_rollback_path(
	        journal("fill", "/etc/chaos-nonexistent", NULL), false, NULL),
	    -1);
	assert_int_equal(
	    chaos_rollback_path(
	        journal("fill", "relative/fill", NULL), false, NULL),
	    -1);
	/* a real fill step still works */
	f = fopen(at("ws/.bulwark-chaos-fill-1"), "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(
	    chaos_rollback_path(
	        journal("fill", at("ws/.bulwark-chaos-fill-1"), NULL), false,
	        NULL),
	    0);
	assert_int_equal(stat(at("ws/.bulwark-chaos-fill-1"), &st), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_system_paths),
		cmocka_unit_test(test_roots_from_env_and_cwd),
		cmocka_unit_test(test_etc_refused),
		cmocka_unit_test(test_symlink_to_etc_refused),
		cmocka_unit_test(test_dotdot_escape_refused),
		cmocka_unit_test(test_paths_under_roots_accepted),
		cmocka_unit_test(test_root_itself_refused),
		cmocka_unit_test(test_allow_root),
		cmocka_unit_test(test_plan_refuses),
		cmocka_unit_test(test_rollback_refuses_forged_steps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
