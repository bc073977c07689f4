#include "common/compat.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heal.h"

/*
 * Live relay of the child's output. A write per line would cost a syscall
 * per line (18x slower than the child alone on `seq 1 2000000`), so lines
 * are batched, but never held back for long: a flusher thread writes what
 * is pending within HEAL_RELAY_LATENCY_MS, and a full batch or a switch
 * between stdout and stderr is written at once (keeping their order).
 * Everything is flushed when the attempt ends.
 */
#define HEAL_RELAY_LATENCY_MS 10
#define HEAL_RELAY_BATCH (64 * 1024)

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return; /* a closed stdout must not stop the child */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
flush_locked(struct heal_relay *r)
{
	if (r->out.len)
		write_all(r->fd, r->out.data, r->out.len);
	buf_reset(&r->out);
}

static void *
flusher(void *arg)
{
	struct heal_relay *r = arg;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec ts;
		if (!r->out.len) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		/* let a burst gather for the full period (only stop cuts it
		 * short), then write it in one go */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += HEAL_RELAY_LATENCY_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!r->stop &&
		       pthread_cond_timedwait(&r->cv, &r->mu, &ts) != ETIMEDOUT)
			;
		flush_locked(r);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

void
heal_relay_start(struct heal_relay *r, struct heal_scan *scan, bool quiet)
{
	sigset_t all, old;

	memset(r, 0, sizeof(*r));
	r->scan = scan;
	r->quiet = quiet;
	r->fd = 1;
	buf_init(&r->out, 2 * HEAL_RELAY_BATCH);
	if (quiet)
		return;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	/* the thread takes no signals: proc_wait's handlers run in ours */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r->threaded = pthread_create(&r->th, NULL, flusher, r) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r->threaded) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
	}
}

void
heal_relay_line(
    enum proc_stream s, const char *line, size_t len, bool partial, void *ctx)
{
	struct heal_relay *r = ctx;
	int fd = s == PROC_STDERR ? 2 : 1;
	bool was_empty;

	heal_scan_line(r->scan, line, len);
	if (r->quiet)
		return;
	if (!r->threaded) {
		write_all(fd, line, len);
		if (!partial)
			write_all(fd, "\n", 1);
		return;
	}
	pthread_mutex_lock(&r->mu);
	was_empty = r->out.len == 0;
	if (r->out.len && r->fd != fd)
		flush_locked(r);
	r->fd = fd;
	if (r->out.len + len + 1 > r->out.max - 1)
		flush_locked(r);
	if (len + 1 > r->out.max - 1) {
		write_all(fd, line, len);
		if (!partial)
			write_all(fd, "\n", 1);
	} else {
		(void)buf_add(&r->out, line, len);
		if (!partial)
			(void)buf_addch(&r->out, '\n');
	}
	if (r->out.len >= HEAL_RELAY_BATCH)
		flush_locked(r);
	else if (r->out.len && was_empty)
		pthread_cond_signal(&r->cv); /* wake the flusher once */
	pthread_mutex_unlock(&r->mu);
}

void
heal_relay_stop(struct heal_relay *r)
{
	if (r->threaded) {
		pthread_mutex_lock(&r->mu);
		r->stop = true;
		flush_locked(r);
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		r->threaded = false;
	}
	buf_release(&r->out);
}
