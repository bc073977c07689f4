/* Signed-note and checkpoint vectors from Go's note_test.go, the C2SP
 * spec and research/tlog.md §2. Ed25519 is deterministic, so signatures
 * must match byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checkpoint.h"
#include "common/log.h"
#include "note.h"
#include "tmpdir.h"

#define PN_SKEY                                                                \
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PN_VKEY                                                                \
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define ER_VKEY                                                                \
	"EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT                                                                   \
	"If you think cryptography is the answer to your problem,\n"           \
	"then you don't know what your problem is.\n"
#define PN_SIG                                                                 \
	"\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ER_SIG                                                                 \
	"\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
#define T_SKEY                                                                 \
	"PRIVATE+KEY+example.com/audit-append-test+0139c4b7+AQABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
#define T_VKEY                                                                 \
	"example.com/audit-append-test+0139c4b7+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
#define T_CKPT8                                                                \
	"example.com/audit-append-test\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
#define T_SIG8                                                                 \
	"\xe2\x80\x94 example.com/audit-append-test ATnEt/eKootS9bBUX4v3rRIus7fLVQfKz3PcqyI3ilVWHrvvOgPsO+fCEJyrijRs1VxeaRJLKzCQKP0pSaEJoLKftwM=\n"

static void
test_keys(void **state)
{
	struct note_signer s;
	struct note_verifier v;
	struct buf b = BUF_INIT(0);

	(void)state;
	assert_int_equal(note_signer_parse(&s, PN_SKEY), 0);
	assert_string_equal(s.v.name, "PeterNeumann");
	assert_int_equal(s.v.id, 0xc74f20a3);
	assert_int_equal(note_signer_format(&s, &b), 0);
	assert_string_equal(b.data, PN_SKEY);
	buf_reset(&b);
	assert_int_equal(note_verifier_format(&s.v, &b), 0);
	assert_string_equal(b.data, PN_VKEY);
	note_signer_release(&s);

	assert_int_equal(note_verifier_parse(&v, PN_VKEY), 0);
	assert_int_equal(v.id, 0xc74f20a3);
	note_verifier_release(&v);

	/* Deterministic test key: seed 00..1f. */
	{
		uint8_t seed[32];
		size_t i;

		for (i = 0; i < 32; i++)
			seed[i] = (uint8_t)i;
		assert_int_equal(note_signer_from_seed(
		                     &s, "example.com/audit-append-test", seed),
		    0);
		buf_reset(&b);
		assert_int_equal(note_signer_format(&s, &b), 0);
		assert_string_equal(b.data, T_SKEY);
		buf_reset(&b);
		assert_int_equal(note_verifier_format(&s.v, &b), 0);
		assert_string_equal(b.data, T_VKEY);
		note_signer_release(&s);
	}
	buf_release(&b);
}

