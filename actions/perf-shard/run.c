#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/xalloc.h"
#include "run.h"

int
fmt_parse(const char *s, enum fmt *f)
{
	static const char *const names[] = { "lines", "args", "pytest", "jest",
		"go" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i])) {
			*f = (enum fmt)i;
			return 0;
		}
	return error_msg(
	    "unknown format '%s' (lines, args, pytest, jest, go)", s);
}

static int
shell_quote(struct buf *out, const char *s)
{
	int r = 0;

	if (*s && !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	                       "vwxyz0123456789_-./:=@%+,")])
		return buf_adds(out, s);
	r |= buf_addch(out, '\'');
	for (; *s; s++)
		r |= *s == '\'' ? buf_adds(out, "'\\''") : buf_addch(out, *s);
	r |= buf_addch(out, '\'');
	return r;
}

static int
regex_quote(struct buf *out, const char *s)
{
	int r = 0;

	for (; *s; s++) {
		if (strchr("\\^$.|?*+()[]{}", *s))
			r |= buf_addch(out, '\\');
		r |= buf_addch(out, *s);
	}
	return r;
}

int
fmt_items(enum fmt f, const char *const *items, size_t n, struct buf *out)
{
	size_t i;
	int r = 0;

	if (f == FMT_JEST || f == FMT_GO) {
		if (!n)
			return 0;
		r |= buf_adds(out, "^(");
		for (i = 0; i < n; i++) {
			const char *s = items[i], *c = strstr(s, "::");

			if (i)
				r |= buf_addch(out, '|');
			r |= regex_quote(out, f == FMT_GO && c ? c + 2 : s);
		}
		r |= buf_adds(out, ")$\n");
		return r ? -1 : 0;
	}
	for (i = 0; i < n; i++) {
		if (f == FMT_LINES) {
			r |= buf_adds(out, items[i]);
			r |= buf_addch(out, '\n');
		} else {
			if (i)
				r |= buf_addch(out, ' ');
			r |= shell_quote(out, items[i]);
		}
	}
	if (f != FMT_LINES && n)
		r |= buf_addch(out, '\n');
	return r ? -1 : 0;
}

static int
write_list(struct fs_temp *t, const char *const *items, size_t n)
{
	struct buf b = BUF_INIT(0);
	const char *dir = getenv("RUNNER_TEMP");
	int ret = -1;

	if (!dir || !*dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (fmt_items(FMT_LINES, items, n, &b) < 0)
		goto out;
	if (fs_temp_create(t, dir, "perf-shard-items") < 0)
		goto out;
	if (write(t->fd, b.data, b.len) != (ssize_t)b.len) {
		error_errno("cannot write '%s'", t->path);
		goto out;
	}
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

int
run_check_dashes(char *const *cmd, int ncmd, const char *const *items, size_t n)
{
	int k, at = ncmd;
	bool file_only = false;
	size_t i;

	for (k = 0; k < ncmd; k++) {
		if (!strcmp(cmd[k], "{}")) {
			at = k;
			break;
		}
		if (!strcmp(cmd[k], "{@}"))
			file_only = true;
	}
	if (file_only && at == ncmd)
		return 0;
	for (k = 1; k < at; k++)
		if (!strcmp(cmd[k], "--"))
			return 0;
	for (i = 0; i < n; i++)
		if (items[i][0] == '-')
			return error_msg(
			    "test id '%s' starts with '-' and would be read as "
			    "an option: put '--' before '{}' in the command, "
			    "or use '{@}'",
			    items[i]);
	return 0;
}

int
run_items(
    char **cmd, int ncmd, const char *const *items, size_t n, bool dry_run)
{
	struct strlist argv = STRLIST_INIT;
	struct fs_temp list = FS_TEMP_INIT;
	struct proc p;
	size_t bytes = 0, i;
	bool placeholder = false, use_file = false;
	int k, ret = -1;

	if (ncmd < 1)
		return error_msg("no command given after '--'");
	if (n == 0) {
		gha_annotate("notice", NULL,
		    "this shard has no tests; not running '%s'", cmd[0]);
		return 0;
	}
	if (run_check_dashes(cmd, ncmd, items, n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		bytes += strlen(items[i]) + 1 + sizeof(char *);
	for (k = 0; k < ncmd; k++)
		if (!strcmp(cmd[k], "{}") || !strcmp(cmd[k], "{@}"))
			placeholder = true;
	if (bytes > RUN_MAX_ARGS) {
		use_file = true;
		warn_msg(
		    "%zu items are too long for one argument list; passing "
		    "them as '@FILE'",
		    n);
	}
	for (k = 0; k < ncmd; k++) {
		bool file_ph = !strcmp(cmd[k], "{@}");

		if (!strcmp(cmd[k], "{}") && !use_file) {
			for (i = 0; i < n; i++)
				strlist_push(&argv, items[i]);
		} else if (file_ph || !strcmp(cmd[k], "{}")) {
			if (!list.path && write_list(&list, items, n) < 0)
				goto out;
			strlist_push_owned(
			    &argv, file_ph ? xstrdup(list.path)
			                   : xasprintf("@%s", list.path));
		} else {
			strlist_push(&argv, cmd[k]);
		}
	}
	if (!placeholder)
		for (i = 0; i < n; i++)
			strlist_push(&argv, items[i]);
	if (dry_run) {
		struct buf b = BUF_INIT(0);

		fmt_items(
		    FMT_ARGS, (const char *const *)argv.items, argv.nr, &b);
		fputs(b.data, stdout);
		buf_release(&b);
		ret = 0;
		goto out;
	}
	proc_init(&p);
	p.argv = argv.items;
	p.stdin_fd = PROC_STDIN_INHERIT;
	ret = proc_run(&p);
	proc_release(&p);
out:
	fs_temp_release(&list);
	strlist_release(&argv);
	return ret;
}
