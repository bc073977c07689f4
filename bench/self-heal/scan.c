/*
 * The block scan alone: heal_ac_first_lines over a log in 64 KiB blocks of
 * whole lines (as the relay hands them over), with the built-in rules;
 * after a hit it goes on from the next line. Prints ns per byte and the
 * prefilter's marks per line. Run it twice, the second time with
 * BULWARK_NO_SIMD=1, for the eight lanes alone. Not a test: timings only.
 *
 *   B=build/heal4; cc -O2 -I. -Iactions/self-heal -o /tmp/scan \
 *     bench/self-heal/scan.c $B/actions/self-heal/libself_heal_lib.a \
 *     $B/common/libbulwark_common.a $(pkg-config --libs yaml-0.1 zlib \
 *     expat libcjson libcurl libcrypto)
 *   /tmp/scan LOG; BULWARK_NO_SIMD=1 /tmp/scan LOG
 */
#include "common/compat.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heal.h"

#define BLOCK ((size_t)64 << 10)

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct heal_rules rules = HEAL_RULES_INIT;
	const char *pats[HEAL_MAX_RULES + HEAL_NHINT];
	static uint32_t bits[BLOCK / 32];
	size_t cap = (size_t)1 << 28, len, at, n, h, i, np = 0;
	size_t hits = 0, marks = 0, lines = 0;
	struct heal_pf *pf;
	double t0, t;
	FILE *f;
	char *b;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: scan LOG (up to 256 MiB)\n");
		return 2;
	}
	b = malloc(cap);
	if (b == NULL)
		return 2;
	len = fread(b, 1, cap, f);
	fclose(f);
	if (heal_rules_setup(&rules, NULL) < 0)
		return 2;
	heal_rules_automaton(&rules);
	t0 = now();
	for (at = 0; at < len;) {
		const char *nl;

		n = len - at < BLOCK ? len - at : BLOCK;
		nl = memrchr(b + at, '\n', n);
		if (nl != NULL && at + n < len)
			n = (size_t)(nl - (b + at)) + 1;
		h = heal_ac_first_lines(rules.ac, b + at, n);
		if (h < n) {
			hits++;
			nl = memchr(b + at + h, '\n', n - h);
			n = nl ? (size_t)(nl - (b + at)) + 1 : n;
		}
		at += n;
	}
	t = now() - t0;
	printf("%s: %.3f ns/B (%.0f MB/s), %zu hits\n", argv[1],
	    t * 1e9 / (double)len, (double)len / t / 1e6, hits);

	for (i = 0; i < rules.nr; i++)
		pats[np++] = rules.v[i].contains && !rules.v[i].disabled
		                 ? rules.v[i].contains
		                 : "";
	for (i = 0; i < HEAL_NHINT; i++)
		pats[np++] = heal_hint_keys[i];
	pf = heal_pf_build(pats, np);
	if (pf != NULL) {
		for (at = 0; at < len; at += n) {
			n = len - at < BLOCK ? len - at : BLOCK;
			heal_pf_mark(pf, b, len, at, n, bits);
			for (i = 0; i < (n + 31) / 32; i++)
				marks += (size_t)__builtin_popcount(bits[i]);
		}
		for (i = 0; i < len; i++)
			lines += b[i] == '\n';
		printf("prefilter marks: %.2f per line\n",
		    (double)marks / (double)(lines ? lines : 1));
		heal_pf_free(pf);
	}
	heal_rules_release(&rules);
	free(b);
	return 0;
}
