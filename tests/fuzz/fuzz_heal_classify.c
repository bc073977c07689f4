/* Log classification: arbitrary bytes through the streaming classifier,
 * fed in uneven chunks, must never crash, the evidence must stay one
 * printable line, and the block scan must decide exactly as a scan of
 * every line one by one does. The block automaton (SIMD prefilter, or
 * eight lanes with BULWARK_NO_SIMD=1) must find the plain automaton's
 * first hit from every line start. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct heal_rules rules;
	static int ready;
	struct heal_scan s;
	struct heal_match m;
	size_t off = 0, step = 1;
	const char *p;

	if (!ready) {
		memset(&rules, 0, sizeof(rules));
		if (heal_rules_setup(&rules, NULL) < 0)
			abort();
		ready = 1;
	}
	heal_scan_init(&s, &rules);
	s.now_s = 1700000000;
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		heal_scan_feed(&s, (const char *)data + off, n);
		off += n;
		step = step * 3 + 1;
	}
	heal_scan_result(
	    &s, size ? data[0] : -1, size > 1 ? data[1] % 4 : 0, &m);
	if (size < 60000) { /* no line is cut into carry-sized pieces */
		struct heal_scan l;
		struct heal_match ml;
		const char *q = (const char *)data, *end = q + size;

		heal_scan_init(&l, &rules);
		l.now_s = 1700000000;
		while (q < end) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);
			heal_scan_line(&l, q, n);
			q += n + (nl ? 1 : 0);
		}
		heal_scan_result(
		    &l, size ? data[0] : -1, size > 1 ? data[1] % 4 : 0, &ml);
		if (ml.cls != m.cls || ml.line != m.line ||
		    strcmp(ml.evidence, m.evidence) != 0 ||
		    ml.have_wait != m.have_wait || ml.wait_ms != m.wait_ms ||
		    l.lineno != s.lineno)
			abort();
		heal_scan_release(&l);
	}
	if (rules.ac != NULL) {
		const char *q = (const char *)data, *end = q + size;
		int lines;

		for (lines = 0; lines < 256; lines++) {
			size_t n = (size_t)(end - q);
			const char *nl;

			heal_ac_filter_again(rules.ac);
			if (heal_ac_first_lines(rules.ac, q, n) !=
			    heal_ac_first(rules.ac, q, n))
				abort();
			nl = memchr(q, '\n', n);
			if (nl == NULL)
				break;
			q = nl + 1;
		}
	}
	for (p = m.evidence; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (m.have_wait && m.wait_ms < 0)
		abort();
	heal_scan_release(&s);
	return 0;
}
