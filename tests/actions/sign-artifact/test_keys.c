#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/hash.h"
#include "keys.h"

static const char msg[] = "the artifact bytes";

static void
roundtrip(enum key_type t)
{
	struct sign_key k = SIGN_KEY_INIT;
	struct buf sig = BUF_INIT(0);

	assert_int_equal(sign_key_generate(&k, t), 0);
	assert_int_equal(k.type, t);
	assert_int_equal(sign_key_sign(&k, msg, sizeof(msg), &sig), 0);
	assert_int_equal(
	    sign_key_verify(&k, msg, sizeof(msg), sig.data, sig.len), 1);
	assert_int_equal(
	    sign_key_verify(&k, msg, sizeof(msg) - 1, sig.data, sig.len), 0);
	sig.data[sig.len / 2] ^= 1;
	assert_int_equal(
	    sign_key_verify(&k, msg, sizeof(msg), sig.data, sig.len), 0);
	buf_release(&sig);
	sign_key_release(&k);
}

static void
test_ecdsa_roundtrip(void **state)
{
	(void)state;
	roundtrip(KEY_ECDSA_P256);
}

static void
test_ed25519_roundtrip(void **state)
{
	(void)state;
	roundtrip(KEY_ED25519);
}

/* Prehashed signing must be interchangeable with signing the message. */
static void
test_prehash_matches_message(void **state)
{
	struct sign_key k = SIGN_KEY_INIT, e = SIGN_KEY_INIT;
	struct buf s1 = BUF_INIT(0), s2 = BUF_INIT(0);
	uint8_t d[32];

	(void)state;
	assert_int_equal(sign_key_generate(&k, KEY_ECDSA_P256), 0);
	hash_sha256(msg, sizeof(msg), d);
	assert_int_equal(sign_key_sign_digest(&k, d, &s1), 0);
	assert_int_equal(
	    sign_key_verify(&k, msg, sizeof(msg), s1.data, s1.len), 1);
	assert_int_equal(sign_key_sign(&k, msg, sizeof(msg), &s2), 0);
	assert_int_equal(sign_key_verify_digest(&k, d, s2.data, s2.len), 1);
	d[0] ^= 1;
	assert_int_equal(sign_key_verify_digest(&k, d, s2.data, s2.len), 0);
	/* Ed25519 has no prehashed mode here. */
	assert_int_equal(sign_key_generate(&e, KEY_ED25519), 0);
	assert_int_equal(sign_key_sign_digest(&e, d, &s1), -1);
	buf_release(&s1);
	buf_release(&s2);
	sign_key_release(&k);
	sign_key_release(&e);
}

/* A raw r||s signature (what WebCrypto emits) is not ASN.1 DER: reject. */
static void
test_raw_rs_rejected(void **state)
{
	struct sign_key k = SIGN_KEY_INIT;
	struct buf sig = BUF_INIT(0);
	const unsigned char *p;
	unsigned char raw[64];
	ECDSA_SIG *es;
	const BIGNUM *r, *s;

	(void)state;
	assert_int_equal(sign_key_generate(&k, KEY_ECDSA_P256), 0);
	assert_int_equal(sign_key_sign(&k, msg, sizeof(msg), &sig), 0);
	p = (const unsigned char *)sig.data;
	es = d2i_ECDSA_SIG(NULL, &p, (long)sig.len);
	assert_non_null(es);
	ECDSA_SIG_get0(es, &r, &s);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	assert_int_equal(sign_key_verify(&k, msg, sizeof(msg), raw, 64), 0);
	ECDSA_SIG_free(es);
	buf_release(&sig);
	sign_key_release(&k);
}

static char *
write_tmp(const struct buf *b, const char *suffix)
{
	char *path = NULL;
	char tmpl[] = "/tmp/test_keys_XXXXXX";
	int fd = mkstemp(tmpl);
	size_t n;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->data, b->len), (ssize_t)b->len);
	close(fd);
	n = strlen(tmpl) + strlen(suffix) + 1;
	path = malloc(n);
	snprintf(path, n, "%s%s", tmpl, suffix);
	assert_int_equal(rename(tmpl, path), 0);
	return path;
}

