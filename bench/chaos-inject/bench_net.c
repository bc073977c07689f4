/*
 * Loopback load for the proxy benchmark. The same client and server serve
 * the direct and the proxied path; buffers are 4 MiB so that neither end
 * caps the rate with syscall overhead.
 *   bench_net serve PORTFILE   server; writes its port to PORTFILE. The
 *                              first byte of a connection picks the mode:
 *                              'E' echo, 'S' sink (count bytes until EOF,
 *                              answer with the 8-byte count)
 *   bench_net send PORT MIB    one way: MIB to the sink, wait for its
 *                              count: prints "send <MiB/s>"
 *   bench_net stream PORT MIB  MIB through the echo and back, both ways at
 *                              once: prints "stream <MiB/s>"
 *   bench_net rtt PORT N       N one-byte round trips: "rtt <us>"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ ((size_t)4 << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
dial(int port, char mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (write(fd, &mode, 1) != 1)
		exit(1);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *
serve_conn(void *arg)
{
	int c = (int)(long)arg, one = 1;
	char *buf = malloc(BUFSZ), mode;
	uint64_t got = 0;
	ssize_t k;

	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (buf == NULL || read(c, &mode, 1) != 1)
		goto out;
	while ((k = read(c, buf, BUFSZ)) > 0) {
		got += (uint64_t)k;
		if (mode == 'E' && write_all(c, buf, (size_t)k) != 0)
			break;
	}
	if (mode == 'S')
		(void)write_all(c, (const char *)&got, sizeof(got));
out:
	free(buf);
	close(c);
	return NULL;
}

struct writer {
	int fd;
	long mib;
};

static void *
writer(void *arg)
{
	struct writer *w = arg;
	char *buf = calloc(1, BUFSZ);
	long total = w->mib << 20, sent = 0;

	while (buf != NULL && sent < total) {
		size_t n =
		    total - sent < (long)BUFSZ ? (size_t)(total - sent) : BUFSZ;
		ssize_t k = write(w->fd, buf, n);
		if (k <= 0)
			break;
		sent += k;
	}
	shutdown(w->fd, SHUT_WR);
	free(buf);
	return NULL;
}

int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "serve") == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
		FILE *f;

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(fd, 64) != 0)
			return 1;
		getsockname(fd, (struct sockaddr *)&sa, &sl);
		f = fopen(argv[2], "w");
		fprintf(f, "%d\n", ntohs(sa.sin_port));
		fclose(f);
		for (;;) {
			pthread_t t;
			int c = accept(fd, NULL, NULL);
			if (c >= 0 && pthread_create(&t, NULL, serve_conn,
			                  (void *)(long)c) == 0)
				pthread_detach(t);
		}
	}
	if (argc == 4 && strcmp(argv[1], "send") == 0) {
		struct writer w = { dial(atoi(argv[2]), 'S'), atol(argv[3]) };
		uint64_t got = 0;
		double t0 = now();

		writer(&w);
		if (read(w.fd, &got, sizeof(got)) != sizeof(got))
			return 1;
		printf("send %.1f\n", (double)got / (1 << 20) / (now() - t0));
		return got == (uint64_t)(w.mib << 20) ? 0 : 1;
	}
	if (argc == 4 && strcmp(argv[1], "stream") == 0) {
		struct writer w = { dial(atoi(argv[2]), 'E'), atol(argv[3]) };
		char *buf = malloc(BUFSZ);
		long got = 0;
		pthread_t t;
		double t0 = now();
		ssize_t k;

		pthread_create(&t, NULL, writer, &w);
		while ((k = read(w.fd, buf, BUFSZ)) > 0)
			got += k;
		pthread_join(t, NULL);
		printf("stream %.1f\n", (double)got / (1 << 20) / (now() - t0));
		return got == (w.mib << 20) ? 0 : 1;
	}
	if (argc == 4 && strcmp(argv[1], "rtt") == 0) {
		int fd = dial(atoi(argv[2]), 'E');
		long i, n = atol(argv[3]);
		char c = 'x';
		double t0;

		for (i = 0; i < 100; i++) /* warm up */
			if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
				return 1;
		t0 = now();
		for (i = 0; i < n; i++)
			if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
				return 1;
		printf("rtt %.2f\n", (now() - t0) / (double)n * 1e6);
		return 0;
	}
	fprintf(stderr, "usage: bench_net serve PORTFILE | send PORT MIB | "
	                "stream PORT MIB | rtt PORT N\n");
	return 2;
}
