#include "common/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "chaos_report.h"
#include "common/log.h"
#include "rules.h"

/*
 * Parallel-execution failures: one worker of the command dies. Workers are
 * the direct children of the command (a test runner's forks), else any
 * other process of its group; they are ordered by start time, then pid, so the
 * same seed picks the same worker in a rerun with the same structure.
 */
struct worker {
	pid_t pid;
	uint64_t start;
};

static int
cmp_worker(const void *a, const void *b)
{
	const struct worker *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* pgid (field 5) and ppid (field 4) from /proc/PID/stat; -1 if gone. */
static pid_t
pgid_of(pid_t pid, pid_t *ppid)
{
	char path[64], data[1024], *p;
	int fd, field;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	data[n] = '\0';
	p = strrchr(data, ')');
	if (p == NULL || p[1] == '\0' || p[2] == 'Z')
		return -1; /* zombies are already dead */
	for (field = 2; *p != '\0' && field < 4; p++)
		if (*p == ' ')
			field++;
	*ppid = (pid_t)strtol(p, &p, 10);
	return (pid_t)strtol(p, NULL, 10);
}

/* Workers: the leader's direct children (a runner's forks), or with
 * direct_only false any other member of the group. */
static size_t
list_workers(pid_t pgid, bool direct_only, struct worker *w, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		pid_t pid = (pid_t)strtol(e->d_name, NULL, 10), ppid = 0;

		if (pid <= 0 || pid == pgid || pgid_of(pid, &ppid) != pgid ||
		    (direct_only && ppid != pgid))
			continue;
		w[n].pid = pid;
		w[n].start = chaos_proc_start(pid);
		n++;
	}
	closedir(d);
	return n;
}

ATTR_NORETURN static void
killer_main(pid_t pgid, int64_t delay_ms, uint64_t seed, const char *log)
{
	struct timespec ts = { (time_t)(delay_ms / 1000),
		(long)(delay_ms % 1000) * 1000000 };
	struct worker w[1024];
	size_t n, pick;
	char line[256];
	int fd, len;

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	n = list_workers(pgid, true, w, ARRAY_SIZE(w));
	if (n == 0)
		n = list_workers(pgid, false, w, ARRAY_SIZE(w));
	if (n == 0) {
		/* no workers: the command itself is the only candidate */
		w[0].pid = pgid;
		w[0].start = chaos_proc_start(pgid);
		n = w[0].start != 0 ? 1 : 0;
	}
	if (n == 0)
		_exit(0);
	qsort(w, n, sizeof(w[0]), cmp_worker);
	pick = (size_t)(chaos_draw(seed, 0x6b696c6cULL, 0, 0) % n);
	if (kill(w[pick].pid, SIGKILL) != 0)
		_exit(0);
	len = snprintf(line, sizeof(line),
	    "{\"pid\":%d,\"lineage\":\"killer\",\"rule\":-1,\"call\":\"kill\",\"fn\":\"kill\",\"n\":%zu,\"of\":%zu,\"action\":\"kill\",\"signal\":\"SIGKILL\",\"delay_ns\":0}\n",
	    (int)w[pick].pid, pick + 1, n);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, line, (size_t)len) != len)
			_exit(1);
		close(fd);
	}
	_exit(0);
}

int
chaos_killer_start(pid_t pgid, int64_t delay_ms, uint64_t seed, const char *log,
    struct chaos_journal *j, pid_t *pid)
{
	pid_t parent = getpid();

	*pid = fork();
	if (*pid < 0)
		return error_errno("cannot fork the worker killer");
	if (*pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		killer_main(pgid, delay_ms, seed, log);
	}
	return chaos_journal_add_pid(j, "pid", *pid);
}
