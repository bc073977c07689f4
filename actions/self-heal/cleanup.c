#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * Remedies for disk_full and cache_corrupt: delete paths with rm -rf (no
 * shell), each timed and reported with the space it freed on its file
 * system. Runner-wide defaults (research §8) only run on GitHub-hosted
 * runners: on a laptop or a self-hosted box self-heal deletes only what it
 * was told to.
 */
static const char *const hosted_dirs[] = {
	"/usr/local/lib/android",
	"/usr/share/dotnet",
	"/opt/ghc",
	"/usr/local/.ghcup",
	"/usr/share/swift",
	"/opt/hostedtoolcache/CodeQL",
};

char *
heal_expand_home(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home && *home)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

static uint64_t
free_bytes(const char *path)
{
	struct statvfs st;
	char *dir = xstrdup(path), *slash;
	uint64_t v = 0;

	/* the path itself may be gone: walk up to an existing parent */
	while (statvfs(dir, &st) < 0) {
		slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			if (statvfs("/", &st) < 0)
				goto out;
			break;
		}
		*slash = '\0';
	}
	v = (uint64_t)st.f_bavail * (uint64_t)st.f_frsize;
out:
	free(dir);
	return v;
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run_argv(const char *const *argv)
{
	struct proc p = PROC_INIT;
	int rc;

	p.argv = (char *const *)(uintptr_t)argv;
	p.stdin_fd = -1;
	p.capture_out = p.capture_err = true;
	p.max_capture = 1 << 16;
	p.timeout_ms = 600000;
	rc = proc_run(&p);
	if (rc > 0 && p.err.len)
		warn_msg("'%s' failed: %.*s", argv[0],
		    (int)(p.err.len > 200 ? 200 : p.err.len), p.err.data);
	proc_release(&p);
	return rc;
}

static void
report(struct buf *r, const char *what, uint64_t before, uint64_t after,
    double secs, int rc)
{
	uint64_t freed = after > before ? after - before : 0;
	(void)buf_addf(r, "- %s: %s, freed %.1f MiB in %.1f s\n", what,
	    rc == 0 ? "ok" : "failed", (double)freed / 1048576.0, secs);
}

int
heal_cleanup_paths(
    const struct strlist *paths, bool use_sudo, bool dry_run, struct buf *r)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < paths->nr; i++) {
		char *p = heal_expand_home(paths->items[i]);
		const char *argv[6];
		size_t n = 0;
		uint64_t before;
		double t0;
		int rc;

		if (!*p || !strcmp(p, "/") || access(p, F_OK) < 0) {
			free(p);
			continue;
		}
		if (dry_run) {
			(void)buf_addf(r, "- would remove '%s'\n", p);
			free(p);
			continue;
		}
		if (use_sudo && access(p, W_OK) < 0) {
			argv[n++] = "sudo";
			argv[n++] = "-n";
		}
		argv[n++] = "rm";
		argv[n++] = "-rf";
		argv[n++] = "--";
		argv[n++] = p;
		argv[n] = NULL;
		before = free_bytes(p);
		t0 = now_s();
		rc = run_argv(argv);
		{
			char *what = xasprintf("removed '%s'", p);
			report(
			    r, what, before, free_bytes(p), now_s() - t0, rc);
			free(what);
		}
		if (rc != 0)
			ret = -1;
		free(p);
	}
	return ret;
}

static bool
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	struct strlist dirs = STRLIST_INIT;
	bool found = false;
	size_t i;

	if (!path)
		return false;
	strlist_split(&dirs, path, ':', 1);
	for (i = 0; i < dirs.nr && !found; i++) {
		char *f = xasprintf("%s/%s", dirs.items[i], prog);
		found = access(f, X_OK) == 0;
		free(f);
	}
	strlist_release(&dirs);
	return found;
}

int
heal_disk_cleanup(const struct heal_run_opts *o, struct buf *r)
{
	const char *env = getenv("RUNNER_ENVIRONMENT");
	int rc = heal_cleanup_paths(&o->cleanup, false, o->dry_run_cleanup, r);

	if (o->default_cleanup && env && !strcmp(env, "github-hosted")) {
		struct strlist d = STRLIST_INIT;
		size_t i;

		if (in_path("docker") && !o->dry_run_cleanup) {
			static const char *const prune[] = { "docker", "image",
				"prune", "--all", "--force", NULL };
			uint64_t before = free_bytes("/var/lib/docker");
			double t0 = now_s();
			int x = run_argv(prune);
			report(r, "docker image prune", before,
			    free_bytes("/var/lib/docker"), now_s() - t0, x);
		}
		for (i = 0; i < ARRAY_SIZE(hosted_dirs); i++)
			strlist_push(&d, hosted_dirs[i]);
		if (heal_cleanup_paths(&d, true, o->dry_run_cleanup, r) < 0)
			rc = -1;
		strlist_release(&d);
	}
	return rc;
}

int
heal_cache_cleanup(
    const struct heal_run_opts *o, const struct heal_rule *rule, struct buf *r)
{
	int rc =
	    heal_cleanup_paths(&o->cache_paths, false, o->dry_run_cleanup, r);

	if (rule &&
	    heal_cleanup_paths(&rule->clean, false, o->dry_run_cleanup, r) < 0)
		rc = -1;
	/* the module cache is read-only on purpose: go removes it itself */
	if (rule && !strncmp(rule->id, "go-", 3) && in_path("go") &&
	    !o->dry_run_cleanup) {
		static const char *const gc[] = { "go", "clean", "-modcache",
			NULL };
		double t0 = now_s();
		int x = run_argv(gc);
		report(r, "go clean -modcache", 0, 0, now_s() - t0, x);
	}
	return rc;
}
