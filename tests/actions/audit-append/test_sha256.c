/* The in-tree SHA-256 against FIPS 180-4 vectors and OpenSSL at every
 * length and split that crosses the block and padding boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/crypto.h"
#include "common/hash.h"
#include "sha256.h"

static void
hex_of(const void *p, size_t n, size_t split, char out[65])
{
	struct sha256 c;
	uint8_t d[32];

	sha256_init(&c);
	sha256_update(&c, p, split);
	sha256_update(&c, (const uint8_t *)p + split, n - split);
	sha256_final(&c, d);
	hash_hex(d, 32, out);
}

static void
test_vectors(void **state)
{
	static const char m448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char h[65];

	(void)state;
	hex_of("", 0, 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb924"
	                       "27ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, 1, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223"
	                       "b00361a396177a9cb410ff61f20015ad");
	hex_of(m448, 56, 13, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039"
	                       "a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_against_openssl(void **state)
{
	uint8_t msg[300], want[32];
	char a[65], b[65];
	size_t n, split;

	(void)state;
	for (n = 0; n < sizeof(msg); n++)
		msg[n] = (uint8_t)(n * 131 + 7);
	for (n = 0; n < sizeof(msg); n++) {
		assert_int_equal(hash_sha256(msg, n, want), 0);
		hash_hex(want, 32, b);
		for (split = 0; split <= n; split += 1 + n / 7) {
			hex_of(msg, n, split, a);
			assert_string_equal(a, b);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_against_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
