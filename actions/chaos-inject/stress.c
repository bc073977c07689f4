#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "common/log.h"
#include "common/xalloc.h"

/*
 * Resource stressors. Each worker is a child that dies with us
 * (PR_SET_PDEATHSIG), is journaled so a rollback kills it, and exits on its
 * own at the deadline: three independent ways for a hog to end.
 */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000),
		(long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

uint64_t
chaos_mem_available(void)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "MemAvailable:");
	if (p == NULL)
		return 0;
	return strtoull(p + 13, NULL, 10) * 1024;
}

static void
worker_setup(pid_t parent, const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0); /* the parent died before prctl */
	prctl(PR_SET_NAME, name);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

ATTR_NORETURN static void
cpu_worker(pid_t parent, long load, int64_t deadline)
{
	worker_setup(parent, "chaos-cpu");
	for (;;) {
		int64_t start = now_ms();
		volatile uint64_t x = 0;

		if (deadline > 0 && start >= deadline)
			_exit(0);
		while (now_ms() - start < load)
			x++;
		if (load < 100)
			sleep_ms(100 - load);
	}
}

ATTR_NORETURN static void
mem_worker(pid_t parent, uint64_t want, uint64_t floor, int64_t deadline)
{
	const size_t chunk = (size_t)64 << 20;
	uint64_t got = 0;
	long page = sysconf(_SC_PAGESIZE);

	worker_setup(parent, "chaos-balloon");
	while (got < want) {
		size_t n = want - got < chunk ? (size_t)(want - got) : chunk;
		char *p;
		size_t i;

		if (chaos_mem_available() < floor + n)
			break; /* keep the floor: never push the runner into OOM
			        */
		p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		for (i = 0; i < n; i += (size_t)page)
			p[i] = 1; /* touched pages are resident */
		got += n;
	}
	while (deadline == 0 || now_ms() < deadline)
		sleep_ms(100);
	_exit(0);
}

int
chaos_stress_start(const struct chaos_stress *s, struct chaos_journal *j,
    pid_t *pids, size_t max, size_t *npids)
{
	pid_t self = getpid();
	long i, total = s->cpu_workers + (s->mem_bytes > 0 ? 1 : 0);

	*npids = 0;
	for (i = 0; i < total && *npids < max; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return error_errno("cannot fork stressor");
		if (pid == 0) {
			if (i < s->cpu_workers)
				cpu_worker(self, s->cpu_load, s->deadline_ms);
			mem_worker(
			    self, s->mem_bytes, s->mem_floor, s->deadline_ms);
		}
		pids[(*npids)++] = pid;
		if (chaos_journal_add_pid(j, "pid", pid) != 0) {
			kill(pid, SIGKILL);
			return -1;
		}
	}
	return 0;
}

int
chaos_disk_fill(const char *given, uint64_t fill_bytes, uint64_t keep_free,
    struct chaos_journal *j, struct buf *fill_path, uint64_t *filled)
{
	static const char zeros[65536];
	char dir[PATH_MAX];
	struct statvfs sv;
	uint64_t avail, want;
	int fd, rc = -1;

	*filled = 0;
	if (realpath(given, dir) == NULL)
		return error_errno("cannot resolve '%s'", given);
	if (statvfs(dir, &sv) != 0)
		return error_errno("cannot statvfs '%s'", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	want = fill_bytes;
	if (want == 0)
		want = avail > keep_free ? avail - keep_free : 0;
	if (fill_bytes > 0 && avail < fill_bytes + keep_free)
		return error_msg(
		    "'%s' has %llu bytes free; filling %llu would pass the floor of %llu",
		    dir, (unsigned long long)avail,
		    (unsigned long long)fill_bytes,
		    (unsigned long long)keep_free);
	buf_reset(fill_path);
	buf_addf(fill_path, "%s/.bulwark-chaos-fill-%d", dir, (int)getpid());
	if (chaos_journal_add(j, "fill", fill_path->data, NULL, NULL) != 0)
		return -1;
	fd = open(
	    fill_path->data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_errno("cannot create '%s'", fill_path->data);
	if (want > 0 && fallocate(fd, 0, 0, (off_t)want) != 0 &&
	    errno != ENOSPC && errno != EOPNOTSUPP) {
		error_errno("cannot fill '%s'", fill_path->data);
		goto out;
	}
	/* top up with writes: fallocate may stop short of the last blocks */
	if (fill_bytes == 0 && keep_free == 0) {
		if (lseek(fd, 0, SEEK_END) < 0)
			goto out;
		while (write(fd, zeros, sizeof(zeros)) > 0)
			;
		while (write(fd, zeros, 512) > 0)
			;
	}
	{
		struct stat st;
		if (fstat(fd, &st) == 0)
			*filled = (uint64_t)st.st_blocks * 512;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}
