#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "common/proc.h"
#include "common/proc_int.h"

/*
 * Spawning: clone(CLONE_VM | CLONE_VFORK) with a stack of its own, as
 * glibc's posix_spawn does, instead of fork. The child shares our memory
 * until it execs, so no page tables are copied and we take no
 * copy-on-write faults afterwards; we are suspended until the exec (or
 * the child's _exit), so an exec error is simply stored where we read it,
 * with no pipe. The pid stays valid either way: a failed exec leaves a
 * child that exits 126/127, reaped by proc_wait like any other.
 */
struct spawn {
	struct proc *p;
	int out_w, err_w;
	volatile int err; /* errno of a failed chdir/exec */
};

/* Runs in the child on its own stack, sharing our memory: it writes only
 * its own stack, a->err and errno (ours is restored after), and calls
 * async-signal-safe functions. All signals are blocked on entry. */
static int
child_exec(void *arg)
{
	struct spawn *a = arg;
	struct proc *p = a->p;
	struct sigaction dfl;
	sigset_t none;
	int fd, e, i;

	(void)setpgid(0, 0);
	/* Handlers do not survive exec, but ignored signals would; and a
	 * handler of ours must never run here, on shared memory. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			(void)sigaction(i, &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (p->stdin_fd == -1) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			(void)dup2(fd, 0);
			(void)close(fd);
		}
	} else if (p->stdin_fd >= 0 && p->stdin_fd != 0) {
		(void)dup2(p->stdin_fd, 0);
	}
	if (a->out_w >= 0)
		(void)dup2(a->out_w, 1);
	if (a->err_w >= 0)
		(void)dup2(a->err_w, 2);
	if (p->cwd != NULL && chdir(p->cwd) < 0)
		goto fail;
	if (p->env != NULL)
		execvpe(p->argv[0], p->argv, p->env);
	else
		execvp(p->argv[0], p->argv);
fail:
	e = errno;
	a->err = e;
	_exit(e == ENOENT || e == ENOTDIR ? RC_NOTFOUND : RC_NOEXEC);
}

/* execvp's fallback for a script without #! copies argv onto the stack:
 * room for that on top of a fixed 64 KiB. */
static size_t
spawn_stack_size(char *const *argv)
{
	size_t n = 0, sz;

	while (argv[n] != NULL)
		n++;
	sz = ((size_t)64 << 10) + (n + 2) * sizeof(char *);
	return (sz + 4095) & ~(size_t)4095;
}

static pid_t
spawn_child(struct spawn *a, int *err)
{
	size_t sz = spawn_stack_size(a->p->argv);
	sigset_t all, old;
	char *stack;
	pid_t pid;
	int saved;

	stack = mmap(NULL, sz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		*err = errno;
		return -1;
	}
	/* No handler may run in the child before it resets them. */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_BLOCK, &all, &old);
	saved = errno;
	pid =
	    clone(child_exec, stack + sz, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	*err = pid < 0 ? errno : 0;
	errno = saved;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	(void)munmap(stack, sz);
	return pid;
}

int
proc_start(struct proc *p)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	bool stream = p->on_line != NULL || p->on_chunk != NULL;
	bool pipe_out = stream || p->capture_out;
	bool pipe_err = stream || p->capture_err;
	struct spawn a;
	int e = 0;

	p->pid = -1;
	p->spawn_errno = 0;
	p->timed_out = p->truncated = false;
	p->status = 0;
	if (p->argv == NULL || p->argv[0] == NULL)
		return error_msg("no command to run");
	if ((pipe_out && pipe2(outp, O_CLOEXEC) < 0) ||
	    (pipe_err && pipe2(errp, O_CLOEXEC) < 0)) {
		error_errno("cannot create a pipe");
		goto fail;
	}
	if (p->pipe_size > 0 && p->pipe_size <= INT_MAX) {
		/* best effort: past the user's pipe quota the kernel refuses */
		if (pipe_out)
			(void)fcntl(outp[0], F_SETPIPE_SZ, (int)p->pipe_size);
		if (pipe_err)
			(void)fcntl(errp[0], F_SETPIPE_SZ, (int)p->pipe_size);
	}
	fflush(stdout);
	fflush(stderr);
	a.p = p;
	a.out_w = outp[1];
	a.err_w = errp[1];
	a.err = 0;
	p->pid = spawn_child(&a, &e);
	if (p->pid < 0) {
		errno = e;
		error_errno("cannot start '%s'", p->argv[0]);
		goto fail;
	}
	/* Both sides set the group, so no signal can race ahead of it. */
	(void)setpgid(p->pid, p->pid);
	proc_close_fd(&outp[1]);
	proc_close_fd(&errp[1]);
	p->spawn_errno = a.err;
	p->out_fd = outp[0];
	p->err_fd = errp[0];
	return 0;
fail:
	proc_close_fd(&outp[0]);
	proc_close_fd(&outp[1]);
	proc_close_fd(&errp[0]);
	proc_close_fd(&errp[1]);
	p->pid = -1;
	return -1;
}
