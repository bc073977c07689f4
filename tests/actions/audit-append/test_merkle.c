/* RFC 6962 known-answer vectors (research/tlog.md §1.1) and exhaustive
 * proof round trips for small trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "merkle.h"
#include "tmpdir.h"

static const char *inputs[8] = { "", "00", "10", "2021", "3031", "40414243",
	"5051525354555657", "606162636465666768696a6b6c6d6e6f" };

static const char *roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

#define H_L0 "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
#define H_L1 "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
#define H_L2 "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"
#define H_L3 "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"
#define H_L4 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
#define H_L5 "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"
#define H_L6 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
#define H_L7 "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
#define H_10 "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
#define H_11 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
#define H_12 "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
#define H_13 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
#define H_20 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
#define H_21 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
#define H_47 "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"

struct vec {
	uint64_t a, b;
	const char *path[4];
	size_t len;
};

static const struct vec incl[] = {
	{ 0, 1, { NULL }, 0 },
	{ 0, 2, { H_L1 }, 1 },
	{ 0, 8, { H_L1, H_11, H_21 }, 3 },
	{ 5, 8, { H_L4, H_13, H_20 }, 3 },
	{ 2, 3, { H_10 }, 1 },
	{ 1, 5, { H_L0, H_11, H_L4 }, 3 },
	{ 3, 4, { H_L2, H_10 }, 2 },
	{ 4, 5, { H_20 }, 1 },
	{ 6, 7, { H_12, H_20 }, 2 },
};

static const struct vec cons[] = {
	{ 1, 1, { NULL }, 0 },
	{ 1, 8, { H_L1, H_11, H_21 }, 3 },
	{ 6, 8, { H_12, H_13, H_20 }, 3 },
	{ 2, 5, { H_11, H_L4 }, 2 },
	{ 6, 7, { H_12, H_L6, H_20 }, 3 },
	{ 3, 7, { H_L2, H_L3, H_10, H_47 }, 4 },
	{ 4, 7, { H_47 }, 1 },
	{ 5, 8, { H_L4, H_L5, H_13, H_20 }, 4 },
	{ 7, 8, { H_L6, H_L7, H_12, H_20 }, 4 },
	{ 3, 4, { H_L2, H_L3, H_10 }, 3 },
	{ 1, 2, { H_L1 }, 1 },
};

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	assert_int_equal(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static merkle_hash ct_leaves[8];

static void
load_leaves(void)
{
	uint8_t data[16];
	size_t i, n;

	for (i = 0; i < 8; i++) {
		n = strlen(inputs[i]) / 2;
		unhex(inputs[i], data, n);
		assert_int_equal(merkle_leaf_hash(data, n, ct_leaves[i]), 0);
	}
}

static void
test_hashers(void **state)
{
	merkle_hash h, want;

	(void)state;
	assert_int_equal(merkle_leaf_hash("L123456", 7, h), 0);
	unhex(
	    "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
	    want, 32);
	assert_memory_equal(h, want, 32);
	/* node = SHA-256(0x01 || left || right) */
	unhex(H_10, want, 32);
	assert_int_equal(merkle_node_hash(ct_leaves[0], ct_leaves[1], h), 0);
	assert_memory_equal(h, want, 32);
}

static void
test_roots(void **state)
{
	struct merkle_mem mem = { ct_leaves, 8 };
	struct merkle_src src;
	struct merkle_stack st;
	merkle_hash h, want, out[65];
	unsigned nout;
	uint64_t n;

	(void)state;
	merkle_mem_src(&mem, &src);
	merkle_stack_init(&st);
	for (n = 0; n <= 8; n++) {
		unhex(roots[n], want, 32);
		mem.n = n;
		assert_int_equal(merkle_root(&src, n, h), 0);
		assert_memory_equal(h, want, 32);
		assert_int_equal(merkle_stack_root(&st, h), 0);
		assert_memory_equal(h, want, 32);
		if (n < 8)
			assert_int_equal(
			    merkle_stack_push(&st, ct_leaves[n], out, &nout),
			    0);
	}
}

static void
load_path(const struct vec *v, merkle_hash *p)
{
	size_t i;

	for (i = 0; i < v->len; i++)
		unhex(v->path[i], p[i], 32);
}

static void
test_inclusion_vectors(void **state)
{
	struct merkle_mem mem = { ct_leaves, 8 };
	struct merkle_src src;
	merkle_hash want[4], got[MERKLE_MAX_PATH], root;
	size_t i, len;

	(void)state;
	merkle_mem_src(&mem, &src);
	for (i = 0; i < sizeof(incl) / sizeof(incl[0]); i++) {
		load_path(&incl[i], want);
		assert_int_equal(merkle_inclusion_proof(
		                     &src, incl[i].a, incl[i].b, got, &len),
		    0);
		assert_int_equal(len, incl[i].len);
		assert_memory_equal(got, want, len * 32);
		unhex(roots[incl[i].b], root, 32);
		assert_int_equal(merkle_verify_inclusion(incl[i].a, incl[i].b,
		                     ct_leaves[incl[i].a], want[0], len, root),
		    0);
	}
}

