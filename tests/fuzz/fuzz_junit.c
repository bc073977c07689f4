/*
 * perf-shard's JUnit reader on arbitrary bytes: no crash, no leak; every
 * delivered case has a name and a time that is unknown or >= 0; feeding the
 * cases to a timings run and dumping it works.
 */
#include "common/compat.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/log.h"
#include "junit.h"
#include "timings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(const struct tcase *c, void *ctx)
{
	if (!c->name || (c->us < 0 && c->us != TC_UNKNOWN))
		abort();
	return timings_run_add(c, ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct timings t;
	struct junit_stats st = { 0, 0, 0, 0, 0 };
	struct buf out = BUF_INIT((size_t)64 << 20);

	log_set_sink(log_discard, NULL);
	timings_init(&t, 3);
	timings_run_begin(&t);
	if (junit_parse_mem(
	        (const char *)data, size, "fuzz", "/ws", check, &t, &st) == 0) {
		timings_run_end(&t, 0);
		if (st.cases < t.nr || timings_dump(&t, &out) < 0)
			abort();
	}
	buf_release(&out);
	timings_release(&t);
	return 0;
}