static void
test_bad_keys(void **state)
{
	static const char *bad[] = {
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a3",
		"",
	};
	struct note_verifier v;
	struct note_signer s;
	char sub[128];
	size_t i, n = strlen(PN_VKEY);

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(note_verifier_parse(&v, bad[i]), -1);
	/* Every proper prefix of the valid key is rejected. */
	for (i = 0; i < n; i++) {
		memcpy(sub, PN_VKEY, i);
		sub[i] = 0;
		assert_int_equal(note_verifier_parse(&v, sub), -1);
	}
	assert_int_equal(note_signer_parse(&s, PN_VKEY), -1);
	assert_int_equal(
	    note_signer_parse(&s,
	        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
	    -1);
}

static void
test_sign_vectors(void **state)
{
	struct note_signer s;
	struct buf b = BUF_INIT(0);
	uint8_t seed[32];
	size_t i;

	(void)state;
	assert_int_equal(note_signer_parse(&s, PN_SKEY), 0);
	assert_int_equal(note_sign(TEXT, strlen(TEXT), &s, &b), 0);
	assert_string_equal(b.data, TEXT "\n" PN_SIG);
	note_signer_release(&s);

	for (i = 0; i < 32; i++)
		seed[i] = (uint8_t)i;
	assert_int_equal(
	    note_signer_from_seed(&s, "example.com/audit-append-test", seed),
	    0);
	buf_reset(&b);
	assert_int_equal(note_sign(T_CKPT8, strlen(T_CKPT8), &s, &b), 0);
	assert_string_equal(b.data, T_CKPT8 "\n" T_SIG8);
	/* Text without a final newline, or with control bytes, is refused. */
	assert_int_equal(note_sign("abc", 3, &s, &b), -1);
	assert_int_equal(note_sign("a\x01\n", 3, &s, &b), -1);
	note_signer_release(&s);
	buf_release(&b);
}

static int
open_with(const char *msg, const char *const *vkeys, size_t n, size_t *ver,
    size_t *unk)
{
	struct note_verifier v[4];
	size_t i, tl;
	int ret;

	for (i = 0; i < n; i++)
		assert_int_equal(note_verifier_parse(&v[i], vkeys[i]), 0);
	ret = note_open(msg, strlen(msg), v, n, &tl, ver, unk);
	if (ret == 0)
		assert_int_equal(
		    tl, strlen(msg) - strlen(strstr(msg, "\n\n")) + 1);
	for (i = 0; i < n; i++)
		note_verifier_release(&v[i]);
	return ret;
}

static void
test_open(void **state)
{
	const char *pn
	    [] = { PN_VKEY },
	 *er[] = { ER_VKEY }, *both[] = { PN_VKEY, ER_VKEY },
	 *c2sp[] = {
		 "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
	 };
	char bad[512];
	size_t ver, unk;

	(void)state;
	assert_int_equal(open_with(TEXT "\n" PN_SIG, pn, 1, &ver, &unk), 0);
	assert_int_equal(ver, 1);
	assert_int_equal(
	    open_with(TEXT "\n" PN_SIG ER_SIG, both, 2, &ver, &unk), 0);
	assert_int_equal(ver, 2);
	assert_int_equal(
	    open_with(TEXT "\n" PN_SIG ER_SIG, er, 1, &ver, &unk), 0);
	assert_int_equal(unk, 1);
	assert_int_equal(
	    open_with(
	        "This is an example message.\n\n"
	        "\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
	        c2sp, 1, &ver, &unk),
	    0);

	/* Unknown key only: no verified signature. */
	assert_int_equal(open_with(TEXT "\n" ER_SIG, pn, 1, &ver, &unk), -1);
	/* No final newline. */
	snprintf(bad, sizeof(bad), "%s\n%s", TEXT, PN_SIG);
	bad[strlen(bad) - 1] = 0;
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
	/* Leading control characters. */
	snprintf(bad, sizeof(bad), "\x01%s\n%s", TEXT, PN_SIG);
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
	snprintf(bad, sizeof(bad), "\xff%s\n%s", TEXT, PN_SIG);
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
	/* Bad name and a trailing junk line. */
	snprintf(bad, sizeof(bad),
	    "%s\n\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
	    TEXT);
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
	snprintf(bad, sizeof(bad), "%s\n%sjunk\n", TEXT, PN_SIG);
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
	/* "ABCD" inserted at offset 60 of the signature line. */
	{
		const char *sig = PN_SIG;
		size_t tl = strlen(TEXT) + 1;

		snprintf(
		    bad, sizeof(bad), "%s\n%.60sABCD%s", TEXT, sig, sig + 60);
		assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
		(void)tl;
	}
	/* A flipped text byte breaks the signature. */
	snprintf(bad, sizeof(bad), "%s\n%s", TEXT, PN_SIG);
	bad[3] ^= 1;
	assert_int_equal(open_with(bad, pn, 1, &ver, &unk), -1);
}

static void
test_too_many_sigs(void **state)
{
	struct buf b = BUF_INIT(0);
	const char *pn[] = { PN_VKEY };
	size_t i, ver, unk;

	(void)state;
	assert_int_equal(buf_adds(&b, TEXT "\n"), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_adds(&b, PN_SIG), 0);
	assert_int_equal(open_with(b.data, pn, 1, &ver, &unk), 0);
	assert_int_equal(ver, 1); /* duplicates dropped */
	assert_int_equal(buf_adds(&b, PN_SIG), 0);
	assert_int_equal(open_with(b.data, pn, 1, &ver, &unk), -1);
	buf_release(&b);
}

static void
test_checkpoint(void **state)
{
	struct note_verifier v;
	struct checkpoint c;
	struct buf b = BUF_INIT(0);
	const char *msg = T_CKPT8 "\n" T_SIG8;
	static const char *bad[] = {
		"\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n-1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n99999999999999999999\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQ=\n",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
		"o\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n",
		"o\n8\n",
	};
	size_t i;

	(void)state;
	assert_int_equal(note_verifier_parse(&v, T_VKEY), 0);
	assert_int_equal(checkpoint_open("t", msg, strlen(msg), &v, 1, &c), 0);
	assert_string_equal(c.origin, "example.com/audit-append-test");
	assert_int_equal(c.size, 8);
	assert_int_equal(checkpoint_format(c.origin, c.size, c.root, &b), 0);
	assert_string_equal(b.data, T_CKPT8);
	checkpoint_release(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    checkpoint_parse("t", bad[i], strlen(bad[i]), &c), -1);
	{
		const char *ext =
		    "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nTimestamp: 1\n";

		assert_int_equal(
		    checkpoint_parse("t", ext, strlen(ext), &c), 0);
	}
	assert_int_equal(c.size, 0);
	checkpoint_release(&c);
	note_verifier_release(&v);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_sign_vectors),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_too_many_sigs),
		cmocka_unit_test(test_checkpoint),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
