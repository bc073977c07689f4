#include "common/compat.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heal.h"

/*
 * Live relay of the child's output. proc hands us every read (up to
 * 64 KiB) as it comes, so the raw bytes go out with one write(2) per read:
 * no per-line syscall or copy, nothing held back, stdout and stderr in the
 * order they were read. The scan then takes the read's complete lines as
 * one block; only the unfinished last line is copied, into the stream's
 * carry, until its end arrives.
 */
#define RELAY_MAX_LINE ((size_t)64 << 10)

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

/*
 * Coalescing. Every write into an empty pipe wakes its reader, so a child
 * that writes its stdio buffer (4-8 KiB) at a time costs us a wake-up, a
 * poll, a read and a write per buffer, and the reader behind us (the
 * runner) a wake-up too. A read of that size means the child writes
 * slower than we read: we then let the pipe fill for a moment before the
 * next read, so one wake-up takes several of its buffers and our write
 * hands them on at once; the child's writes into the non-empty pipe wake
 * nobody. A read too small to be a buffer (a few lines: an interactive
 * or slow child) or too large (the pipe was filling) never waits, and a
 * full read right after a nap halves the nap (down to none), so a fast
 * child is not kept waiting on a full pipe while we sleep. A signal ends
 * a nap early; none is longer than 4 ms, a quarter of what a child
 * writing 64 MB/s takes to fill the 1 MiB pipe. Against 1 ms naps and
 * 64 KiB pipes: a fifth less of our CPU behind a chatty build
 * (bench/self-heal/relay_cpu.py).
 */
#define RELAY_NAP_MIN ((size_t)2 << 10)
#define RELAY_NAP_MAX (HEAL_RELAY_READ * 3 / 4)
#define RELAY_NAP_FULL (HEAL_RELAY_READ - ((size_t)4 << 10))
#define RELAY_NAP_US 4000
#define RELAY_NAP_MIN_US 60

static void
nap(struct heal_relay *r, size_t n)
{
	struct timespec ts = { 0, 0 };

	if (r->napped && n >= RELAY_NAP_FULL)
		r->nap_us /= 2;
	else if (r->napped && r->nap_us < RELAY_NAP_US)
		r->nap_us *= 2;
	r->napped = false;
	if (r->nap_us < RELAY_NAP_MIN_US || n < RELAY_NAP_MIN ||
	    n >= RELAY_NAP_MAX)
		return;
	ts.tv_nsec = r->nap_us * 1000L;
	(void)nanosleep(&ts, NULL);
	r->napped = true;
}

void
heal_relay_start(struct heal_relay *r, struct heal_scan *scan, bool quiet)
{
	memset(r, 0, sizeof(*r));
	r->scan = scan;
	r->quiet = quiet;
	r->nap_us = RELAY_NAP_US;
	buf_init(&r->carry[0], RELAY_MAX_LINE);
	buf_init(&r->carry[1], RELAY_MAX_LINE);
}

/* Lines longer than RELAY_MAX_LINE are scanned in pieces, as proc's line
 * splitting did. */
static void
carry_add(struct heal_relay *r, struct buf *c, const char *p, size_t n)
{
	while (c->len + n > RELAY_MAX_LINE - 1) {
		size_t room = RELAY_MAX_LINE - 1 - c->len;
		(void)buf_add(c, p, room);
		heal_scan_line(r->scan, c->data, c->len);
		buf_reset(c);
		p += room;
		n -= room;
	}
	(void)buf_add(c, p, n);
}

void
heal_relay_chunk(enum proc_stream s, const char *data, size_t len, void *ctx)
{
	struct heal_relay *r = ctx;
	int k = s == PROC_STDERR ? 1 : 0;
	struct buf *c = &r->carry[k];
	const char *nl, *last;
	size_t len0 = len;

	if (len == 0)
		return;
	if (!r->quiet) {
		write_all(k + 1, data, len);
		r->unterminated[k] = data[len - 1] != '\n';
	}
	if (c->len) {
		/* the end of the carried line */
		nl = memchr(data, '\n', len);
		if (!nl) {
			carry_add(r, c, data, len);
			return;
		}
		carry_add(r, c, data, (size_t)(nl - data));
		heal_scan_line(r->scan, c->data, c->len);
		buf_reset(c);
		len -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
	last = len ? memrchr(data, '\n', len) : NULL;
	if (last) {
		heal_scan_lines(r->scan, data, (size_t)(last - data) + 1);
		len -= (size_t)(last - data) + 1;
		data = last + 1;
	}
	if (len)
		carry_add(r, c, data, len);
	nap(r, len0);
}

void
heal_relay_stop(struct heal_relay *r)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (r->carry[k].len)
			heal_scan_line(
			    r->scan, r->carry[k].data, r->carry[k].len);
		buf_release(&r->carry[k]);
		/* our own messages (and ::stop-commands::) must start a
		 * line */
		if (r->unterminated[k])
			write_all(k + 1, "\n", 1);
		r->unterminated[k] = false;
	}
}
