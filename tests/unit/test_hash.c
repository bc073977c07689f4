/*
 * hash: SHA-256 test vectors (FIPS 180-2 / NIST), file hashing equal to
 * hashing the contents, hex round trip, constant-time compare.
 */
#include "common/compat.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hash.h"
#include "common/log.h"
#include "tmpdir.h"

static const struct {
	const char *in;
	const char *hex;
} vectors[] = {
	{ "",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};

static void
test_vectors(void **state)
{
	uint8_t d[HASH_SHA256_LEN];
	char hex[2 * HASH_SHA256_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		assert_int_equal(
		    hash_sha256(vectors[i].in, strlen(vectors[i].in), d), 0);
		hash_hex(d, sizeof(d), hex);
		assert_string_equal(hex, vectors[i].hex);
	}
}

static void
test_million_a_incremental(void **state)
{
	struct hash_ctx c = HASH_CTX_INIT;
	uint8_t d[HASH_SHA256_LEN];
	char hex[65], chunk[1000];
	int i;

	(void)state;
	memset(chunk, 'a', sizeof(chunk));
	assert_int_equal(hash_init(&c), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(hash_update(&c, chunk, sizeof(chunk)), 0);
	assert_int_equal(hash_final(&c, d), 0);
	hash_hex(d, sizeof(d), hex);
	assert_string_equal(hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* The context can be reused after final. */
	assert_int_equal(hash_init(&c), 0);
	assert_int_equal(hash_update(&c, "abc", 3), 0);
	assert_int_equal(hash_final(&c, d), 0);
	hash_hex(d, sizeof(d), hex);
	assert_string_equal(hex, vectors[1].hex);
	hash_release(&c);
	hash_release(&c); /* safe twice */
}

static void
test_file_equals_contents(void **state)
{
	char *dir = tmpdir_make();
	char *path = tmpdir_path(dir, "big"), *empty;
	/* Not a multiple of the 1 MiB read size. */
	size_t n = (size_t)5 * 1024 * 1024 + 12345, i;
	unsigned char *data = malloc(n);
	uint8_t want[HASH_SHA256_LEN], got[HASH_SHA256_LEN];
	uint64_t size = 0;
	int fd;

	(void)state;
	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	assert_int_equal(hash_sha256(data, n, want), 0);
	assert_int_equal(hash_file(path, got, &size), 0);
	assert_int_equal(size, n);
	assert_memory_equal(got, want, sizeof(want));

	empty = tmpdir_write(dir, "empty", "");
	assert_int_equal(hash_file(empty, got, &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(hash_sha256("", 0, want), 0);
	assert_memory_equal(got, want, sizeof(want));

	assert_int_equal(hash_file(dir, got, NULL), -1); /* a directory */
	free(empty);
	empty = tmpdir_path(dir, "missing");
	assert_int_equal(hash_file(empty, got, NULL), -1);
	free(empty);
	free(data);
	tmpdir_remove(dir);
	free(path);
	free(dir);
}

static void
test_hex_roundtrip(void **state)
{
	uint8_t d[HASH_SHA256_LEN], back[HASH_SHA256_LEN], two[2];
	char hex[65];

	(void)state;
	assert_int_equal(hash_sha256("abc", 3, d), 0);
	hash_hex(d, sizeof(d), hex);
	assert_int_equal(hash_from_hex(hex, back, sizeof(back)), 0);
	assert_memory_equal(d, back, sizeof(d));
	assert_int_equal(hash_from_hex("BA78", two, 2), 0);
	assert_int_equal(two[0], 0xba);
	assert_int_equal(two[1], 0x78);
	/* Wrong length or non-hex digits. */
	assert_int_equal(hash_from_hex("ba7", two, 2), -1);
	assert_int_equal(hash_from_hex("ba781", two, 2), -1);
	assert_int_equal(hash_from_hex("bg78", two, 2), -1);
	assert_int_equal(hash_from_hex("", two, 1), -1);
}

static void
test_equal_constant_time(void **state)
{
	uint8_t a[32], b[32];
	size_t i;
	int bit;

	(void)state;
	memset(a, 7, sizeof(a));
	memset(b, 7, sizeof(b));
	assert_true(hash_equal(a, b, sizeof(a)));
	assert_true(hash_equal(a, b, 0));
	/* A single flipped bit anywhere must count (no early exit that
	 * skips a position, no lost high bits in the accumulator). */
	for (i = 0; i < sizeof(b); i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_false(hash_equal(a, b, sizeof(a)));
			assert_true(hash_equal(a, b, i));
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_million_a_incremental),
		cmocka_unit_test(test_file_equals_contents),
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_equal_constant_time),
	};

	log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
