/* Log classification: arbitrary bytes through the streaming classifier,
 * fed in uneven chunks, must never crash, and the evidence must stay one
 * printable line. */
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
	for (p = m.evidence; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (m.have_wait && m.wait_ms < 0)
		abort();
	heal_scan_release(&s);
	return 0;
}
