#include "common/compat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "rules.h"

/*
 * A TCP fault proxy: epoll, non-blocking sockets, edge-triggered. Each
 * connection has two directions (upstream = client->server, downstream =
 * server->client); bytes read become chunks with a due time computed by
 * the direction's toxics, and are written once due. Which toxics apply to
 * a connection is drawn from (seed, connection number), unlike Toxiproxy
 * whose seed is ignored (chaos.md §1).
 */
#define QUEUE_CAP ((size_t)4 << 20)
#define READ_SIZE ((size_t)256 << 10)
#define PIPE_SIZE (1 << 20)

/* Both sockets of a loopback pair get fixed 256 KiB buffers (the kernel
 * doubles them): with less data in flight the bytes are still in cache
 * when the receiver copies them, and loopback needs no window for its
 * bandwidth-delay product. This measured 0.7-0.9x direct throughput
 * against 0.5-0.6x with autotuning (docs/benchmarks/chaos-inject.md).
 * Non-loopback pairs keep autotuning. Benchmark knobs, read once per
 * proxy: BULWARK_CHAOS_PROXY_SOCKBUF (bytes, 0 = autotuning) and
 * BULWARK_CHAOS_PROXY_PIPE (the splice pipe, capped by
 * fs.pipe-max-size). */
#define LOOPBACK_SOCKBUF (256 << 10)
static int pipe_size = PIPE_SIZE, sock_buf = LOOPBACK_SOCKBUF;

struct chunk {
	struct chunk *next;
	uint64_t due;
	size_t len, off;
	char data[];
};

struct dir {
	int in, out;
	bool readable, writable, eof, shut;
	struct chunk *head, *tail;
	size_t queued;
	uint64_t sent, nchunks, bw_next, last_due, close_at;
	uint64_t limit; /* limit_data; 0 = none */
	bool blackhole; /* timeout toxic: drop everything */
	const struct chaos_toxic *tox[CHAOS_MAX_TOXICS];
	size_t ntox;
	/* no toxic: bytes move socket -> pipe -> socket with splice(2) */
	int pr, pw;
	size_t in_pipe, pipe_cap;
};

struct conn {
	struct conn *next;
	int cfd, ufd;
	struct dir up, down;
	uint64_t idx, kill_at;
	bool rst, dead;
};

static volatile sig_atomic_t proxy_stop;

static void
on_stop(int sig)
{
	(void)sig;
	proxy_stop = 1;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port[8];
	struct addrinfo hints, *res = NULL;
	int p, rc;

	if (chaos_parse_hostport(hostport, host, sizeof(host), &p) != 0)
		return -1;
	snprintf(port, sizeof(port), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return error_msg(
		    "cannot resolve '%s': %s", hostport, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

static void
setup_dir(struct dir *d, int in, int out, const struct chaos_proxy_opts *o,
    struct conn *c, bool upstream, uint64_t now)
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
	if (d->ntox == 0) {
		int p[2];

		if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
			d->pr = p[0];
			d->pw = p[1];
			(void)fcntl(d->pw, F_SETPIPE_SZ, pipe_size);
			d->pipe_cap = (size_t)fcntl(d->pw, F_GETPIPE_SZ);
		}
	}
}

/* The no-toxic path: zero-copy. A pipe holds a fixed number of buffers
 * (one per skb fragment, however small), so it can be full before its
 * byte capacity: EAGAIN from the socket -> pipe splice means "socket
 * drained" only while the pipe is empty. Otherwise keep the socket
 * marked readable and retry once the pipe has drained, or an
 * edge-triggered wake-up would be lost. */
static void
splice_dir(struct dir *d, struct conn *c)
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
				c->dead = true;
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
				c->dead = true;
			}
		}
		if (!progress || c->dead)
			return;
	}
}

static void
enqueue(struct dir *d, struct conn *c, const struct chaos_proxy_opts *o,
    const char *data, size_t len, uint64_t now, bool upstream)
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
		struct chunk *ch = xmalloc(sizeof(*ch) + n);

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

