#include "common/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/glob.h"
#include "common/log.h"
#include "common/xalloc.h"

#define GLOB_MAX_DEFAULT 100000

static const char *
skip_dot_slash(const char *s)
{
	while (s[0] == '.' && s[1] == '/') {
		s += 2;
		while (*s == '/')
			s++;
	}
	return s;
}

/* Splits s on '/' (empty segments dropped) into a malloc'd array. */
static char **
split(const char *s, size_t *n)
{
	struct strlist l = STRLIST_INIT;

	strlist_split(&l, s, '/', 1);
	*n = l.nr;
	if (l.items == NULL)
		return xcalloc(1, sizeof(char *));
	return l.items;
}

static void
free_split(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

bool
glob_match(const char *pattern, const char *path)
{
	char **pv, **sv;
	size_t pn, sn, i, j;
	bool *dp, ok;

	pattern = skip_dot_slash(pattern);
	path = skip_dot_slash(path);
	if ((pattern[0] == '/') != (path[0] == '/'))
		return false;
	pv = split(pattern, &pn);
	sv = split(path, &sn);
	/* dp[i][j]: pattern segments i.. match path segments j.. */
	dp = xcalloc((pn + 1) * (sn + 1), sizeof(bool));
#define DP(a, b) dp[(a) * (sn + 1) + (b)]
	DP(pn, sn) = true;
	for (i = pn; i-- > 0;) {
		bool dstar = strcmp(pv[i], "**") == 0;
		for (j = sn + 1; j-- > 0;) {
			if (dstar)
				DP(i, j) =
				    DP(i + 1, j) || (j < sn && DP(i, j + 1));
			else
				DP(i, j) = j < sn && DP(i + 1, j + 1) &&
				           fnmatch(pv[i], sv[j], 0) == 0;
		}
	}
	ok = DP(0, 0);
#undef DP
	free(dp);
	free_split(pv, pn);
	free_split(sv, sn);
	return ok;
}

static bool
has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct walk {
	const char *pattern;
	struct strlist *out;
	size_t max;
	size_t max_depth; /* SIZE_MAX with "**" */
};

static int
walk_dir(struct walk *w, const char *dir, const char *shown, size_t depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (d == NULL) {
		/* A directory that vanished or is unreadable has no matches. */
		if (errno == ENOENT || errno == EACCES || errno == ENOTDIR)
			return 0;
		return error_errno("cannot read directory '%s'", dir);
	}
	while (ret == 0 && (e = readdir(d)) != NULL) {
		char *path, *rel;
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (shown[0] == '\0')
			rel = xstrdup(e->d_name);
		else
			rel = xasprintf("%s%s%s", shown,
			    shown[strlen(shown) - 1] == '/' ? "" : "/",
			    e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (depth + 1 < w->max_depth)
				ret = walk_dir(w, path, rel, depth + 1);
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		           glob_match(w->pattern, rel)) {
			if (w->out->nr >= w->max)
				ret =
				    error_msg("pattern '%s' matches more than "
				              "%zu files",
				        w->pattern, w->max);
			else
				strlist_push(w->out, rel);
		}
		free(path);
		free(rel);
	}
	closedir(d);
	return ret;
}

int
glob_expand(const char *pattern, struct strlist *out, size_t max)
{
	struct walk w;
	char **pv;
	size_t pn, i, lit, start = out->nr;
	char *base = NULL;
	int ret = -1;

	pattern = skip_dot_slash(pattern);
	if (max == 0)
		max = GLOB_MAX_DEFAULT;
	if (!has_magic(pattern)) {
		struct stat st;
		if (stat(pattern, &st) == 0 && S_ISREG(st.st_mode)) {
			strlist_push(out, pattern);
			return 1;
		}
		return 0;
	}
	pv = split(pattern, &pn);
	/* The literal leading directories are walked from, not matched. */
	for (lit = 0; lit + 1 < pn && !has_magic(pv[lit]); lit++)
		;
	base = xstrdup(pattern[0] == '/' ? "/" : "");
	for (i = 0; i < lit; i++) {
		char *next = xasprintf("%s%s%s", base,
		    base[0] && strcmp(base, "/") != 0 ? "/" : "", pv[i]);
		free(base);
		base = next;
	}
	w.pattern = pattern;
	w.out = out;
	w.max = start + max;
	w.max_depth = pn - lit;
	for (i = lit; i < pn; i++)
		if (strcmp(pv[i], "**") == 0)
			w.max_depth = SIZE_MAX;
	if (walk_dir(&w, base[0] ? base : ".", base, 0) < 0) {
		while (out->nr > start)
			free(out->items[--out->nr]);
		out->items[out->nr] = NULL;
		goto out;
	}
	if (out->nr > start)
		qsort(out->items + start, out->nr - start, sizeof(char *),
		    cmp_str);
	ret = (int)(out->nr - start);
out:
	free_split(pv, pn);
	free(base);
	return ret;
}
