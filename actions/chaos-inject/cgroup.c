#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "chaos.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"

/*
 * cgroup v2 limits for the command (root only): a leaf cgroup
 * <cgroup2 mount>/bulwark-chaos-<pid>, journaled before it is made, with
 * cpu.max, memory.max and pids.max as asked. The command joins it in the
 * __exec trampoline, before exec, so its children are in it too. Undo
 * kills what is left inside and removes the directory.
 */
#define CG_PREFIX "bulwark-chaos-"

/* The cgroup2 mount point: the unified hierarchy, or "unified" of a
 * hybrid one. */
static int
cgroup2_mount(struct buf *out)
{
	struct buf m = BUF_INIT(1 << 20);
	struct strlist lines = STRLIST_INIT;
	size_t i;
	int rc = -1;

	buf_reset(out);
	if (fs_read_file("/proc/self/mounts", 1 << 20, &m) != 0)
		goto out;
	strlist_split(&lines, m.data, '\n', 1);
	for (i = 0; i < lines.nr && rc != 0; i++) {
		char dev[256], dir[4096], type[64];

		if (sscanf(lines.items[i], "%255s %4095s %63s", dev, dir,
		        type) == 3 &&
		    strcmp(type, "cgroup2") == 0)
			rc = buf_adds(out, dir);
	}
out:
	strlist_release(&lines);
	buf_release(&m);
	return rc;
}

static bool
has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;

	while ((p = strstr(p, w)) != NULL) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
		p += n;
	}
	return false;
}

int
chaos_cgroup_probe(const struct chaos_cgroup *want, struct chaos_cgroup *use,
    struct buf *mount, struct buf *why)
{
	static const char *const ctl[] = { "cpu", "memory", "pids" };
	struct buf path = BUF_INIT(0), have = BUF_INIT(4096);
	bool asked[3], got[3];
	size_t i;
	int rc = -1;

	*use = *want;
	use->cpu_pct = 0;
	use->memory = 0;
	use->pids = 0;
	asked[0] = want->cpu_pct > 0;
	asked[1] = want->memory > 0;
	asked[2] = want->pids > 0;
	buf_reset(why);
	if (geteuid() != 0) {
		buf_adds(why, "cgroup v2 limits need root");
		goto out;
	}
	if (cgroup2_mount(mount) != 0) {
		buf_adds(why, "no cgroup2 mount");
		goto out;
	}
	if (access(mount->data, W_OK) != 0) {
		buf_addf(why, "cgroup2 at '%s' is not writable", mount->data);
		goto out;
	}
	buf_addf(&path, "%s/cgroup.controllers", mount->data);
	if (fs_read_file(path.data, 4096, &have) != 0) {
		buf_addf(why, "cannot read '%s'", path.data);
		goto out;
	}
	/* below the root (a cgroup namespace, a delegated subtree) a
	 * controller must be enabled for children already: we cannot enable
	 * it in a cgroup that holds processes */
	buf_reset(&path);
	buf_addf(&path, "%s/cgroup.type", mount->data);
	if (access(path.data, F_OK) == 0) {
		buf_reset(&have);
		buf_reset(&path);
		buf_addf(&path, "%s/cgroup.subtree_control", mount->data);
		if (fs_read_file(path.data, 4096, &have) != 0) {
			buf_addf(why, "cannot read '%s'", path.data);
			goto out;
		}
	}
	for (i = 0; i < ARRAY_SIZE(ctl); i++) {
		got[i] = asked[i] && has_word(have.data, ctl[i]);
		if (asked[i] && !got[i])
			buf_addf(why, "%s%s", why->len ? ", " : "no ", ctl[i]);
	}
	while (have.len > 0 && (have.data[have.len - 1] == '\n' ||
	                           have.data[have.len - 1] == ' '))
		buf_truncate(&have, have.len - 1);
	if (why->len > 0)
		buf_addf(why,
		    " controller in cgroup2 at '%s', which offers '%s'",
		    mount->data, have.data);
	use->cpu_pct = got[0] ? want->cpu_pct : 0;
	use->memory = got[1] ? want->memory : 0;
	use->pids = got[2] ? want->pids : 0;
	rc = 0;
out:
	buf_release(&path);
	buf_release(&have);
	return rc;
}

