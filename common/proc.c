#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/proc_int.h"
#include "common/xalloc.h"

#define PROC_GRACE_DEFAULT 5000
#define PROC_CAPTURE_DEFAULT ((size_t)1 << 20)
#define PROC_LINE_DEFAULT ((size_t)64 << 10)
#define PROC_READ_DEFAULT ((size_t)64 << 10)
#define PROC_READ_MAX ((size_t)1 << 20)
/* Safety net for a lost SIGCHLD wake-up; not a timing contract. */
#define PROC_POLL_MAX_MS 100
/* After the child exits, how long an idle pipe held open by a lingering
 * grandchild is still read before we stop. */
#define PROC_DRAIN_IDLE_MS 200
/* After SIGKILL, how long we wait for the group to be gone (zombies not
 * reaped by their new parent still count as members). */
#define PROC_KILL_SETTLE_MS 500

/*
 * Signal forwarding uses a self-pipe: the handler only write(2)s the signal
 * number, which is async-signal-safe; the loop in proc_wait does the rest.
 */
static volatile sig_atomic_t proc_sigfd = -1;
static const int proc_fwd_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGCHLD };

static void
proc_on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (proc_sigfd >= 0)
		(void)!write(proc_sigfd, &c, 1);
	errno = saved;
}

void
proc_init(struct proc *p)
{
	struct proc init = PROC_INIT;

	*p = init;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
proc_close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

struct stream {
	int *fd;
	enum proc_stream which;
	struct buf line;
	struct buf *cap; /* NULL: not captured */
};

static void
emit(struct proc *p, struct stream *st, bool partial)
{
	p->on_line(
	    st->which, st->line.data, st->line.len, partial, p->line_ctx);
	buf_reset(&st->line);
}

/*
 * data is our own read buffer: whole lines in it are handed over in place
 * (the '\n' turned into the NUL), so a line is copied only when it spans
 * two reads or is cut into max_line pieces.
 */
static void
deliver(struct proc *p, struct stream *st, char *data, size_t n)
{
	size_t max_cap = p->max_capture ? p->max_capture : PROC_CAPTURE_DEFAULT;
	size_t max_line = p->max_line ? p->max_line : PROC_LINE_DEFAULT;

	if (st->cap != NULL) {
		size_t room = max_cap - st->cap->len;
		if (n > room)
			p->truncated = true;
		if (buf_add(st->cap, data, n > room ? room : n) < 0)
			p->truncated = true;
	}
	if (p->on_chunk != NULL)
		p->on_chunk(st->which, data, n, p->line_ctx);
	if (p->on_line == NULL)
		return;
	while (n > 0) {
		char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) : n;
		size_t room = max_line - st->line.len;

		if (nl != NULL && st->line.len == 0 && seg <= room) {
			*nl = '\0';
			p->on_line(st->which, data, seg, false, p->line_ctx);
			data = nl + 1;
			n -= seg + 1;
			continue;
		}
		if (seg > room) {
			/* Over-long line: hand it over in max_line pieces. */
			(void)buf_add(&st->line, data, room);
			emit(p, st, true);
			data += room;
			n -= room;
			continue;
		}
		(void)buf_add(&st->line, data, seg);
		data += seg;
		n -= seg;
		if (nl != NULL) {
			emit(p, st, false);
			data++;
			n--;
		}
	}
}

/* Reads what is there; closes the stream at EOF or error. */
static void
read_stream(struct proc *p, struct stream *st, char *chunk, size_t size)
{
	ssize_t n;

	do
		n = read(*st->fd, chunk, size);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		deliver(p, st, chunk, (size_t)n);
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	if (p->on_line != NULL && st->line.len > 0)
		emit(p, st, false);
	proc_close_fd(st->fd);
}

static int proc_cancel_sig;
/* proc_run's signal mask from before its spawn, restored by proc_wait. */
static bool proc_restore_pending;
static sigset_t proc_restore_mask;

int
proc_cancelled(void)
{
	return proc_cancel_sig;
}

