/* base64: RFC 4648 §10 vectors, URL-safe variant, strict decoding. */
#include "common/compat.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/base64.h"
#include "common/log.h"
#include "tmpdir.h"

static const struct {
	const char *raw, *b64, *url;
} rfc[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
test_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rfc); i++) {
		struct buf b = BUF_INIT(0);
		size_t n = strlen(rfc[i].raw);
		assert_int_equal(base64_encode(&b, rfc[i].raw, n), 0);
		assert_string_equal(b.data, rfc[i].b64);
		buf_reset(&b);
		assert_int_equal(
		    base64_decode(&b, rfc[i].b64, strlen(rfc[i].b64)), 0);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, rfc[i].raw, n);
		buf_reset(&b);
		assert_int_equal(base64url_encode(&b, rfc[i].raw, n), 0);
		assert_string_equal(b.data, rfc[i].url);
		buf_reset(&b);
		assert_int_equal(
		    base64url_decode(&b, rfc[i].url, strlen(rfc[i].url)), 0);
		assert_int_equal(b.len, n);
		assert_memory_equal(b.data, rfc[i].raw, n);
		buf_release(&b);
	}
}

static void
test_alphabets_differ(void **state)
{
	static const unsigned char raw[] = { 0xfb, 0xff, 0xbf, 0x3e };
	struct buf b = BUF_INIT(0);

	(void)state;
	assert_int_equal(base64_encode(&b, raw, sizeof(raw)), 0);
	assert_string_equal(b.data, "+/+/Pg==");
	buf_reset(&b);
	assert_int_equal(base64url_encode(&b, raw, sizeof(raw)), 0);
	assert_string_equal(b.data, "-_-_Pg");
	buf_reset(&b);
	assert_int_equal(base64url_decode(&b, "-_-_Pg", 6), 0);
	assert_memory_equal(b.data, raw, sizeof(raw));
	buf_release(&b);
}

static void
test_all_bytes_roundtrip(void **state)
{
	unsigned char raw[256];
	struct buf e = BUF_INIT(0), d = BUF_INIT(0);
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(255 - i);
	for (n = 0; n <= sizeof(raw); n += 37) {
		buf_reset(&e);
		buf_reset(&d);
		assert_int_equal(base64_encode(&e, raw, n), 0);
		assert_int_equal(e.len, (n + 2) / 3 * 4);
		assert_int_equal(base64_decode(&d, e.data, e.len), 0);
		assert_int_equal(d.len, n);
		assert_memory_equal(d.data, raw, n);
	}
	buf_release(&e);
	buf_release(&d);
}

static void
test_strict_errors(void **state)
{
	static const char *const bad_std[] = {
		"Zg",       /* no padding */
		"Zg=",      /* wrong length */
		"Zh==",     /* non-zero pad bits */
		"Zm9=",     /* non-zero pad bits */
		"Zg==Zg==", /* padding in the middle */
		"Z===",     /* too much padding */
		"====",
		"Zm9v\n", /* whitespace */
		"Zm 9",
		"Zm-_", /* url alphabet */
		"Zm9v====",
	};
	static const char *const bad_url[] = {
		"Zg==",  /* padding */
		"Z",     /* impossible length */
		"Zh",    /* pad bits */
		"Zm+/",  /* std alphabet */
		"Zm9vY", /* length 5 */
	};
	struct buf b = BUF_INIT(0);
	size_t i;

	(void)state;
	buf_adds(&b, "keep");
	for (i = 0; i < ARRAY_SIZE(bad_std); i++) {
		assert_int_equal(
		    base64_decode(&b, bad_std[i], strlen(bad_std[i])), -1);
		assert_string_equal(b.data, "keep");
	}
	for (i = 0; i < ARRAY_SIZE(bad_url); i++) {
		assert_int_equal(
		    base64url_decode(&b, bad_url[i], strlen(bad_url[i])), -1);
		assert_string_equal(b.data, "keep");
	}
	/* An embedded NUL is a bad character, not the end. */
	assert_int_equal(base64_decode(&b, "Zm9v\0\0\0\0", 8), -1);
	assert_string_equal(b.data, "keep");
	buf_release(&b);
}

static void
test_cap_respected(void **state)
{
	struct buf b = BUF_INIT(8);

	(void)state;
	assert_int_equal(base64_encode(&b, "foobarbaz", 9), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(base64_encode(&b, "foobar", 6), 0);
	assert_string_equal(b.data, "Zm9vYmFy");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_alphabets_differ),
		cmocka_unit_test(test_all_bytes_roundtrip),
		cmocka_unit_test(test_strict_errors),
		cmocka_unit_test(test_cap_respected),
	};

	log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
