#ifndef PROXY_TESTUTIL_H
#define PROXY_TESTUTIL_H

/*
 * Helpers shared by the proxy tests: run the proxy in a child process,
 * stop it, dial it. Header-only, like chaos_testutil.h; include after
 * cmocka.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"

struct proxy {
	pid_t pid;
	int port;
};

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts chaos_proxy_run in a child, listening on an ephemeral loopback
 * port, to 127.0.0.1:port with up to two toxics (or NULL). */
static inline struct proxy
proxy_start_to(int port, uint64_t seed, const char *t1, const char *t2)
{
	struct chaos_proxy_opts o;
	struct proxy px = { -1, 0 };
	char up[32], line[64];
	int p[2];
	ssize_t n;

	memset(&o, 0, sizeof(o));
	snprintf(up, sizeof(up), "127.0.0.1:%d", port);
	o.listen = "127.0.0.1:0";
	o.upstream = up;
	o.seed = seed;
	if (t1 != NULL)
		assert_int_equal(
		    chaos_toxic_parse(t1, &o.toxics[o.ntoxics++]), 0);
	if (t2 != NULL)
		assert_int_equal(
		    chaos_toxic_parse(t2, &o.toxics[o.ntoxics++]), 0);
	assert_int_equal(pipe(p), 0);
	px.pid = fork();
	if (px.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		o.ready_fd = p[1];
		_exit(chaos_proxy_run(&o) == 0 ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	assert_true(n > 0);
	line[n] = '\0';
	px.port = (int)strtol(strrchr(line, ':') + 1, NULL, 10);
	return px;
}

static inline void
proxy_stop(struct proxy *px)
{
	int st, i;

	kill(px->pid, SIGTERM);
	/* bounded: a proxy that misses its SIGTERM fails here, not at the
	 * suite's timeout */
	for (i = 0; i < 1000; i++) {
		if (waitpid(px->pid, &st, WNOHANG) == px->pid)
			break;
		usleep(10000);
	}
	if (i == 1000) {
		kill(px->pid, SIGKILL);
		waitpid(px->pid, &st, 0);
		fail_msg("the proxy did not stop within 10 s of SIGTERM");
	}
	/* SIGTERM is a clean stop */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static inline int
dial(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

#endif
