#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "shim.h"

/*
 * Which rule targets a call: path prefixes, host:port, and the fd bitmaps
 * that carry a match from open/connect to later reads and writes.
 */
static int dns_lock;

static bool
fdbit(const uint64_t *bits, int fd)
{
	if (fd < 0 || fd >= SHIM_MAX_FD)
		return false;
	return (__atomic_load_n(&bits[fd / 64], __ATOMIC_RELAXED) >>
	           (fd % 64)) &
	       1;
}

static void
fdbit_set(uint64_t *bits, int fd, bool on)
{
	uint64_t m;

	if (fd < 0 || fd >= SHIM_MAX_FD)
		return;
	m = 1ULL << (fd % 64);
	if (on)
		__atomic_or_fetch(&bits[fd / 64], m, __ATOMIC_RELAXED);
	else
		__atomic_and_fetch(&bits[fd / 64], ~m, __ATOMIC_RELAXED);
}

bool
shim_has_net(const struct chaos_rule *r)
{
	return r->host[0] != '\0' || r->port != 0;
}

static bool
addr_match(const struct chaos_rule *r, const struct sockaddr *sa)
{
	const uint8_t *b;
	int fam, port;
	size_t i, n;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		fam = AF_INET;
		b = (const uint8_t *)&in->sin_addr;
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		fam = AF_INET6;
		b = in6->sin6_addr.s6_addr;
		port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			fam = AF_INET;
			b += 12;
		}
	} else {
		return false;
	}
	if (r->port != 0 && r->port != port)
		return false;
	if (r->host[0] == '\0')
		return true;
	n = __atomic_load_n(&r->naddrs, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++) {
		if (r->addrs[i].family == fam &&
		    memcmp(r->addrs[i].bytes, b, fam == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

static bool
prefix_match(const struct chaos_rule *r, const char *path)
{
	return path != NULL && strncmp(path, r->path, r->path_len) == 0;
}

bool
shim_targets(const struct chaos_rule *r, size_t i, uint32_t call,
    const struct shim_target *t)
{
	if (!(r->calls & call))
		return false;
	switch (call) {
	case CHAOS_OPEN:
		return r->path_len == 0 || prefix_match(r, t->path);
	case CHAOS_READ:
	case CHAOS_WRITE:
	case CHAOS_FSYNC:
		if (r->path_len > 0 || shim_has_net(r))
			return fdbit(shim_fdbits[i], t->fd);
		return true;
	case CHAOS_SEND:
	case CHAOS_RECV:
		if (shim_has_net(r))
			return fdbit(shim_fdbits[i], t->fd);
		return true;
	case CHAOS_CONNECT:
		return addr_match(r, t->sa);
	case CHAOS_DNS:
		return r->host[0] == '\0' ||
		       (t->host != NULL && strcasecmp(t->host, r->host) == 0);
	default:
		return true;
	}
}

void
shim_track_open(int fd, const char *abspath)
{
	size_t i;

	for (i = 0; i < shim_rules.n; i++) {
		const struct chaos_rule *r = &shim_rules.r[i];

		if (r->path_len > 0 &&
		    (r->calls & (CHAOS_READ | CHAOS_WRITE | CHAOS_FSYNC)))
			fdbit_set(shim_fdbits[i], fd, prefix_match(r, abspath));
	}
}

void
shim_track_connect(int fd, const struct sockaddr *sa)
{
	bool any = false;
	size_t i;

	for (i = 0; i < shim_rules.n; i++) {
		const struct chaos_rule *r = &shim_rules.r[i];
		bool m;

		if (!shim_has_net(r) ||
		    !(r->calls &
		        (CHAOS_SEND | CHAOS_RECV | CHAOS_READ | CHAOS_WRITE)))
			continue;
		m = addr_match(r, sa);
		fdbit_set(shim_fdbits[i], fd, m);
		any = any || m;
	}
	fdbit_set(shim_sockbits, fd, any);
}

void
shim_track_close(int fd)
{
	size_t i;

	for (i = 0; i < shim_rules.n; i++)
		fdbit_set(shim_fdbits[i], fd, false);
	fdbit_set(shim_sockbits, fd, false);
}

void
shim_track_dup(int oldfd, int newfd)
{
	size_t i;

	for (i = 0; i < shim_rules.n; i++)
		fdbit_set(shim_fdbits[i], newfd, fdbit(shim_fdbits[i], oldfd));
	fdbit_set(shim_sockbits, newfd, fdbit(shim_sockbits, oldfd));
}

bool
shim_is_tracked_sock(int fd)
{
	return fdbit(shim_sockbits, fd);
}

void
shim_track_dns(const char *node, const struct addrinfo *res)
{
	size_t i;

	if (node == NULL)
		return;
	while (__atomic_exchange_n(&dns_lock, 1, __ATOMIC_ACQUIRE))
		;
	for (i = 0; i < shim_rules.n; i++) {
		struct chaos_rule *r = &shim_rules.r[i];
		const struct addrinfo *ai;

		if (!r->host_is_name || strcasecmp(r->host, node) != 0)
			continue;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			struct chaos_addr a;
			size_t k, n = r->naddrs;

			memset(&a, 0, sizeof(a));
			if (ai->ai_family == AF_INET) {
				const struct sockaddr_in *in =
				    (const void *)ai->ai_addr;
				a.family = AF_INET;
				memcpy(a.bytes, &in->sin_addr, 4);
			} else if (ai->ai_family == AF_INET6) {
				const struct sockaddr_in6 *in6 =
				    (const void *)ai->ai_addr;
				a.family = AF_INET6;
				memcpy(a.bytes, &in6->sin6_addr, 16);
			} else {
				continue;
			}
			for (k = 0; k < n; k++)
				if (memcmp(&r->addrs[k], &a, sizeof(a)) == 0)
					break;
			if (k < n || n == CHAOS_MAX_ADDRS)
				continue;
			r->addrs[n] = a;
			__atomic_store_n(&r->naddrs, n + 1, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&dns_lock, 0, __ATOMIC_RELEASE);
}

const char *
shim_abspath(int dirfd, const char *path, char *buf, size_t len)
{
	size_t n;

	if (path == NULL || path[0] == '/')
		return path;
	if (dirfd == AT_FDCWD) {
		if (getcwd(buf, len) == NULL)
			return path;
		n = strlen(buf);
	} else {
		char link[48];
		ssize_t k;

		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		k = readlink(link, buf, len - 1);
		if (k <= 0)
			return path;
		n = (size_t)k;
		buf[n] = '\0';
	}
	if (n + 1 + strlen(path) + 1 > len)
		return path;
	if (n == 0 || buf[n - 1] != '/')
		buf[n++] = '/';
	memcpy(buf + n, path, strlen(path) + 1);
	return buf;
}