/* Forwards what arrived; SIGCHLD only sets *chld for the next waitpid. */
static void
handle_signals(struct proc *p, int rfd, bool *chld)
{
	unsigned char sigs[64];
	ssize_t n, i;

	while ((n = read(rfd, sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			if (sigs[i] == SIGCHLD) {
				*chld = true;
			} else {
				proc_cancel_sig = sigs[i];
				(void)kill(-p->pid, sigs[i]);
			}
		}
	}
}

static bool
group_gone(pid_t pgid)
{
	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

int
proc_wait(struct proc *p)
{
	struct sigaction old[ARRAY_SIZE(proc_fwd_signals)], sa;
	struct stream st[2] = {
		{ &p->out_fd, PROC_STDOUT, BUF_INIT(0), NULL },
		{ &p->err_fd, PROC_STDERR, BUF_INIT(0), NULL },
	};
	int sp[2] = { -1, -1 };
	int64_t grace = p->grace_ms > 0 ? p->grace_ms : PROC_GRACE_DEFAULT;
	int64_t deadline = -1, kill_at = -1, idle_since = -1;
	bool reaped = false, kill_sent = false;
	/* waitpid only after a SIGCHLD (or a quiet poll, as a safety net);
	 * true at first for an exit before our handler was installed. */
	bool chld = true;
	size_t i, chunk_size = p->read_size ? p->read_size : PROC_READ_DEFAULT;
	char *chunk = NULL;
	int ret = -1;

	if (p->pid <= 0)
		return error_msg("no child process to wait for");
	if (chunk_size > PROC_READ_MAX)
		chunk_size = PROC_READ_MAX;
	if (p->capture_out)
		st[0].cap = &p->out;
	if (p->capture_err)
		st[1].cap = &p->err;
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0)
		return error_errno("cannot create a pipe");
	chunk = xmalloc(chunk_size);
	proc_sigfd = sp[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = proc_on_signal;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(proc_fwd_signals); i++)
		(void)sigaction(proc_fwd_signals[i], &sa, &old[i]);
	if (proc_restore_pending) { /* see proc_run */
		proc_restore_pending = false;
		(void)pthread_sigmask(SIG_SETMASK, &proc_restore_mask, NULL);
	}
	if (p->timeout_ms > 0)
		deadline = now_ms() + p->timeout_ms;

	for (;;) {
		struct pollfd pfd[3];
		int64_t now, wait_ms = PROC_POLL_MAX_MS;
		nfds_t nfd = 0;
		bool streams_open = p->out_fd >= 0 || p->err_fd >= 0;
		int pr;

		if (!reaped && chld) {
			pid_t r;
			chld = false;
			r = waitpid(p->pid, &p->status, WNOHANG);
			if (r == p->pid) {
				reaped = true;
			} else if (r < 0 && errno == EINTR) {
				chld = true;
			} else if (r < 0) {
				error_errno("cannot wait for '%s'", p->argv[0]);
				goto out;
			}
		}
		now = now_ms();
		if (!p->timed_out && !reaped && deadline >= 0 &&
		    now >= deadline) {
			p->timed_out = true;
			/* The child itself too, in case it left its group. */
			(void)kill(-p->pid, SIGTERM);
			(void)kill(p->pid, SIGTERM);
			kill_at = now + grace;
		}
		if (p->timed_out && !kill_sent && now >= kill_at) {
			(void)kill(-p->pid, SIGKILL);
			if (!reaped)
				(void)kill(p->pid, SIGKILL);
			kill_sent = true;
			kill_at = now + PROC_KILL_SETTLE_MS;
		}
		/* After a timeout, the whole group must be gone (or killed). */
		if (reaped && (!p->timed_out || group_gone(p->pid) ||
		                  (kill_sent && now >= kill_at))) {
			if (!streams_open)
				break;
			/* A lingering grandchild may hold the pipes forever. */
			if (idle_since < 0)
				idle_since = now;
			if (now - idle_since >= PROC_DRAIN_IDLE_MS)
				break;
			wait_ms = PROC_DRAIN_IDLE_MS - (now - idle_since);
		}
		if (!reaped && deadline >= 0 && !p->timed_out &&
		    deadline - now < wait_ms)
			wait_ms = deadline - now;
		if (p->timed_out && kill_at - now < wait_ms)
			wait_ms = kill_at - now;
		if (p->timed_out && reaped && wait_ms > 10)
			wait_ms = 10; /* polling for the group to empty */
		if (wait_ms < 0)
			wait_ms = 0;

		pfd[nfd].fd = sp[0];
		pfd[nfd++].events = POLLIN;
		for (i = 0; i < 2; i++) {
			if (*st[i].fd < 0)
				continue;
			pfd[nfd].fd = *st[i].fd;
			pfd[nfd++].events = POLLIN;
		}
		pr = poll(pfd, nfd, (int)wait_ms);
		if (pr < 0 && errno != EINTR) {
			error_errno("poll failed");
			goto out;
		}
		if (pr <= 0) {
			chld = true;
			continue;
		}
		if (pfd[0].revents)
			handle_signals(p, sp[0], &chld);
		for (i = 1; i < nfd; i++) {
			size_t k;
			if (!pfd[i].revents)
				continue;
			k = pfd[i].fd == p->out_fd ? 0 : 1;
			read_stream(p, &st[k], chunk, chunk_size);
			idle_since = -1;
		}
	}
	ret = proc_exit_code(p);
out:
	for (i = 0; i < ARRAY_SIZE(proc_fwd_signals); i++)
		(void)sigaction(proc_fwd_signals[i], &old[i], NULL);
	proc_sigfd = -1;
	proc_close_fd(&sp[0]);
	proc_close_fd(&sp[1]);
	for (i = 0; i < 2; i++) {
		if (*st[i].fd >= 0 && p->on_line != NULL && st[i].line.len > 0)
			emit(p, &st[i], false);
		proc_close_fd(st[i].fd);
		buf_release(&st[i].line);
	}
	free(chunk);
	return ret;
}

/*
 * A SIGTERM between the spawn and proc_wait's handlers would kill us with
 * the default action and leave the child, in its own process group,
 * running. proc_run blocks the forwarded signals across that window;
 * proc_wait unblocks them once its handlers are in, so a pending one is
 * forwarded then.
 */
int
proc_run(struct proc *p)
{
	sigset_t fwd, old;
	int rc;

	sigemptyset(&fwd);
	(void)sigaddset(&fwd, SIGINT);
	(void)sigaddset(&fwd, SIGTERM);
	(void)sigaddset(&fwd, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &fwd, &old);
	proc_restore_mask = old;
	proc_restore_pending = true;
	rc = proc_start(p) < 0 ? -1 : proc_wait(p);
	if (proc_restore_pending) {
		proc_restore_pending = false;
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	return rc;
}

int
proc_kill_group(struct proc *p, int sig)
{
	if (p->pid <= 0)
		return error_msg("no child process to signal");
	if (kill(-p->pid, sig) < 0 && errno != ESRCH)
		return error_errno(
		    "cannot signal process group %d", (int)p->pid);
	return 0;
}

int
proc_exit_code(const struct proc *p)
{
	if (p->spawn_errno != 0)
		return p->spawn_errno == ENOENT || p->spawn_errno == ENOTDIR
		           ? RC_NOTFOUND
		           : RC_NOEXEC;
	if (p->timed_out)
		return RC_TIMEOUT;
	if (WIFEXITED(p->status))
		return WEXITSTATUS(p->status);
	if (WIFSIGNALED(p->status))
		return RC_SIGNAL_BASE + WTERMSIG(p->status);
	return RC_WRAPPER;
}

void
proc_release(struct proc *p)
{
	proc_close_fd(&p->out_fd);
	proc_close_fd(&p->err_fd);
	buf_release(&p->out);
	buf_release(&p->err);
}

const char *
proc_describe(const struct proc *p, char *buf, size_t len)
{
	const char *name;

	if (p->spawn_errno != 0)
		(void)snprintf(buf, len, "%s: %s",
		    p->spawn_errno == ENOENT ? "not found" : "cannot run",
		    strerror(p->spawn_errno));
	else if (p->timed_out)
		(void)snprintf(buf, len, "timed out");
	else if (WIFEXITED(p->status))
		(void)snprintf(buf, len, "exited %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status)) {
		name = sigabbrev_np(WTERMSIG(p->status));
		if (name != NULL)
			(void)snprintf(buf, len, "killed by SIG%s", name);
		else
			(void)snprintf(buf, len, "killed by signal %d",
			    WTERMSIG(p->status));
	} else
		(void)snprintf(buf, len, "stopped");
	return buf;
}
