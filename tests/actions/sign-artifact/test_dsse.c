#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dsse.h"

/* The DSSE spec's own example (protocol.md). */
static void
test_pae_spec_vector(void **state)
{
	struct buf b = BUF_INIT(0);
	const char *want =
	    "DSSEv1 29 http://example.com/HelloWorld 11 hello world";

	(void)state;
	assert_int_equal(
	    dsse_pae(&b, "http://example.com/HelloWorld", "hello world", 11),
	    0);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	buf_release(&b);
}

static void
test_pae_binary_body_round_trip(void **state)
{
	struct buf b = BUF_INIT(0);
	unsigned char body[300];
	const char *t, *bd;
	size_t tl, bl, i;

	(void)state;
	for (i = 0; i < sizeof(body); i++)
		body[i] = (unsigned char)(i * 7);
	body[10] = ' ';
	assert_int_equal(dsse_pae(&b, DSSE_INTOTO_TYPE, body, sizeof(body)), 0);
	assert_int_equal(dsse_pae_parse(b.data, b.len, &t, &tl, &bd, &bl), 0);
	assert_int_equal(tl, strlen(DSSE_INTOTO_TYPE));
	assert_memory_equal(t, DSSE_INTOTO_TYPE, tl);
	assert_int_equal(bl, sizeof(body));
	assert_memory_equal(bd, body, bl);
	buf_release(&b);
}

static void
test_pae_empty(void **state)
{
	struct buf b = BUF_INIT(0);
	const char *t, *bd;
	size_t tl, bl;

	(void)state;
	assert_int_equal(dsse_pae(&b, "", "", 0), 0);
	assert_string_equal(b.data, "DSSEv1 0  0 ");
	assert_int_equal(dsse_pae_parse(b.data, b.len, &t, &tl, &bd, &bl), 0);
	assert_int_equal(tl, 0);
	assert_int_equal(bl, 0);
	buf_release(&b);
}

static void
test_pae_parse_rejects(void **state)
{
	static const char *bad[] = {
		"DSSEv2 1 a 1 b",  /* wrong prefix */
		"DSSEv1 01 a 1 b", /* leading zero */
		"DSSEv1 1 a 2 b",  /* body shorter than its length */
		"DSSEv1 1 a 1 bc", /* trailing bytes */
		"DSSEv1 5 a 1 b",  /* type runs past the end */
		"DSSEv1 1 a",      /* no body length */
		"DSSEv1 99999999999999999999999 a 1 b", /* overflow */
		"DSSEv1 -1 a 1 b",
	};
	const char *t, *bd;
	size_t tl, bl, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    dsse_pae_parse(bad[i], strlen(bad[i]), &t, &tl, &bd, &bl),
		    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae_spec_vector),
		cmocka_unit_test(test_pae_binary_body_round_trip),
		cmocka_unit_test(test_pae_empty),
		cmocka_unit_test(test_pae_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
