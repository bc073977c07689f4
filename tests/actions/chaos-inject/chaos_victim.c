/*
 * A victim for the shim tests: performs the calls named on the command line
 * and prints one line per call with its outcome, so two runs can be
 * compared. Built without sanitizers so it can take LD_PRELOAD.
 *
 *   chaos_victim open PATH N       open N times, print ok|ERRNO
 *   chaos_victim read PATH N       open once, then N one-byte reads
 *   chaos_victim connect PORT N    N connects to 127.0.0.1:PORT
 *   chaos_victim dns NAME          getaddrinfo
 *   chaos_victim fork K CMD...     fork K children, each runs CMD... and
 *                                  prints with its index; then waits
 *   chaos_victim exec CMD...       execv self with CMD (explicit envp)
 *   chaos_victim malloc N          N mallocs of 64 bytes
 *   chaos_victim echo PORT N       connect, then N send+recv round trips
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static const char *tag = "root";

static const char *
ename(int e)
{
	switch (e) {
	case EIO:
		return "EIO";
	case ENOENT:
		return "ENOENT";
	case EACCES:
		return "EACCES";
	case EINTR:
		return "EINTR";
	case EAGAIN:
		return "EAGAIN";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case ENETUNREACH:
		return "ENETUNREACH";
	case ECONNRESET:
		return "ECONNRESET";
	case ENOMEM:
		return "ENOMEM";
	case ENOSPC:
		return "ENOSPC";
	default:
		return "E?";
	}
}

static int run(int argc, char **argv, char *self);

static int
do_open(const char *path, long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		printf(
		    "%s open %ld %s\n", tag, i, fd >= 0 ? "ok" : ename(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int
do_read(const char *path, long n)
{
	int fd = open(path, O_RDONLY);
	long i;
	char c;

	if (fd < 0) {
		printf("%s open failed %s\n", tag, ename(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		ssize_t k = pread(fd, &c, 1, 0);
		printf(
		    "%s read %ld %s\n", tag, i, k == 1 ? "ok" : ename(errno));
	}
	close(fd);
	return 0;
}

/* read(2) in chunks of at most n bytes: each chunk's size, then the
 * bytes in hex (what a corrupt or short read did shows in either). */
static int
do_cat(const char *path, long n)
{
	unsigned char buf[256], all[4096];
	size_t len = 0, i;
	int fd = open(path, O_RDONLY);
	ssize_t k;

	if (fd < 0 || n < 1 || n > (long)sizeof(buf)) {
		printf("%s cat failed %s\n", tag, ename(errno));
		return 0;
	}
	while ((k = read(fd, buf, (size_t)n)) > 0 &&
	       len + (size_t)k <= sizeof(all)) {
		printf("%s chunk %zd\n", tag, k);
		memcpy(all + len, buf, (size_t)k);
		len += (size_t)k;
	}
	close(fd);
	printf("%s bytes ", tag);
	for (i = 0; i < len; i++)
		printf("%02x", all[i]);
	printf("\n");
	return 0;
}

static int
connect_port(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
do_connect(int port, long n)
{
	long i;

	for (i = 0; i < n; i++) {
		int fd = connect_port(port);
		printf("%s connect %ld %s\n", tag, i,
		    fd >= 0 ? "ok" : ename(errno));
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int
do_echo(int port, long n)
{
	int fd = connect_port(port);
	long i;
	char buf[16];

	if (fd < 0) {
		printf("%s connect %s\n", tag, ename(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		ssize_t k = send(fd, "ping", 4, 0);
		if (k == 4)
			k = recv(fd, buf, sizeof(buf), 0);
		printf("%s echo %ld %s\n", tag, i, k > 0 ? "ok" : ename(errno));
	}
	close(fd);
	return 0;
}

static int
do_fork(long k, int argc, char **argv, char *self)
{
	static char tags[64][16];
	long i;

	for (i = 0; i < k && i < 64; i++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			snprintf(tags[i], sizeof(tags[i]), "%s.%ld", tag, i);
			tag = tags[i];
			exit(run(argc, argv, self));
		}
		/* children one after the other: output order is stable */
		waitpid(pid, NULL, 0);
	}
	return 0;
}

static int
run(int argc, char **argv, char *self)
{
	if (argc >= 3 && strcmp(argv[0], "open") == 0)
		return do_open(argv[1], strtol(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[0], "cat") == 0)
		return do_cat(argv[1], strtol(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[0], "read") == 0)
		return do_read(argv[1], strtol(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[0], "connect") == 0)
		return do_connect(
		    (int)strtol(argv[1], NULL, 10), strtol(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[0], "echo") == 0)
		return do_echo(
		    (int)strtol(argv[1], NULL, 10), strtol(argv[2], NULL, 10));
	if (argc >= 2 && strcmp(argv[0], "dns") == 0) {
		struct addrinfo *res = NULL;
		int rc = getaddrinfo(argv[1], "80", NULL, &res);
		printf("%s dns %s %s\n", tag, argv[1],
		    rc == 0 ? "ok"
		            : (rc == EAI_AGAIN       ? "EAI_AGAIN"
		                  : rc == EAI_NONAME ? "EAI_NONAME"
		                                     : "EAI?"));
		if (res != NULL)
			freeaddrinfo(res);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "malloc") == 0) {
		long i, n = strtol(argv[1], NULL, 10), fails = 0;
		for (i = 0; i < n; i++) {
			void *p = malloc(64);
			if (p == NULL)
				fails++;
			free(p);
		}
		printf("%s malloc failures %ld\n", tag, fails);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[0], "fork") == 0)
		return do_fork(
		    strtol(argv[1], NULL, 10), argc - 2, argv + 2, self);
	if (argc >= 2 && strcmp(argv[0], "exec") == 0) {
		char *args[64];
		char *envp[512];
		int i, n = 0;

		args[0] = self;
		for (i = 1; i < argc && i < 62; i++)
			args[i] = argv[i];
		args[i] = NULL;
		setenv("VICTIM_TAG", tag, 1);
		/* a copy of environ, as Python's subprocess passes */
		for (i = 0; environ[i] != NULL && n < 510; i++)
			envp[n++] = environ[i];
		envp[n] = NULL;
		fflush(stdout);
		execve(self, args, envp);
		perror("execve");
		return 127;
	}
	fprintf(stderr, "chaos_victim: bad arguments\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const char *t = getenv("VICTIM_TAG");

	if (t != NULL)
		tag = t;
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(argc - 1, argv + 1, argv[0]);
}
