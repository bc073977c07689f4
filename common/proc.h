#ifndef BULWARK_PROC_H
#define BULWARK_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * Child processes without a shell (clone(CLONE_VM|CLONE_VFORK) + execvp,
 * as posix_spawn does: no page tables copied), each in a new
 * process group so that a timeout or a forwarded signal reaches
 * grandchildren too. Modelled on git run-command, libgit2 process.h and
 * toybox timeout.
 *
 * Timeout: SIGTERM to the whole group, wait grace_ms, then SIGKILL to the
 * group. While proc_wait runs, SIGINT/SIGTERM/SIGHUP delivered to us are
 * forwarded to the child's group (the runner's cancel sends SIGINT, then
 * SIGTERM 7.5 s later).
 *
 * Exit code (proc_exit_code), as timeout(1) reports it:
 *   the child's status; 124 if our timeout fired; 126 not executable;
 *   127 not found; 128+N if killed by signal N (SIGKILL -> 137).
 * A signal death is never 0.
 *
 * Output: with on_line set, stdout and stderr are read through pipes and
 * delivered line by line (without the '\n'; lines longer than max_line are
 * delivered in max_line pieces with `partial` set). With capture_out /
 * capture_err they are also kept in `out`/`err`, capped at max_capture
 * (the newest bytes are dropped past the cap; `truncated` is set).
 * Lines are NUL-terminated at line[len]; the pointer is valid only during
 * the call. With on_chunk set, the raw bytes of every read (up to
 * read_size, unsplit, newlines kept) are handed over first, before the
 * lines of that read; a tee can write them out with one write(2) per read
 * instead of one per line. Both get line_ctx; either may be used alone.
 * on_chunk NULL (as PROC_INIT sets it) keeps the line-only behaviour. Without
 * any of them, the child inherits our stdout/stderr.
 *
 * Ownership: argv/env/cwd are borrowed and must outlive proc_wait.
 * proc_release frees out/err (and closes the pipes of a started but not
 * waited-for child). It does not kill a running child.
 *
 * proc_wait installs handlers for SIGINT/SIGTERM/SIGHUP/SIGCHLD for its
 * duration and restores the previous ones; one proc_wait at a time.
 */
enum proc_stream {
	PROC_STDOUT = 1,
	PROC_STDERR = 2
};

typedef void proc_line_fn(
    enum proc_stream s, const char *line, size_t len, bool partial, void *ctx);
typedef void proc_chunk_fn(
    enum proc_stream s, const char *data, size_t len, void *ctx);

struct proc {
	/* inputs */
	char *const *argv;
	char *const *env;   /* NULL: inherit environ */
	const char *cwd;    /* NULL: inherit */
	int64_t timeout_ms; /* 0: none */
	int64_t grace_ms;   /* SIGTERM -> SIGKILL; default 5000 when 0 */
	int stdin_fd; /* -1: /dev/null; -2 (PROC_STDIN_INHERIT): inherit */
	bool capture_out, capture_err;
	proc_line_fn *on_line;
	void *line_ctx;
	size_t max_capture; /* 0: 1 MiB */
	size_t max_line;    /* 0: 64 KiB */

	/* results */
	pid_t pid;
	int status; /* raw wait status */
	bool timed_out;
	bool truncated;
	int spawn_errno; /* errno of a failed exec, else 0 */
	struct buf out, err;

	/* private: read ends of the output pipes between start and wait */
	int out_fd, err_fd;

	/* inputs, last so that PROC_INIT stays compatible */
	proc_chunk_fn *on_chunk; /* NULL: none */
	/* For a reader that batches: the output pipes' capacity (0: as
	 * created; F_SETPIPE_SZ, best effort) and the most one read takes
	 * (0: 64 KiB). */
	size_t pipe_size;
	size_t read_size;
};

#define PROC_STDIN_INHERIT (-2)
#define PROC_INIT                                                              \
	{                                                                      \
		NULL, NULL, NULL, 0, 0, -1, false, false, NULL, NULL, 0, 0,    \
		    -1, 0, false, false, 0, BUF_INIT(0), BUF_INIT(0), -1, -1,  \
		    NULL, 0, 0                                                 \
	}

void proc_init(struct proc *p);
/* -1 with a message if the process could not be started at all (no
 * pipe, no memory for the child's stack, clone failed); exec failures are
 * reported by proc_wait as 126/127. */
int proc_start(struct proc *p);
/* Waits for exit (applying the timeout); returns proc_exit_code or -1. */
int proc_wait(struct proc *p);
/* proc_start + proc_wait. */
int proc_run(struct proc *p);
int proc_kill_group(struct proc *p, int sig);
int proc_exit_code(const struct proc *p);
void proc_release(struct proc *p);

/*
 * The last SIGINT, SIGTERM or SIGHUP that proc_wait forwarded to a child in
 * this process, or 0. A caller that runs commands in a loop (retries,
 * queue chunks) checks it before starting more work: the runner asked the
 * whole job to stop, even if the child trapped the signal and exited 1.
 */
int proc_cancelled(void);

/* Describes an exit code for humans: "exited 3", "killed by SIGKILL". */
const char *proc_describe(const struct proc *p, char *buf, size_t len);

#endif
