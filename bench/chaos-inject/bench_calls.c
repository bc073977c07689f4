/*
 * Times wrapped libc calls in a tight loop; run under different preloads
 * (none, libbulwark-chaos.so with rules off / other rules / matched-not-
 * fired, libfiu) by bench.py. Prints "<call> <ns per call>" per line.
 *
 *   bench_calls N
 *
 * The N calls run in batches; the fastest batch is reported: an interrupt,
 * a migration or a neighbour's burst only ever makes a batch slower, so
 * the minimum is the cost of the code itself (bench.py then takes the
 * median of that over interleaved processes).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define BATCHES 100

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
	long b, i, n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	long per = n / BATCHES > 0 ? n / BATCHES : 1;
	void *volatile keep;
	char c;
	double t, best;
	int fd = open("/dev/zero", O_RDONLY);

	/* warm up: resolve the symbols, fault in the malloc arena */
	for (i = 0; i < 1000; i++) {
		keep = malloc(32);
		free(keep);
	}
	/* malloc+free: no syscall, so the wrapper's cost is visible */
	best = 1e18;
	for (b = 0; b < BATCHES; b++) {
		t = now();
		for (i = 0; i < per; i++) {
			keep = malloc(32);
			free(keep);
		}
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("malloc %.3f\n", best / (double)per);
	/* read of one byte from /dev/zero: a real, cheap syscall */
	best = 1e18;
	for (b = 0; b < BATCHES / 10; b++) {
		t = now();
		for (i = 0; i < per / 10; i++)
			if (read(fd, &c, 1) != 1)
				return 1;
		t = now() - t;
		if (t < best)
			best = t;
	}
	printf("read %.3f\n", best / (double)(per / 10));
	close(fd);
	return 0;
}
