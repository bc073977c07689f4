/* Backoff arithmetic: growth, cap, jitter bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "heal.h"

static void
test_exponential(void **state)
{
	(void)state;
	assert_int_equal(
	    heal_backoff_ms(HEAL_BACKOFF_EXPONENTIAL, 1000, 0, 0, 1, 0.5),
	    1000);
	assert_int_equal(
	    heal_backoff_ms(HEAL_BACKOFF_EXPONENTIAL, 1000, 0, 0, 4, 0.5),
	    8000);
	/* capped */
	assert_int_equal(
	    heal_backoff_ms(HEAL_BACKOFF_EXPONENTIAL, 1000, 5000, 0, 10, 0.5),
	    5000);
	/* huge retry numbers do not overflow */
	assert_int_equal(heal_backoff_ms(HEAL_BACKOFF_EXPONENTIAL, 1000, 600000,
	                     0, 4000000000u, 0.5),
	    600000);
}

static void
test_constant(void **state)
{
	(void)state;
	assert_int_equal(
	    heal_backoff_ms(HEAL_BACKOFF_CONSTANT, 250, 0, 0, 7, 0.9), 250);
	assert_int_equal(
	    heal_backoff_ms(HEAL_BACKOFF_CONSTANT, 0, 0, 0.2, 1, 0.9), 0);
}

static void
test_jitter_bounds(void **state)
{
	double r;
	(void)state;
	for (r = 0.0; r < 1.0; r += 0.05) {
		int64_t w = heal_backoff_ms(
		    HEAL_BACKOFF_EXPONENTIAL, 1000, 100000, 0.2, 2, r);
		assert_in_range(w, 1600, 2400);
		/* jitter never passes the cap */
		w = heal_backoff_ms(
		    HEAL_BACKOFF_EXPONENTIAL, 1000, 2000, 0.5, 5, r);
		assert_in_range(w, 1000, 2000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exponential),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_jitter_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
