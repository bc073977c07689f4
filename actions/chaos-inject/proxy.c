#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
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

#include "common/log.h"
#include "common/xalloc.h"
#include "proxy.h"

/*
 * A TCP fault proxy: epoll, non-blocking sockets, edge-triggered. This
 * file holds the event loop and the connections' lifecycle; proxy.h says
 * where the rest lives.
 */
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

static void
conn_close(struct proxy_conn *c)
{
	if (c->rst) {
		struct linger l = { 1, 0 }; /* RST, as Toxiproxy's reset_peer */
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		setsockopt(c->ufd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->cfd);
	close(c->ufd);
	chaos_proxy_dir_free(&c->up);
	chaos_proxy_dir_free(&c->down);
	free(c);
}

/* Next wake-up in ms for epoll_wait, -1 if nothing is scheduled. */
static int
next_timeout(const struct proxy_conn *list, uint64_t now, int64_t deadline_ms)
{
	uint64_t best = UINT64_MAX;
	const struct proxy_conn *c;

	for (c = list; c != NULL; c = c->next) {
		const struct proxy_dir *ds[2] = { &c->up, &c->down };
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
set_bufs(int cfd, int ufd, int sock_buf)
{
	setsockopt(cfd, SOL_SOCKET, SO_SNDBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(cfd, SOL_SOCKET, SO_RCVBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(ufd, SOL_SOCKET, SO_SNDBUF, &sock_buf, sizeof(sock_buf));
	setsockopt(ufd, SOL_SOCKET, SO_RCVBUF, &sock_buf, sizeof(sock_buf));
}

static int
accept_conn(int lfd, int ep, const struct sockaddr_storage *up, socklen_t uplen,
    const struct chaos_proxy_opts *o, const struct proxy_knobs *k,
    uint64_t *count, struct proxy_conn **list)
{
	int cfd, ufd, one = 1;
	struct proxy_conn *c;
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
	fixed = k->sock_buf > 0 && ufd >= 0 && chaos_proxy_is_loopback(up) &&
	        chaos_proxy_is_loopback(&peer);
	if (fixed) /* before connect: the window scale is chosen then */
		set_bufs(cfd, ufd, k->sock_buf);
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
	chaos_proxy_dir_setup(&c->up, cfd, ufd, o, c, true, now, k->pipe_size);
	chaos_proxy_dir_setup(
	    &c->down, ufd, cfd, o, c, false, now, k->pipe_size);
	c->next = *list;
	*list = c;
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)(uintptr_t)c;
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
	ev.data.u64 = (uint64_t)(uintptr_t)c | 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, ufd, &ev);
	return 0;
}

int
chaos_proxy_run(const struct chaos_proxy_opts *o)
{
	struct sockaddr_storage up;
	socklen_t uplen;
	struct epoll_event evs[64], ev;
	struct proxy_conn *list = NULL, **pp;
	struct proxy_knobs knobs;
	struct sigaction sa;
	sigset_t stops, orig, waitmask;
	uint64_t count = 0;
	char *buf = NULL;
	int lfd = -1, ep = -1, rc = -1;

	chaos_proxy_load_knobs(&knobs);
	if (chaos_proxy_resolve(o->upstream, &up, &uplen) != 0)
		return -1;
	/*
	 * SIGINT/SIGTERM stay blocked except inside epoll_pwait: a stop that
	 * landed between the loop's check and a wait with no timeout would
	 * otherwise be lost, and the proxy would wait for good (seen once
	 * under ASan in CI: proxy_stop's waitpid never returned).
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &orig);
	waitmask = orig;
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* handlers first: listening tells the caller we are ready */
	if (chaos_proxy_listen(o, &lfd) != 0)
		goto out;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		error_errno("cannot create epoll");
		goto out;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	buf = xmalloc(CHAOS_PROXY_READ_SIZE);
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
		n = epoll_pwait(
		    ep, evs, (int)ARRAY_SIZE(evs), timeout, &waitmask);
		if (n < 0 && errno != EINTR) {
			error_errno("epoll_wait");
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct proxy_conn *c;
			struct proxy_dir *rd, *wd;

			if (evs[i].data.u64 == 0) {
				while (accept_conn(lfd, ep, &up, uplen, o,
				           &knobs, &count, &list) == 0)
					;
				continue;
			}
			c = (struct proxy_conn *)(uintptr_t)(evs[i].data.u64 &
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
			struct proxy_conn *c = *pp;

			chaos_proxy_dir_read(&c->up, c, o, buf, now, true);
			chaos_proxy_dir_read(&c->down, c, o, buf, now, false);
			chaos_proxy_dir_write(&c->up, c, now);
			chaos_proxy_dir_write(&c->down, c, now);
			chaos_proxy_dir_close(&c->up, now);
			chaos_proxy_dir_close(&c->down, now);
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
		struct proxy_conn *next = list->next;
		conn_close(list);
		list = next;
	}
	free(buf);
	if (ep >= 0)
		close(ep);
	if (lfd >= 0)
		close(lfd);
	sigprocmask(SIG_SETMASK, &orig, NULL);
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