static void
pump_read(struct dir *d, struct conn *c, const struct chaos_proxy_opts *o,
    char *buf, uint64_t now, bool upstream)
{
	if (d->pr >= 0) {
		splice_dir(d, c);
		return;
	}
	while (d->readable && !d->eof && d->queued < QUEUE_CAP) {
		ssize_t n = read(d->in, buf, READ_SIZE);

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

static void
pump_write(struct dir *d, struct conn *c, uint64_t now)
{
	while (d->head != NULL && d->head->due <= now && d->writable) {
		struct chunk *ch = d->head;
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

static void
pump_close(struct dir *d, uint64_t now)
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

static void
free_dir(struct dir *d)
{
	if (d->pr >= 0) {
		close(d->pr);
		close(d->pw);
	}
	while (d->head != NULL) {
		struct chunk *n = d->head->next;
		free(d->head);
		d->head = n;
	}
}

static void
conn_close(struct conn *c)
{
	if (c->rst) {
		struct linger l = { 1, 0 }; /* RST, as Toxiproxy's reset_peer */
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		setsockopt(c->ufd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->cfd);
	close(c->ufd);
	free_dir(&c->up);
	free_dir(&c->down);
	free(c);
}

/* Next wake-up in ms for epoll_wait, -1 if nothing is scheduled. */
static int
next_timeout(const struct conn *list, uint64_t now, int64_t deadline_ms)
{
	uint64_t best = UINT64_MAX;
	const struct conn *c;

	for (c = list; c != NULL; c = c->next) {
		const struct dir *ds[2] = { &c->up, &c->down };
		int i;

		if (c->kill_at && c->kill_at < best)
			best = c->kill_at;
		for (i = 0; i < 2; i++) {
			if (ds[i]->head && ds[i]->writable &&
			    ds[i]->head->due < best)
				best = ds[i]->head->due;
			if (ds[i]->eof && !ds[i]->shut && ds[i]->close_at &&
			    ds[i]->close_at < best)
				best = ds[i]->close_at;
		}
	}
	if (deadline_ms > 0 && best == UINT64_MAX)
		return 200;
	if (best == UINT64_MAX)
		return -1;
	if (best <= now)
		return 0;
	return (int)((best - now + 999999) / 1000000);
}

static void
set_bufs(int cfd, int ufd)
{
	setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(ufd, SOL_SOCKET, SO_SNDBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &sock_buf, sizeof(sock_buf));
}

static int
accept_conn(int lfd, int ep, const struct sockaddr_storage *up, socklen_t uplen,
    const struct chaos_proxy_opts *o, uint64_t *count, struct conn **list)
{
	int cfd, ufd, one = 1;
	struct conn *c;
	struct epoll_event ev;
	struct sockaddr_storage peer;
	socklen_t peerlen = sizeof(peer);
	uint64_t now = mono_ns();
	bool fixed;

	cfd = accept4(lfd, (struct sockaddr *)&peer, &peerlen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return errno == EAGAIN ? 1 : 0;
	ufd = socket(up->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fixed =
	    sock_buf > 0 && ufd >= 0 && is_loopback(up) && is_loopback(&peer);
	if (fixed) /* before connect: the window scale is chosen then */
		set_bufs(cfd, ufd);
	/* a blocking connect: upstreams are local and this keeps the
	 * connection-refused case simple (the client sees a close) */
	if (ufd < 0 || connect(ufd, (const struct sockaddr *)up, uplen) != 0) {
		if (ufd >= 0)
			close(ufd);
		close(cfd);
		return 0;
	}
	fcntl(ufd, F_SETFL, fcntl(ufd, F_GETFL) | O_NONBLOCK);
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->cfd = cfd;
	c->ufd = ufd;
	c->idx = (*count)++;
	setup_dir(&c->up, cfd, ufd, o, c, true, now);
	setup_dir(&c->down, ufd, cfd, o, c, false, now);
	c->next = *list;
	*list = c;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)(uintptr_t)c;
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
	ev.data.u64 = (uint64_t)(uintptr_t)c | 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	return 0;
}

static int
open_listener(const struct chaos_proxy_opts *o, int *lfd_out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	int one = 1, lfd, port;

	if (resolve(o->listen, &ss, &len) != 0)
		return -1;
	if (!is_loopback(&ss) && !o->allow_nonlocal)
		return error_msg(
		    "refusing to listen on non-loopback '%s' (use --allow-nonlocal)",
		    o->listen);
	lfd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return error_errno("cannot create socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(lfd, 128) != 0) {
		error_errno("cannot listen on '%s'", o->listen);
		close(lfd);
		return -1;
	}
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (void *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else {
		struct sockaddr_in6 *in6 = (void *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	if (o->ready_fd >= 0) {
		char line[INET6_ADDRSTRLEN + 16];
		int n = snprintf(line, sizeof(line), "%s:%d\n", host, port);
		if (write(o->ready_fd, line, (size_t)n) != n)
			warn_msg("cannot report the proxy address");
	}
	*lfd_out = lfd;
	return 0;
}

static int
env_int(const char *name, int dflt)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (v == NULL || *v == '\0')
		return dflt;
	x = strtol(v, &end, 10);
	return (*end != '\0' || x < 0 || x > (1L << 30)) ? dflt : (int)x;
}

static void
load_knobs(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	long max = 0;

	pipe_size = env_int("BULWARK_CHAOS_PROXY_PIPE", PIPE_SIZE);
	sock_buf = env_int("BULWARK_CHAOS_PROXY_SOCKBUF", LOOPBACK_SOCKBUF);
	if (f != NULL) {
		if (fscanf(f, "%ld", &max) == 1 && max > 0 && max < pipe_size)
			pipe_size = (int)max;
		fclose(f);
	}
}

int
chaos_proxy_run(const struct chaos_proxy_opts *o)
{
	struct sockaddr_storage up;
	socklen_t uplen;
	struct epoll_event evs[64], ev;
	struct conn *list = NULL, **pp;
	struct sigaction sa;
	uint64_t count = 0;
	char *buf = NULL;
	int lfd = -1, ep = -1, rc = -1;

	load_knobs();
	if (resolve(o->upstream, &up, &uplen) != 0)
		return -1;
	if (open_listener(o, &lfd) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		error_errno("cannot create epoll");
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	buf = xmalloc(READ_SIZE);
	while (!proxy_stop) {
		uint64_t now = mono_ns();
		int i, n, timeout = next_timeout(list, now, o->deadline_ms);
		struct timespec rt;

		if (o->deadline_ms > 0) {
			clock_gettime(CLOCK_REALTIME, &rt);
			if ((int64_t)rt.tv_sec * 1000 + rt.tv_nsec / 1000000 >=
			    o->deadline_ms)
				break;
		}
		n = epoll_wait(ep, evs, (int)ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR) {
			error_errno("epoll_wait");
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct conn *c;
			struct dir *rd, *wd;

			if (evs[i].data.u64 == 0) {
				while (accept_conn(lfd, ep, &up, uplen, o,
				           &count, &list) == 0)
					;
				continue;
			}
			c = (struct conn *)(uintptr_t)(evs[i].data.u64 &
			                               ~(uint64_t)1);
			/* the fd's reads feed one direction, its writes
			 * drain the other */
			rd = (evs[i].data.u64 & 1) ? &c->down : &c->up;
			wd = (evs[i].data.u64 & 1) ? &c->up : &c->down;
			if (evs[i].events &
			    (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				rd->readable = true;
			if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				wd->writable = true;
		}
		now = mono_ns();
		for (pp = &list; *pp != NULL;) {
			struct conn *c = *pp;

			pump_read(&c->up, c, o, buf, now, true);
			pump_read(&c->down, c, o, buf, now, false);
			pump_write(&c->up, c, now);
			pump_write(&c->down, c, now);
			pump_close(&c->up, now);
			pump_close(&c->down, now);
			if (c->kill_at && now >= c->kill_at)
				c->dead = true;
			if (c->dead || (c->up.shut && c->down.shut)) {
				*pp = c->next;
				conn_close(c);
				continue;
			}
			pp = &c->next;
		}
	}
	rc = 0;
out:
	while (list != NULL) {
		struct conn *next = list->next;
		conn_close(list);
		list = next;
	}
	free(buf);
	if (ep >= 0)
		close(ep);
	close(lfd);
	return rc;
}

int
chaos_proxy_spawn(const struct chaos_proxy_opts *o, struct chaos_journal *j,
    pid_t *pid, struct buf *addr)
{
	struct chaos_proxy_opts child = *o;
	pid_t parent = getpid();
	char line[128];
	ssize_t n;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return error_errno("cannot create pipe");
	*pid = fork();
	if (*pid < 0) {
		close(p[0]);
		close(p[1]);
		return error_errno("cannot fork proxy");
	}
	if (*pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		prctl(PR_SET_NAME, "chaos-proxy");
		child.ready_fd = p[1];
		_exit(chaos_proxy_run(&child) == 0 ? 0 : 1);
	}
	close(p[1]);
	if (chaos_journal_add_pid(j, "pid", *pid) != 0) {
		kill(*pid, SIGKILL);
		close(p[0]);
		return -1;
	}
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	if (n <= 1)
		return error_msg("the proxy did not start");
	line[n - 1] = '\0';
	buf_adds(addr, line);
	return 0;
}