static void
test_consistency_vectors(void **state)
{
	struct merkle_mem mem = { ct_leaves, 8 };
	struct merkle_src src;
	merkle_hash want[4], got[MERKLE_MAX_PATH], r1, r2;
	size_t i, len;

	(void)state;
	merkle_mem_src(&mem, &src);
	for (i = 0; i < sizeof(cons) / sizeof(cons[0]); i++) {
		load_path(&cons[i], want);
		assert_int_equal(merkle_consistency_proof(
		                     &src, cons[i].a, cons[i].b, got, &len),
		    0);
		assert_int_equal(len, cons[i].len);
		assert_memory_equal(got, want, len * 32);
		unhex(roots[cons[i].a], r1, 32);
		unhex(roots[cons[i].b], r2, 32);
		assert_int_equal(merkle_verify_consistency(cons[i].a, cons[i].b,
		                     r1, r2, want[0], len),
		    0);
		/* Swapped roots must fail unless they are equal. */
		if (cons[i].a != cons[i].b)
			assert_int_equal(merkle_verify_consistency(cons[i].a,
			                     cons[i].b, r2, r1, want[0], len),
			    -1);
	}
}

/* Every proof of every tree up to 40 leaves verifies; any bit flip or an
 * extra hash is rejected. */
static void
test_exhaustive(void **state)
{
	merkle_hash leaves[40], path[MERKLE_MAX_PATH], r1, r2;
	struct merkle_mem mem = { leaves, 40 };
	struct merkle_src src;
	uint64_t n, i, m;
	size_t len, j;
	uint8_t b;

	(void)state;
	for (i = 0; i < 40; i++) {
		b = (uint8_t)i;
		assert_int_equal(merkle_leaf_hash(&b, 1, leaves[i]), 0);
	}
	merkle_mem_src(&mem, &src);
	for (n = 1; n <= 40; n++) {
		assert_int_equal(merkle_root(&src, n, r2), 0);
		for (i = 0; i < n; i++) {
			assert_int_equal(
			    merkle_inclusion_proof(&src, i, n, path, &len), 0);
			assert_int_equal(merkle_verify_inclusion(
			                     i, n, leaves[i], path[0], len, r2),
			    0);
			for (j = 0; j < len; j++) {
				path[j][j % 32] ^= 1;
				assert_int_equal(
				    merkle_verify_inclusion(
				        i, n, leaves[i], path[0], len, r2),
				    -1);
				path[j][j % 32] ^= 1;
			}
			memcpy(path[len], r2, 32);
			assert_int_equal(merkle_verify_inclusion(i, n,
			                     leaves[i], path[0], len + 1, r2),
			    -1);
		}
		for (m = 1; m <= n; m++) {
			assert_int_equal(merkle_root(&src, m, r1), 0);
			assert_int_equal(
			    merkle_consistency_proof(&src, m, n, path, &len),
			    0);
			assert_int_equal(merkle_verify_consistency(
			                     m, n, r1, r2, path[0], len),
			    0);
			for (j = 0; j < len; j++) {
				path[j][31 - j % 32] ^= 0x80;
				assert_int_equal(merkle_verify_consistency(m, n,
				                     r1, r2, path[0], len),
				    -1);
				path[j][31 - j % 32] ^= 0x80;
			}
			if (m < n)
				assert_int_equal(
				    merkle_verify_consistency(m, n, r1, r2,
				        path[0],
				        len + 1 > MERKLE_MAX_PATH ? len
				                                  : len + 1),
				    -1);
		}
	}
}

/* The stored order equals what merkle_stack emits, leaf by leaf. */
static void
test_stored_order(void **state)
{
	struct merkle_stack st;
	merkle_hash leaf, out[65];
	unsigned nout, k;
	uint64_t i, count = 0, pos;
	uint8_t b;

	(void)state;
	merkle_stack_init(&st);
	assert_int_equal(merkle_stored_count(0), 0);
	for (i = 0; i < 300; i++) {
		b = (uint8_t)i;
		assert_int_equal(merkle_leaf_hash(&b, 1, leaf), 0);
		assert_int_equal(merkle_stack_push(&st, leaf, out, &nout), 0);
		assert_int_equal(merkle_stored_index(0, i), count);
		/* The k-th extra hash is node(k, i >> k). */
		for (k = 1; k < nout; k++) {
			pos = merkle_stored_index(k, i >> k);
			assert_int_equal(pos, count + k);
		}
		count += nout;
		assert_int_equal(merkle_stored_count(i + 1), count);
		assert_int_equal(merkle_size_for_stored(count), i + 1);
		assert_int_equal(merkle_size_for_stored(count - 1), i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashers),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_inclusion_vectors),
		cmocka_unit_test(test_consistency_vectors),
		cmocka_unit_test(test_exhaustive),
		cmocka_unit_test(test_stored_order),
	};

	log_set_sink(test_log_quiet, NULL);
	load_leaves();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
