#include "common/compat.h"

#include <errno.h>
#include <time.h>

#include "heal.h"

/*
 * Waiting between attempts. The wait is computed here and slept through a
 * hook so tests can count and record sleeps without spending time.
 */
static heal_sleep_fn *sleep_fn;
static void *sleep_ctx;

void
heal_set_sleep(heal_sleep_fn *fn, void *ctx)
{
	sleep_fn = fn;
	sleep_ctx = ctx;
}

void
heal_sleep(int64_t ms)
{
	struct timespec ts;

	if (sleep_fn) {
		sleep_fn(ms, sleep_ctx);
		return;
	}
	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * exponential: base * 2^(retry-1); constant: base. Capped at max_ms, then
 * spread by +-jitter (0.2 = +-20%) and capped again, so the cap is a
 * promise.
 */
int64_t
heal_backoff_ms(enum heal_backoff kind, int64_t base_ms, int64_t max_ms,
    double jitter, unsigned retry, double rnd)
{
	double w = (double)base_ms;
	unsigned i;

	if (base_ms <= 0)
		return 0;
	if (kind == HEAL_BACKOFF_EXPONENTIAL)
		for (i = 1; i < retry && (max_ms <= 0 || w < (double)max_ms) &&
		            w < 1e15;
		     i++)
			w *= 2;
	if (max_ms > 0 && w > (double)max_ms)
		w = (double)max_ms;
	if (jitter > 0) {
		if (jitter > 1)
			jitter = 1;
		w *= 1.0 - jitter + 2.0 * jitter * rnd;
	}
	if (max_ms > 0 && w > (double)max_ms)
		w = (double)max_ms;
	return w < 0 ? 0 : (int64_t)w;
}
