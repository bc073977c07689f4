#include "common/compat.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos.h"
#include "common/log.h"

/*
 * The blast-radius guard. Every path chaos-inject mutates, moves aside or
 * fills must resolve (realpath: symlinks followed, `..` collapsed) strictly
 * below an allowed root, and never into a system directory, whatever the
 * roots say: a HOME of "/" or an `--allow-root /usr` must not open them.
 */

/* First components never touched; "lib" also covers lib32, lib64, ... */
static const char *const system_top[] = { "etc", "usr", "bin", "sbin", "boot",
	"proc", "sys", "dev" };

bool
chaos_path_is_system(const char *p)
{
	const char *end;
	size_t n, i;

	if (p[0] != '/')
		return false;
	p++;
	if (*p == '\0')
		return true; /* "/" itself */
	end = strchr(p, '/');
	n = end != NULL ? (size_t)(end - p) : strlen(p);
	if (n >= 3 && strncmp(p, "lib", 3) == 0)
		return true;
	for (i = 0; i < ARRAY_SIZE(system_top); i++)
		if (strlen(system_top[i]) == n &&
		    strncmp(p, system_top[i], n) == 0)
			return true;
	return strncmp(p, "var/lib", 7) == 0 && (p[7] == '\0' || p[7] == '/');
}

/* Adds dir's real path; env roots that are missing or system dirs are
 * skipped (a container's HOME=/ must not allow everything). */
static void
add_root(struct strlist *roots, const char *dir)
{
	char real[PATH_MAX];
	size_t i;

	if (dir == NULL || *dir == '\0' || realpath(dir, real) == NULL ||
	    chaos_path_is_system(real))
		return;
	for (i = 0; i < roots->nr; i++)
		if (strcmp(roots->items[i], real) == 0)
			return;
	strlist_push(roots, real);
}

int
chaos_roots_init(struct strlist *roots, const struct strlist *extra)
{
	static const char *const env[] = { "GITHUB_WORKSPACE", "RUNNER_TEMP",
		"HOME" };
	const char *tmp = getenv("TMPDIR");
	char real[PATH_MAX];
	size_t i;

	for (i = 0; extra != NULL && i < extra->nr; i++) {
		const char *d = extra->items[i];

		if (realpath(d, real) == NULL)
			return error_errno(
			    "cannot resolve --allow-root '%s'", d);
		if (chaos_path_is_system(real))
			return error_msg(
			    "refusing --allow-root '%s': '%s' is a system directory",
			    d, real);
		add_root(roots, real);
	}
	for (i = 0; i < ARRAY_SIZE(env); i++)
		add_root(roots, getenv(env[i]));
	add_root(roots, tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (getcwd(real, sizeof(real)) != NULL)
		add_root(roots, real);
	return 0;
}

/* Why real may not be touched, or NULL if it may. A root is refused even
 * when it lies below another root ($HOME inside the workspace). */
static const char *
refusal(const char *real, const struct strlist *roots, bool inside)
{
	bool below = false;
	size_t i;

	if (chaos_path_is_system(real))
		return "a system directory";
	for (i = 0; roots != NULL && i < roots->nr; i++) {
		const char *root = roots->items[i];
		size_t n = strlen(root);

		if (strcmp(real, root) == 0 && !inside)
			return "an allowed root itself; name a path below it";
		if (strcmp(real, root) == 0 ||
		    (strncmp(real, root, n) == 0 && real[n] == '/'))
			below = true;
	}
	if (below)
		return NULL;
	return "outside every allowed root (GITHUB_WORKSPACE, RUNNER_TEMP, "
	       "HOME, TMPDIR, the working directory, --allow-root)";
}

int
chaos_path_allowed(const char *path, const struct strlist *roots,
    const char *opt, unsigned flags)
{
	const char *verb =
	    flags & CHAOS_PATH_DRY_RUN ? "would refuse" : "refusing";
	const char *why;
	char real[PATH_MAX];

	if (realpath(path, real) == NULL)
		return error_msg("%s to touch '%s' (%s): cannot resolve it: %s",
		    verb, path, opt, strerror(errno));
	why = refusal(real, roots, (flags & CHAOS_PATH_INSIDE) != 0);
	if (why == NULL)
		return 0;
	if (strcmp(real, path) != 0)
		return error_msg(
		    "%s to touch '%s' (%s): it resolves to '%s', %s", verb,
		    path, opt, real, why);
	return error_msg("%s to touch '%s' (%s): %s", verb, path, opt, why);
}
