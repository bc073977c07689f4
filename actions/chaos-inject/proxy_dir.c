#include "common/compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "proxy.h"
#include "rules.h"

/*
 * One direction of a proxied connection. Bytes read become chunks with a
 * due time computed by the direction's toxics, and are written once due.
 * Which toxics apply to a connection is drawn from (seed, connection
 * number), unlike Toxiproxy whose seed is ignored (chaos.md §1). With no
 * toxic the direction splices instead (proxy_splice.c).
 */
#define QUEUE_CAP ((size_t)4 << 20)

void
chaos_proxy_dir_setup(struct proxy_dir *d, int in, int out,
    const struct chaos_proxy_opts *o, struct proxy_conn *c, bool upstream,
    uint64_t now, int pipe_size)
{
	size_t k;

	memset(d, 0, sizeof(*d));
	d->in = in;
	d->out = out;
	d->writable = true;
	d->pr = d->pw = -1;
	for (k = 0; k < o->ntoxics; k++) {
		const struct chaos_toxic *t = &o->toxics[k];
		double u = (double)(chaos_draw(o->seed, c->idx, k, 0) >> 11) /
		           9007199254740992.0;

		if (t->upstream != upstream || u >= t->toxicity)
			continue;
		d->tox[d->ntox++] = t;
		if (t->type == CHAOS_TOX_TIMEOUT) {
			d->blackhole = true;
			if (t->timeout_ms > 0)
				c->kill_at = now + t->timeout_ms * 1000000ULL;
		} else if (t->type == CHAOS_TOX_RESET_PEER) {
			c->rst = true;
			c->kill_at = now + t->timeout_ms * 1000000ULL;
		} else if (t->type == CHAOS_TOX_LIMIT_DATA) {
			d->limit = t->bytes;
		}
	}
	if (d->ntox == 0)
		chaos_proxy_splice_open(d, pipe_size);
}

static void
enqueue(struct proxy_dir *d, struct proxy_conn *c,
    const struct chaos_proxy_opts *o, const char *data, size_t len,
    uint64_t now, bool upstream)
{
	uint64_t due = now, slice_delay = 0;
	size_t k, off = 0, slice = len;

	for (k = 0; k < d->ntox; k++) {
		const struct chaos_toxic *t = d->tox[k];
		uint64_t r = chaos_draw(
		    o->seed, c->idx * 2 + upstream, k + 16, d->nchunks);

		if (t->type == CHAOS_TOX_LATENCY) {
			uint64_t lat = t->latency_ms * 1000000ULL;
			uint64_t j = t->jitter_ms * 1000000ULL;
			if (j > 0) {
				uint64_t x = r % (2 * j + 1);
				lat = lat + x >= j ? lat + x - j : 0;
			}
			due += lat;
		} else if (t->type == CHAOS_TOX_BANDWIDTH) {
			uint64_t cost = (uint64_t)len * 1000000ULL /
			                t->rate_kbps; /* ns at rate KB/s */
			uint64_t start = d->bw_next > due ? d->bw_next : due;
			d->bw_next = start + cost;
			due = d->bw_next;
		} else if (t->type == CHAOS_TOX_SLICER) {
			uint64_t v = t->size_var;
			slice =
			    (size_t)(t->avg_size + (v ? r % (2 * v + 1) : 0));
			slice = slice > v ? slice - (size_t)v : 1;
			slice_delay = t->delay_us * 1000ULL;
		}
	}
	d->nchunks++;
	/* jitter must not reorder the byte stream */
	if (due < d->last_due)
		due = d->last_due;
	while (off < len) {
		size_t n = len - off < slice ? len - off : slice;
		struct proxy_chunk *ch = xmalloc(sizeof(*ch) + n);

		ch->next = NULL;
		ch->due = due;
		ch->len = n;
		ch->off = 0;
		memcpy(ch->data, data + off, n);
		if (d->tail)
			d->tail->next = ch;
		else
			d->head = ch;
		d->tail = ch;
		d->queued += n;
		off += n;
		due += slice_delay;
	}
	d->last_due = due;
}

void
chaos_proxy_dir_read(struct proxy_dir *d, struct proxy_conn *c,
    const struct chaos_proxy_opts *o, char *buf, uint64_t now, bool upstream)
{
	if (d->pr >= 0) {
		chaos_proxy_splice(d, &c->dead);
		return;
	}
	while (d->readable && !d->eof && d->queued < QUEUE_CAP) {
		ssize_t n = read(d->in, buf, CHAOS_PROXY_READ_SIZE);

		if (n > 0) {
			if (!d->blackhole)
				enqueue(d, c, o, buf, (size_t)n, now, upstream);
		} else if (n == 0) {
			d->eof = true;
		} else if (errno == EAGAIN) {
			d->readable = false;
		} else if (errno != EINTR) {
			d->eof = true;
			c->dead = true;
		}
	}
}

void
chaos_proxy_dir_write(struct proxy_dir *d, struct proxy_conn *c, uint64_t now)
{
	while (d->head != NULL && d->head->due <= now && d->writable) {
		struct proxy_chunk *ch = d->head;
		size_t n = ch->len - ch->off;
		ssize_t w;

		if (d->limit > 0 && d->sent + n > d->limit)
			n = (size_t)(d->limit - d->sent);
		w = n > 0 ? write(d->out, ch->data + ch->off, n) : 0;
		if (w < 0) {
			if (errno == EAGAIN)
				d->writable = false;
			else if (errno != EINTR)
				c->dead = true;
			return;
		}
		ch->off += (size_t)w;
		d->sent += (uint64_t)w;
		d->queued -= (size_t)w;
		if (d->limit > 0 && d->sent >= d->limit) {
			c->dead = true; /* limit_data: close after N bytes */
			return;
		}
		if (ch->off == ch->len) {
			d->head = ch->next;
			if (d->head == NULL)
				d->tail = NULL;
			free(ch);
		}
	}
}

void
chaos_proxy_dir_close(struct proxy_dir *d, uint64_t now)
{
	size_t k;

	if (!d->eof || d->head != NULL || d->in_pipe > 0 || d->shut)
		return;
	if (d->close_at == 0) {
		d->close_at = now;
		for (k = 0; k < d->ntox; k++)
			if (d->tox[k]->type == CHAOS_TOX_SLOW_CLOSE)
				d->close_at =
				    now + d->tox[k]->delay_ms * 1000000ULL;
	}
	if (now >= d->close_at) {
		shutdown(d->out, SHUT_WR);
		d->shut = true;
	}
}

void
chaos_proxy_dir_free(struct proxy_dir *d)
{
	if (d->pr >= 0) {
		close(d->pr);
		close(d->pw);
	}
	while (d->head != NULL) {
		struct proxy_chunk *n = d->head->next;
		free(d->head);
		d->head = n;
	}
}
