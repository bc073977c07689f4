/*
 * Times wrapped libc calls in a tight loop; run under different preloads
 * (none, libbulwark-chaos.so with rules off / other rules / matched-not-
 * fired, libfiu) by bench.py. Prints "<call> <ns per call>" per line.
 *
 *   bench_calls N
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	long i, n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	void *volatile keep;
	char c;
	double t;
	int fd = open("/dev/zero", O_RDONLY);

	/* malloc+free: no syscall, so the wrapper's cost is visible */
	t = now();
	for (i = 0; i < n; i++) {
		keep = malloc(32);
		free(keep);
	}
	printf("malloc %.2f\n", (now() - t) / (double)n);
	/* read of one byte from /dev/zero: a real, cheap syscall */
	t = now();
	for (i = 0; i < n / 10; i++)
		if (read(fd, &c, 1) != 1)
			return 1;
	printf("read %.2f\n", (now() - t) / (double)(n / 10));
	close(fd);
	return 0;
}
