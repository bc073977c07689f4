#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "shim.h"

/*
 * Socket and resolver wrappers. connect matches the rule's host:port on
 * the address itself; later send/recv (and read/write) on that socket match
 * through the fd bitmap filled here. A host name in a rule matches the
 * addresses getaddrinfo returned for it in this process.
 */
/* glibc declares these with transparent unions under _GNU_SOURCE. */
typedef int connect_fn(int, __CONST_SOCKADDR_ARG, socklen_t);
typedef ssize_t send_fn(int, const void *, size_t, int);
typedef ssize_t sendto_fn(
    int, const void *, size_t, int, __CONST_SOCKADDR_ARG, socklen_t);
typedef ssize_t sendmsg_fn(int, const struct msghdr *, int);
typedef ssize_t recv_fn(int, void *, size_t, int);
typedef ssize_t recvfrom_fn(
    int, void *, size_t, int, __SOCKADDR_ARG, socklen_t *);
typedef ssize_t recvmsg_fn(int, struct msghdr *, int);
typedef int gai_fn(
    const char *, const char *, const struct addrinfo *, struct addrinfo **);

static connect_fn *real_connect;
static send_fn *real_send;
static sendto_fn *real_sendto;
static sendmsg_fn *real_sendmsg;
static recv_fn *real_recv;
static recvfrom_fn *real_recvfrom;
static recvmsg_fn *real_recvmsg;
static gai_fn *real_getaddrinfo;

SHIM_SLOW static int
connect_slow(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	const struct sockaddr *sa = addr.__sockaddr__;
	struct shim_target t = { "connect", NULL, fd, sa, NULL };
	struct shim_fire f;
	int rc, saved;

	if (shim_on(CHAOS_CONNECT) && shim_decide(CHAOS_CONNECT, &t, &f) &&
	    f.action == CHAOS_ACT_FAIL) {
		errno = f.err;
		return -1;
	}
	rc = real_connect(fd, addr, len);
	saved = errno;
	if ((rc == 0 || saved == EINPROGRESS) && shim_on(SHIM_TRACK_CONNECT))
		shim_track_connect(fd, sa);
	errno = saved;
	return rc;
}

SHIM_EXPORT int
connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	SHIM_LOAD(connect);
	if (SHIM_UNLIKELY(shim_on(CHAOS_CONNECT | SHIM_TRACK_CONNECT)) &&
	    !shim_busy)
		return connect_slow(fd, addr, len);
	return real_connect(fd, addr, len);
}

SHIM_SLOW static ssize_t
send_slow(int fd, const void *buf, size_t n, int flags)
{
	uint64_t c = 0;

	if (shim_io_before("send", CHAOS_SEND, fd, &n, &c))
		return -1;
	return real_send(fd, buf, n, flags);
}

SHIM_EXPORT ssize_t
send(int fd, const void *buf, size_t n, int flags)
{
	SHIM_LOAD(send);
	if (SHIM_IO_SLOW(CHAOS_SEND))
		return send_slow(fd, buf, n, flags);
	return real_send(fd, buf, n, flags);
}

SHIM_SLOW static ssize_t
sendto_slow(int fd, const void *buf, size_t n, int flags,
    __CONST_SOCKADDR_ARG sa, socklen_t len)
{
	uint64_t c = 0;

	if (shim_io_before("sendto", CHAOS_SEND, fd, &n, &c))
		return -1;
	return real_sendto(fd, buf, n, flags, sa, len);
}

SHIM_EXPORT ssize_t
sendto(int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG sa,
    socklen_t len)
{
	SHIM_LOAD(sendto);
	if (SHIM_IO_SLOW(CHAOS_SEND))
		return sendto_slow(fd, buf, n, flags, sa, len);
	return real_sendto(fd, buf, n, flags, sa, len);
}

SHIM_SLOW static ssize_t
sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
	uint64_t c = 0;

	if (shim_io_before("sendmsg", CHAOS_SEND, fd, NULL, &c))
		return -1;
	return real_sendmsg(fd, msg, flags);
}

SHIM_EXPORT ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	SHIM_LOAD(sendmsg);
	if (SHIM_IO_SLOW(CHAOS_SEND))
		return sendmsg_slow(fd, msg, flags);
	return real_sendmsg(fd, msg, flags);
}

SHIM_SLOW static ssize_t
recv_slow(int fd, void *buf, size_t n, int flags)
{
	uint64_t c = 0;
	ssize_t got;

	if (shim_io_before("recv", CHAOS_RECV, fd, &n, &c))
		return -1;
	got = real_recv(fd, buf, n, flags);
	shim_flip(buf, got, c);
	return got;
}

SHIM_EXPORT ssize_t
recv(int fd, void *buf, size_t n, int flags)
{
	SHIM_LOAD(recv);
	if (SHIM_IO_SLOW(CHAOS_RECV))
		return recv_slow(fd, buf, n, flags);
	return real_recv(fd, buf, n, flags);
}

SHIM_SLOW static ssize_t
recvfrom_slow(
    int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG sa, socklen_t *len)
{
	uint64_t c = 0;
	ssize_t got;

	if (shim_io_before("recvfrom", CHAOS_RECV, fd, &n, &c))
		return -1;
	got = real_recvfrom(fd, buf, n, flags, sa, len);
	shim_flip(buf, got, c);
	return got;
}

SHIM_EXPORT ssize_t
recvfrom(
    int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG sa, socklen_t *len)
{
	SHIM_LOAD(recvfrom);
	if (SHIM_IO_SLOW(CHAOS_RECV))
		return recvfrom_slow(fd, buf, n, flags, sa, len);
	return real_recvfrom(fd, buf, n, flags, sa, len);
}

SHIM_SLOW static ssize_t
recvmsg_slow(int fd, struct msghdr *msg, int flags)
{
	uint64_t c = 0;

	if (shim_io_before("recvmsg", CHAOS_RECV, fd, NULL, &c))
		return -1;
	return real_recvmsg(fd, msg, flags);
}

SHIM_EXPORT ssize_t
recvmsg(int fd, struct msghdr *msg, int flags)
{
	SHIM_LOAD(recvmsg);
	if (SHIM_IO_SLOW(CHAOS_RECV))
		return recvmsg_slow(fd, msg, flags);
	return real_recvmsg(fd, msg, flags);
}

SHIM_SLOW static int
gai_slow(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	struct shim_target t = { "getaddrinfo", NULL, -1, NULL, node };
	struct shim_fire f;
	int rc;

	if (shim_on(CHAOS_DNS) && shim_decide(CHAOS_DNS, &t, &f) &&
	    f.action == CHAOS_ACT_FAIL)
		return f.err;
	rc = real_getaddrinfo(node, service, hints, res);
	if (rc == 0 && shim_on(SHIM_TRACK_DNS))
		shim_track_dns(node, *res);
	return rc;
}

SHIM_EXPORT int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
    struct addrinfo **res)
{
	SHIM_LOAD(getaddrinfo);
	if (SHIM_UNLIKELY(shim_on(CHAOS_DNS | SHIM_TRACK_DNS)) && !shim_busy)
		return gai_slow(node, service, hints, res);
	return real_getaddrinfo(node, service, hints, res);
}
