/*
 * perf-shard's other inputs on arbitrary bytes: pytest-split durations,
 * go test -json, the seconds parser, and the streaming timings store
 * reader on the raw bytes and on its own dump. No crash, no leak, the dump of a
 * loaded store round-trips.
 */
#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "durations.h"
#include "timings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct timings t;
	struct buf a = BUF_INIT((size_t)64 << 20);
	int64_t us;

	log_set_sink(log_discard, NULL);
	if (tcase_parse_seconds(s, size < 64 ? size : 64, &us) == 0 && us < 0)
		abort();
	timings_init(&t, 2);
	timings_run_begin(&t);
	if (durations_parse_pytest(s, size, "fuzz", timings_run_add, &t) == 0)
		timings_run_end(&t, 0);
	timings_run_begin(&t);
	if (durations_parse_gojson(s, size, "fuzz", timings_run_add, &t) == 0)
		timings_run_end(&t, 0);
	for (size_t i = 0; i < t.nr; i++)
		if (t.v[i].nus && timing_estimate(&t.v[i], EST_MEDIAN) < 0)
			abort();
	if (timings_dump(&t, &a) < 0)
		abort();
	timings_release(&t);
	/* the streaming store reader: raw bytes, then a dump round trip */
	timings_init(&t, 0);
	if (timings_load_mem(&t, s, size, "fuzz") == 0) {
		struct buf b = BUF_INIT((size_t)64 << 20);
		struct buf c = BUF_INIT((size_t)64 << 20);
		struct timings u;

		if (timings_dump(&t, &b) < 0)
			abort();
		timings_init(&u, 0);
		if (timings_load_mem(&u, b.data, b.len, "dump") < 0 ||
		    timings_dump(&u, &c) < 0 || b.len != c.len ||
		    memcmp(b.data, c.data, b.len))
			abort();
		timings_release(&u);
		buf_release(&b);
		buf_release(&c);
	}
	buf_release(&a);
	timings_release(&t);
	return 0;
}
