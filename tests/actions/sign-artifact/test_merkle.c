#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/hash.h"
#include "tlog.h"

/*
 * Reference RFC 6962 tree in the test itself: MTH and PATH computed
 * recursively from the definitions (2.1), then checked with the verifier.
 */
#define MAXL 33

static uint8_t leaves[MAXL][32];

static size_t
split(size_t n)
{
	size_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void
mth(size_t lo, size_t n, uint8_t out[32])
{
	uint8_t in[65], l[32], r[32];
	size_t k;

	if (n == 1) {
		memcpy(out, leaves[lo], 32);
		return;
	}
	k = split(n);
	mth(lo, k, l);
	mth(lo + k, n - k, r);
	in[0] = 1;
	memcpy(in + 1, l, 32);
	memcpy(in + 33, r, 32);
	hash_sha256(in, sizeof(in), out);
}

static size_t
path(size_t m, size_t lo, size_t n, uint8_t (*out)[32])
{
	size_t k, c;

	if (n == 1)
		return 0;
	k = split(n);
	if (m < k) {
		c = path(m, lo, k, out);
		mth(lo + k, n - k, out[c]);
	} else {
		c = path(m - k, lo + k, n - k, out);
		mth(lo, k, out[c]);
	}
	return c + 1;
}

static void
test_all_trees_up_to_33(void **state)
{
	uint8_t proof[TLOG_MAX_PROOF_HASHES][32], root[32];
	size_t n, m, np;
	char data[16];

	(void)state;
	for (n = 0; n < MAXL; n++) {
		int len = snprintf(data, sizeof(data), "leaf %zu", n);

		merkle_leaf_hash(data, (size_t)len, leaves[n]);
	}
	for (n = 1; n <= MAXL; n++) {
		mth(0, n, root);
		for (m = 0; m < n; m++) {
			np = path(m, 0, n, proof);
			assert_true(merkle_verify_inclusion(m, n, leaves[m],
			    (const uint8_t(*)[32])proof, np, root));
			/* Wrong index, flipped hash, short proof. */
			if (n > 1)
				assert_false(merkle_verify_inclusion(
				    (m + 1) % n, n, leaves[m],
				    (const uint8_t(*)[32])proof, np, root));
			/* (A wrong size can still fold to the same root for
			 * some shapes; the signed checkpoint binds the size.)
			 * An index past the end never verifies. */
			assert_false(merkle_verify_inclusion(n, n, leaves[m],
			    (const uint8_t(*)[32])proof, np, root));
			if (np > 0) {
				proof[np - 1][5] ^= 1;
				assert_false(
				    merkle_verify_inclusion(m, n, leaves[m],
				        (const uint8_t(*)[32])proof, np, root));
				proof[np - 1][5] ^= 1;
				assert_false(merkle_verify_inclusion(m, n,
				    leaves[m], (const uint8_t(*)[32])proof,
				    np - 1, root));
			}
		}
	}
}

static void
test_leaf_hash_prefix(void **state)
{
	uint8_t a[32], b[32];
	uint8_t in[4] = { 0, 'a', 'b', 'c' };

	(void)state;
	merkle_leaf_hash("abc", 3, a);
	hash_sha256(in, sizeof(in), b);
	assert_memory_equal(a, b, 32);
	assert_false(merkle_verify_inclusion(0, 0, a, NULL, 0, a));
	assert_true(merkle_verify_inclusion(0, 1, a, NULL, 0, a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_trees_up_to_33),
		cmocka_unit_test(test_leaf_hash_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