static void
test_pem_encrypted_roundtrip(void **state)
{
	struct sign_key k = SIGN_KEY_INIT, l = SIGN_KEY_INIT, p = SIGN_KEY_INIT;
	struct buf priv = BUF_INIT(0), pub = BUF_INIT(0), sig = BUF_INIT(0);
	char *kp, *pp;

	(void)state;
	assert_int_equal(sign_key_generate(&k, KEY_ECDSA_P256), 0);
	assert_int_equal(sign_key_private_pem(&k, "s3cret", &priv), 0);
	assert_non_null(strstr(priv.data, "BEGIN ENCRYPTED PRIVATE KEY"));
	assert_int_equal(sign_key_public_pem(&k, &pub), 0);
	assert_non_null(strstr(pub.data, "BEGIN PUBLIC KEY"));
	kp = write_tmp(&priv, ".key");
	pp = write_tmp(&pub, ".pub");
	assert_int_equal(sign_key_load_private(&l, kp, "wrong"), -1);
	assert_int_equal(sign_key_load_private(&l, kp, NULL), -1);
	assert_int_equal(sign_key_load_private(&l, kp, "s3cret"), 0);
	assert_true(l.has_private);
	assert_int_equal(sign_key_load_public(&p, pp), 0);
	assert_false(p.has_private);
	assert_int_equal(sign_key_sign(&l, msg, sizeof(msg), &sig), 0);
	assert_int_equal(
	    sign_key_verify(&p, msg, sizeof(msg), sig.data, sig.len), 1);
	/* A public key file is not a private key, and vice versa. */
	assert_int_equal(sign_key_load_private(&l, pp, NULL), -1);
	unlink(kp);
	unlink(pp);
	free(kp);
	free(pp);
	buf_release(&priv);
	buf_release(&pub);
	buf_release(&sig);
	sign_key_release(&k);
	sign_key_release(&l);
	sign_key_release(&p);
}

/* hint = base64(SHA-256(SPKI DER)), as cosign and sigstore-go write it. */
static void
test_hint(void **state)
{
	struct sign_key k = SIGN_KEY_INIT, q = SIGN_KEY_INIT;
	struct buf hint = BUF_INIT(0), der = BUF_INIT(0), raw = BUF_INIT(0);
	uint8_t d[32];

	(void)state;
	assert_int_equal(sign_key_generate(&k, KEY_ED25519), 0);
	assert_int_equal(sign_key_hint(&k, &hint), 0);
	assert_int_equal(hint.len, 44);
	assert_int_equal(sign_key_spki_der(&k, &der), 0);
	/* Ed25519 SPKI is 44 bytes: 12-byte header + 32-byte key. */
	assert_int_equal(der.len, 44);
	hash_sha256(der.data, der.len, d);
	assert_int_equal(base64_decode(&raw, hint.data, hint.len), 0);
	assert_memory_equal(raw.data, d, 32);
	assert_int_equal(sign_key_from_spki_der(&q, der.data, der.len), 0);
	assert_int_equal(q.type, KEY_ED25519);
	assert_int_equal(sign_key_from_spki_der(&q, der.data, der.len - 1), -1);
	buf_release(&hint);
	buf_release(&der);
	buf_release(&raw);
	sign_key_release(&k);
	sign_key_release(&q);
}

static void
test_type_names(void **state)
{
	enum key_type t;

	(void)state;
	assert_int_equal(key_type_parse("ed25519", &t), 0);
	assert_int_equal(t, KEY_ED25519);
	assert_int_equal(key_type_parse("ecdsa-p256", &t), 0);
	assert_int_equal(t, KEY_ECDSA_P256);
	assert_int_equal(key_type_parse("rsa", &t), -1);
	assert_string_equal(key_type_name(KEY_ED25519), "ed25519");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdsa_roundtrip),
		cmocka_unit_test(test_ed25519_roundtrip),
		cmocka_unit_test(test_prehash_matches_message),
		cmocka_unit_test(test_raw_rs_rejected),
		cmocka_unit_test(test_pem_encrypted_roundtrip),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
