/* The paired SHA-256 (SHA-NI where the CPU has it) against OpenSSL on
 * random messages of every length 0..200, split into pieces at several
 * points and paired with messages of other lengths, and against the
 * RFC 6962 leaf and node vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/hash.h"
#include "merkle.h"
#include "sha256_many.h"
#include "sha256_x2.h"

#define MAXLEN 200

static uint32_t rng = 0x2545f491;

static uint8_t
next_byte(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return (uint8_t)rng;
}

static void
parts_of(
    const uint8_t *m, size_t n, size_t s1, size_t s2, struct sha256_parts *p)
{
	memset(p, 0, sizeof(*p));
	p->p[0] = m;
	p->n[0] = s1;
	p->p[1] = m + s1;
	p->n[1] = s2 - s1;
	p->p[2] = m + s2;
	p->n[2] = n - s2;
}

static void
test_against_openssl(void **state)
{
	uint8_t a[MAXLEN], b[MAXLEN], want_a[32], want_b[32], got_a[32],
	    got_b[32];
	struct sha256_parts pa, pb;
	size_t n, m, s1, s2, i;

	(void)state;
	for (n = 0; n <= MAXLEN; n++) {
		for (i = 0; i < n; i++)
			a[i] = next_byte();
		assert_int_equal(hash_sha256(a, n, want_a), 0);
		for (s1 = 0; s1 <= n; s1 += 1 + n / 5) {
			s2 = s1 + (n - s1) / 2;
			m = (size_t)next_byte() % (MAXLEN + 1);
			for (i = 0; i < m; i++)
				b[i] = next_byte();
			assert_int_equal(hash_sha256(b, m, want_b), 0);
			parts_of(a, n, s1, s2, &pa);
			parts_of(b, m, m / 3, m / 2, &pb);
			sha256_x2(&pa, &pb, got_a, got_b);
			assert_memory_equal(got_a, want_a, 32);
			assert_memory_equal(got_b, want_b, 32);
			/* Same length in both streams, and the swapped order.
			 */
			sha256_x2(&pa, &pa, got_a, got_b);
			assert_memory_equal(got_a, want_a, 32);
			assert_memory_equal(got_b, want_a, 32);
			sha256_x2(&pb, &pa, got_b, got_a);
			assert_memory_equal(got_a, want_a, 32);
			assert_memory_equal(got_b, want_b, 32);
		}
	}
}

/* Batches of every size up to 70 (part-filled groups of sixteen), with
 * lengths around the two-block range 56..119 mixed with others. */
static void
test_many(void **state)
{
	static uint8_t buf[70][MAXLEN];
	static struct sha256_parts m[70];
	static uint8_t got[70][32], want[32];
	size_t n, i, len, j;

	(void)state;
	for (n = 0; n <= 70; n++) {
		for (i = 0; i < n; i++) {
			len = i % 3 == 0 ? (size_t)next_byte() % (MAXLEN + 1)
			                 : 50 + (size_t)next_byte() % 76;
			for (j = 0; j < len; j++)
				buf[i][j] = next_byte();
			parts_of(buf[i], len, len > 0 ? 1 : 0,
			    len > 1 ? len / 2 : len, &m[i]);
		}
		sha256_many(m, n, got);
		for (i = 0; i < n; i++) {
			len = m[i].n[0] + m[i].n[1] + m[i].n[2];
			assert_int_equal(hash_sha256(buf[i], len, want), 0);
			assert_memory_equal(got[i], want, 32);
		}
	}
}

/* A message of whole blocks read in place from the first piece. */
static void
test_long_first_piece(void **state)
{
	uint8_t *m = malloc(4096), want[32], got[2][32];
	struct sha256_parts p;
	size_t n, i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < 4096; i++)
		m[i] = next_byte();
	for (n = 0; n <= 4096; n += 61) {
		assert_int_equal(hash_sha256(m, n, want), 0);
		parts_of(m, n, n, n, &p);
		sha256_x2(&p, &p, got[0], got[1]);
		assert_memory_equal(got[0], want, 32);
		assert_memory_equal(got[1], want, 32);
	}
	free(m);
}

static void
unhex(const char *s, uint8_t *out)
{
	size_t i;

	for (i = 0; s[2 * i] != '\0'; i++)
		out[i] = (uint8_t)strtoul(
		    (char[]){ s[2 * i], s[2 * i + 1], 0 }, NULL, 16);
}

/* RFC 6962 2.1 as verify calls it: 0x00 || entry and 0x01 || l || r. */
static void
test_rfc6962_vectors(void **state)
{
	static const uint8_t zero = 0x00, one = 0x01;
	uint8_t l0[32], l1[32], want[32], got[2][32], in = 0x00;
	struct sha256_parts leaf[2], node;

	(void)state;
	memset(leaf, 0, sizeof(leaf));
	memset(&node, 0, sizeof(node));
	leaf[0].p[0] = leaf[1].p[0] = &zero;
	leaf[0].n[0] = leaf[1].n[0] = 1;
	/* The vectors' first two leaves: the empty entry and 0x00. */
	leaf[1].p[1] = &in;
	leaf[1].n[1] = 1;
	sha256_x2(&leaf[0], &leaf[1], l0, l1);
	unhex(
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    want);
	assert_memory_equal(l0, want, 32);
	unhex(
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    want);
	assert_memory_equal(l1, want, 32);
	node.p[0] = &one;
	node.n[0] = 1;
	node.p[1] = l0;
	node.n[1] = 32;
	node.p[2] = l1;
	node.n[2] = 32;
	sha256_x2(&node, &leaf[0], got[0], got[1]);
	unhex(
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	    want);
	assert_memory_equal(got[0], want, 32);
	assert_memory_equal(got[1], l0, 32);
	assert_int_equal(merkle_node_hash(l0, l1, want), 0);
	assert_memory_equal(got[0], want, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_openssl),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_long_first_piece),
		cmocka_unit_test(test_rfc6962_vectors),
	};

	/* Not an assertion: says which code the run covered. */
	print_message("sha256_x2: %s, sha256_many: %s\n",
	    sha256_x2_fast() ? "SHA-NI" : "portable fallback",
	    sha256_many_fast() ? "SIMD" : "portable fallback");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
