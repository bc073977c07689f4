#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpdir.h"

static void
fail(const char *what, const char *arg)
{
	fprintf(stderr, "test helper: %s '%s' failed\n", what, arg);
	abort();
}

static char *
join(const char *a, const char *b)
{
	char *s = NULL;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		fail("asprintf", a);
	return s;
}

char *
tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *t = join(base && *base ? base : "/tmp", "bulwark-test.XXXXXX");

	if (mkdtemp(t) == NULL)
		fail("mkdtemp", t);
	return t;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

void
tmpdir_remove(const char *dir)
{
	if (dir != NULL)
		(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
tmpdir_path(const char *dir, const char *name)
{
	return join(dir, name);
}

char *
tmpdir_write(const char *dir, const char *name, const char *content)
{
	char *p = join(dir, name);
	FILE *f = fopen(p, "wb");

	if (f == NULL)
		fail("fopen", p);
	if (fwrite(content, 1, strlen(content), f) != strlen(content))
		fail("fwrite", p);
	if (fclose(f) != 0)
		fail("fclose", p);
	return p;
}

char *
tmpdir_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t n = 0, cap = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = realloc(data, cap + 1);
			if (data == NULL)
				fail("realloc", path);
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}

int
tmpdir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		fail("opendir", dir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

void
stdout_capture_begin(struct stdout_capture *c)
{
	char *dir = tmpdir_make();
	int fd;

	c->path = join(dir, "stdout");
	free(dir);
	fflush(stdout);
	c->saved_fd = dup(1);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (c->saved_fd < 0 || fd < 0 || dup2(fd, 1) < 0)
		fail("redirect stdout to", c->path);
	close(fd);
}

char *
stdout_capture_end(struct stdout_capture *c)
{
	char *data, *slash;

	fflush(stdout);
	if (dup2(c->saved_fd, 1) < 0)
		fail("restore stdout from", c->path);
	close(c->saved_fd);
	data = tmpdir_read(c->path, NULL);
	if (data == NULL)
		fail("read", c->path);
	unlink(c->path);
	slash = strrchr(c->path, '/');
	*slash = '\0';
	rmdir(c->path);
	free(c->path);
	c->path = NULL;
	return data;
}

static char *
runner_file(const char *dir, const char *var, const char *name)
{
	char *p = tmpdir_write(dir, name, "");

	if (setenv(var, p, 1) != 0)
		fail("setenv", var);
	return p;
}

void
fake_runner_begin(struct fake_runner *r)
{
	r->dir = tmpdir_make();
	r->output = runner_file(r->dir, "GITHUB_OUTPUT", "set_output_x");
	r->env = runner_file(r->dir, "GITHUB_ENV", "set_env_x");
	r->path = runner_file(r->dir, "GITHUB_PATH", "add_path_x");
	r->state = runner_file(r->dir, "GITHUB_STATE", "save_state_x");
	r->summary =
	    runner_file(r->dir, "GITHUB_STEP_SUMMARY", "step_summary_x");
	setenv("GITHUB_ACTIONS", "true", 1);
	setenv("RUNNER_TEMP", r->dir, 1);
}

void
fake_runner_end(struct fake_runner *r)
{
	static const char *const vars[] = { "GITHUB_OUTPUT", "GITHUB_ENV",
		"GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY",
		"GITHUB_ACTIONS", "RUNNER_TEMP" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	tmpdir_remove(r->dir);
	free(r->dir);
	free(r->output);
	free(r->env);
	free(r->path);
	free(r->state);
	free(r->summary);
	memset(r, 0, sizeof(*r));
}

void
test_log_quiet(enum log_level lvl, const char *msg, void *ctx)
{
	(void)lvl;
	(void)msg;
	(void)ctx;
}
