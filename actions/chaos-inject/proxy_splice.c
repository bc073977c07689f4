#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "proxy.h"

/* The no-toxic path of the proxy: zero-copy, socket -> pipe -> socket. */

void
chaos_proxy_splice_open(struct proxy_dir *d, int pipe_size)
{
	int p[2];

	d->pr = d->pw = -1;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0)
		return;
	d->pr = p[0];
	d->pw = p[1];
	(void)fcntl(d->pw, F_SETPIPE_SZ, pipe_size);
	d->pipe_cap = (size_t)fcntl(d->pw, F_GETPIPE_SZ);
}

/* A pipe holds a fixed number of buffers (one per skb fragment, however
 * small), so it can be full before its byte capacity: EAGAIN from the
 * socket -> pipe splice means "socket drained" only while the pipe is
 * empty. Otherwise keep the socket marked readable and retry once the
 * pipe has drained, or an edge-triggered wake-up would be lost. */
void
chaos_proxy_splice(struct proxy_dir *d, bool *dead)
{
	const unsigned fl = SPLICE_F_NONBLOCK | SPLICE_F_MOVE;

	for (;;) {
		bool progress = false;

		if (d->readable && !d->eof && d->in_pipe < d->pipe_cap) {
			ssize_t n = splice(d->in, NULL, d->pw, NULL,
			    d->pipe_cap - d->in_pipe, fl);
			if (n > 0) {
				d->in_pipe += (size_t)n;
				progress = true;
			} else if (n == 0) {
				d->eof = true;
			} else if (errno == EAGAIN) {
				if (d->in_pipe == 0)
					d->readable = false;
			} else if (errno != EINTR) {
				d->eof = true;
				*dead = true;
			}
		}
		if (d->in_pipe > 0 && d->writable) {
			/* no SPLICE_F_MORE: it measured slower here
			 * (docs/benchmarks/chaos-inject.md) and needs an
			 * uncork syscall once the input runs dry */
			ssize_t n =
			    splice(d->pr, NULL, d->out, NULL, d->in_pipe, fl);
			if (n > 0) {
				d->in_pipe -= (size_t)n;
				d->sent += (uint64_t)n;
				progress = true;
			} else if (n < 0 && errno == EAGAIN) {
				d->writable = false;
			} else if (n < 0 && errno != EINTR) {
				*dead = true;
			}
		}
		if (!progress || *dead)
			return;
	}
}