static int
write_file(const char *dir, const char *name, const char *val)
{
	struct buf p = BUF_INIT(0);
	int fd, rc = 0;

	buf_addf(&p, "%s/%s", dir, name);
	fd = open(p.data, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		rc = error_errno("cannot write '%s' to '%s'", val, p.data);
	if (fd >= 0)
		close(fd);
	buf_release(&p);
	return rc;
}

static bool
has_file(const char *dir, const char *name)
{
	struct buf p = BUF_INIT(0);
	bool yes;

	buf_addf(&p, "%s/%s", dir, name);
	yes = access(p.data, F_OK) == 0;
	buf_release(&p);
	return yes;
}

void
chaos_cgroup_path(const char *mount, struct buf *path)
{
	buf_reset(path);
	buf_addf(path, "%s/" CG_PREFIX "%d", mount, (int)getpid());
}

int
chaos_cgroup_create(struct chaos_journal *j, const char *mount,
    const struct chaos_cgroup *c, const char *path)
{
	char v[64];

	if (chaos_journal_add(j, "cgroup", path, NULL, NULL) != 0)
		return -1;
	/* the root cgroup may enable controllers while it has processes */
	if (c->cpu_pct > 0)
		(void)write_file(mount, "cgroup.subtree_control", "+cpu");
	if (c->memory > 0)
		(void)write_file(mount, "cgroup.subtree_control", "+memory");
	if (c->pids > 0)
		(void)write_file(mount, "cgroup.subtree_control", "+pids");
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return error_errno("cannot create cgroup '%s'", path);
	if (c->cpu_pct > 0) {
		/* quota per 100 ms period: 100% = one CPU */
		snprintf(v, sizeof(v), "%ld 100000", c->cpu_pct * 1000);
		if (write_file(path, "cpu.max", v) != 0)
			return -1;
	}
	if (c->memory > 0) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)c->memory);
		if (write_file(path, "memory.max", v) != 0)
			return -1;
		/* no swap to escape into, where swap is accounted at all */
		if (has_file(path, "memory.swap.max") &&
		    write_file(path, "memory.swap.max", "0") != 0)
			return -1;
	}
	if (c->pids > 0) {
		snprintf(v, sizeof(v), "%ld", c->pids);
		if (write_file(path, "pids.max", v) != 0)
			return -1;
	}
	return 0;
}

int
chaos_cgroup_join(const char *path)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", (int)getpid());
	return write_file(path, "cgroup.procs", v);
}

/* Journals are plain files: only a bulwark-chaos-* directory right
 * below a cgroup2 mount may be removed. */
static bool
cgroup_path_ok(const char *path)
{
	const char *base = strrchr(path, '/');
	struct statfs sf;

	return base != NULL && strncmp(base + 1, CG_PREFIX, 14) == 0 &&
	       strstr(path, "/..") == NULL && statfs(path, &sf) == 0 &&
	       sf.f_type == CGROUP2_SUPER_MAGIC;
}

int
chaos_cgroup_undo(const char *path, struct buf *rep)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct buf procs = BUF_INIT(1 << 20), p = BUF_INIT(0);
	int i, rc = 0;

	if (access(path, F_OK) != 0)
		goto out; /* never made, or removed already */
	if (!cgroup_path_ok(path)) {
		rc = error_msg("journal: refusing to remove cgroup '%s'", path);
		goto out;
	}
	if (has_file(path, "cgroup.kill"))
		(void)write_file(path, "cgroup.kill", "1");
	for (i = 0; i < 300; i++) {
		char *s, *end;

		if (rmdir(path) == 0 || errno == ENOENT) {
			if (rep != NULL)
				buf_addf(rep, "removed cgroup '%s'\n", path);
			goto out;
		}
		if (errno != EBUSY)
			break;
		/* no cgroup.kill (before 5.14): kill what is inside */
		buf_reset(&p);
		buf_addf(&p, "%s/cgroup.procs", path);
		buf_reset(&procs);
		if (fs_read_file(p.data, 1 << 20, &procs) == 0)
			for (s = procs.data; *s != '\0'; s = end) {
				long pid = strtol(s, &end, 10);

				if (end == s)
					break;
				if (pid > 1)
					kill((pid_t)pid, SIGKILL);
			}
		nanosleep(&ts, NULL);
	}
	rc = error_errno("cannot remove cgroup '%s'", path);
out:
	buf_release(&procs);
	buf_release(&p);
	return rc;
}
