#include "common/compat.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy.h"

/* The proxy's addresses (resolve, loopback check, listener) and its
 * tuning knobs. */
#define PIPE_SIZE (1 << 20)

/* Both sockets of a loopback pair get fixed 256 KiB buffers (the kernel
 * doubles them): with less data in flight the bytes are still in cache
 * when the receiver copies them, and loopback needs no window for its
 * bandwidth-delay product. This measured 0.7-0.9x direct throughput
 * against 0.5-0.6x with autotuning (docs/benchmarks/chaos-inject.md).
 * Non-loopback pairs keep autotuning. Benchmark knobs, read once per
 * proxy: BULWARK_CHAOS_PROXY_SOCKBUF (bytes, 0 = autotuning) and
 * BULWARK_CHAOS_PROXY_PIPE (the splice pipe, capped by
 * fs.pipe-max-size). accept_conn in proxy.c applies the buffers. */
#define LOOPBACK_SOCKBUF (256 << 10)

int
chaos_proxy_resolve(
    const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
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

bool
chaos_proxy_is_loopback(const struct sockaddr_storage *ss)
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

int
chaos_proxy_listen(const struct chaos_proxy_opts *o, int *lfd_out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	int one = 1, lfd, port;

	if (chaos_proxy_resolve(o->listen, &ss, &len) != 0)
		return -1;
	if (!chaos_proxy_is_loopback(&ss) && !o->allow_nonlocal)
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

void
chaos_proxy_load_knobs(struct proxy_knobs *k)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	long max = 0;

	k->pipe_size = env_int("BULWARK_CHAOS_PROXY_PIPE", PIPE_SIZE);
	k->sock_buf = env_int("BULWARK_CHAOS_PROXY_SOCKBUF", LOOPBACK_SOCKBUF);
	if (f != NULL) {
		if (fscanf(f, "%ld", &max) == 1 && max > 0 &&
		    max < k->pipe_size)
			k->pipe_size = (int)max;
		fclose(f);
	}
}
