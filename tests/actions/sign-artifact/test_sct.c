#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "common/hash.h"
#include "sct.h"

/*
 * A Fulcio-like chain built here: a CA, a leaf whose TBS (as a precert) a
 * CT log signs per RFC 6962 §3.2, the SCT list embedded, the leaf re-signed.
 * Each variant breaks one thing the SCT check must catch.
 */
struct fix {
	EVP_PKEY *ca_key, *ct_key, *leaf_key;
	X509 *ca;
	uint8_t ct_id[32]; /* the CT log's id, as its SCTs carry it */
	struct trust_root root;
};

struct variant {
	bool no_sct, tamper, dup, wrong_issuer, stale_tbs, sha1;
};

static void
add_ext(X509 *issuer, X509 *x, int nid, const char *v)
{
	X509V3_CTX c;
	X509_EXTENSION *e;

	X509V3_set_ctx(&c, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &c, nid, v);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

static X509 *
new_cert(const char *cn, long serial, EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	return x;
}

static void
spki_hash(EVP_PKEY *k, uint8_t out[32])
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);

	assert_true(n > 0);
	assert_int_equal(hash_sha256(der, (size_t)n, out), 0);
	OPENSSL_free(der);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->ca_key = EVP_EC_gen("P-256");
	f->ct_key = EVP_EC_gen("P-256");
	f->leaf_key = EVP_EC_gen("P-256");
	f->ca = new_cert("test ca", 1, f->ca_key);
	X509_set_issuer_name(f->ca, X509_get_subject_name(f->ca));
	add_ext(f->ca, f->ca, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(f->ca, f->ca, NID_key_usage, "critical,keyCertSign");
	assert_true(X509_sign(f->ca, f->ca_key, EVP_sha256()) > 0);
	f->root.cas[0].certs = sk_X509_new_null();
	sk_X509_push(f->root.cas[0].certs, X509_dup(f->ca));
	f->root.nr_cas = 1;
	EVP_PKEY_up_ref(f->ct_key);
	f->root.ctlogs[0].pkey = f->ct_key;
	spki_hash(f->ct_key, f->ct_id);
	memcpy(f->root.ctlogs[0].log_id, f->ct_id, 32);
	f->root.nr_ctlogs = 1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	trust_root_release(&f->root);
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->ct_key);
	EVP_PKEY_free(f->leaf_key);
	free(f);
	return 0;
}

static void
put(struct buf *b, uint64_t v, size_t k)
{
	while (k-- > 0)
		assert_int_equal(
		    buf_addch(b, (char)(uint8_t)(v >> (8 * k))), 0);
}

/* The TLS SCT list for tbs, signed by the CT log key. */
static void
make_sct_list(struct fix *f, const struct variant *v, const uint8_t *tbs,
    size_t tbs_len, struct buf *list)
{
	struct sct s;
	struct buf data = BUF_INIT(0), one = BUF_INIT(0);
	uint8_t ikh[32], sig[256];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(&s, 0, sizeof(s));
	memcpy(s.log_id, f->ct_id, 32);
	s.timestamp = (uint64_t)time(NULL) * 1000;
	s.hash_alg = v->sha1 ? 2 : 4;
	s.sig_alg = 3;
	spki_hash(v->wrong_issuer ? f->leaf_key : f->ca_key, ikh);
	assert_int_equal(sct_signed_data(&s, ikh, tbs, tbs_len, &data), 0);
	assert_int_equal(
	    EVP_DigestSignInit(ctx, NULL, v->sha1 ? EVP_sha1() : EVP_sha256(),
	        NULL, f->ct_key),
	    1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen,
	                     (const unsigned char *)data.data, data.len),
	    1);
	EVP_MD_CTX_free(ctx);
	if (v->tamper)
		sig[siglen - 1] ^= 1;
	put(&one, 0, 1);
	assert_int_equal(buf_add(&one, s.log_id, 32), 0);
	put(&one, s.timestamp, 8);
	put(&one, 0, 2);
	put(&one, s.hash_alg, 1);
	put(&one, s.sig_alg, 1);
	put(&one, siglen, 2);
	assert_int_equal(buf_add(&one, sig, siglen), 0);
	put(list, (one.len + 2) * (v->dup ? 2 : 1), 2);
	put(list, one.len, 2);
	assert_int_equal(buf_addbuf(list, &one), 0);
	if (v->dup) {
		put(list, one.len, 2);
		assert_int_equal(buf_addbuf(list, &one), 0);
	}
	buf_release(&one);
	buf_release(&data);
}

/* The leaf's DER into out. */
static void
make_leaf(struct fix *f, const struct variant *v, struct buf *out)
{
	X509 *x = new_cert("leaf", 7, f->leaf_key);
	unsigned char *tbs = NULL, *der = NULL, *inner = NULL;
	struct buf list = BUF_INIT(0);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new(), *wrap;
	X509_EXTENSION *e;
	int n;

	X509_set_issuer_name(x, X509_get_subject_name(f->ca));
	add_ext(f->ca, x, NID_subject_alt_name,
	    "critical,URI:https://example.com/wf.yml@refs/heads/main");
	add_ext(f->ca, x, NID_key_usage, "critical,digitalSignature");
	add_ext(f->ca, x, NID_ext_key_usage, "codeSigning");
	assert_true(X509_sign(x, f->ca_key, EVP_sha256()) > 0);
	if (!v->no_sct) {
		n = i2d_re_X509_tbs(x, &tbs);
		assert_true(n > 0);
		make_sct_list(f, v, tbs, (size_t)n, &list);
		if (v->stale_tbs)
			ASN1_INTEGER_set(X509_get_serialNumber(x), 8);
		ASN1_OCTET_STRING_set(
		    os, (unsigned char *)list.data, (int)list.len);
		n = i2d_ASN1_OCTET_STRING(os, &inner);
		wrap = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(wrap, inner, n);
		e = X509_EXTENSION_create_by_NID(
		    NULL, NID_ct_precert_scts, 0, wrap);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(wrap);
		assert_true(X509_sign(x, f->ca_key, EVP_sha256()) > 0);
	}
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_int_equal(buf_add(out, der, (size_t)n), 0);
	OPENSSL_free(der);
	OPENSSL_free(tbs);
	OPENSSL_free(inner);
	ASN1_OCTET_STRING_free(os);
	buf_release(&list);
	X509_free(x);
}

static int
verify_variant(struct fix *f, const struct variant *v)
{
	struct buf der = BUF_INIT(0);
	struct cert_info ci = { NULL, NULL, SIGN_KEY_INIT };
	int rc;

	make_leaf(f, v, &der);
	rc = cert_verify(der.data, der.len, &f->root, (int64_t)time(NULL), &ci);
	cert_info_release(&ci);
	buf_release(&der);
	return rc;
}

static void
test_valid_sct(void **state)
{
	struct variant v = { 0 };

	assert_int_equal(verify_variant(*state, &v), 0);
}

static void
test_bad_variants(void **state)
{
	struct variant v[] = {
		{ .no_sct = true },
		{ .tamper = true },
		{ .dup = true },
		{ .wrong_issuer = true },
		{ .stale_tbs = true },
		{ .sha1 = true },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(verify_variant(*state, &v[i]), -1);
}

static void
test_root_without_matching_ctlog(void **state)
{
	struct fix *f = *state;
	struct variant v = { 0 };

	f->root.nr_ctlogs = 0;
	assert_int_equal(verify_variant(f, &v), -1);
	f->root.nr_ctlogs = 1;
	f->root.ctlogs[0].log_id[0] ^= 1;
	assert_int_equal(verify_variant(f, &v), -1);
	f->root.ctlogs[0].log_id[0] ^= 1;
	/* The log's key had expired when it issued the SCT. */
	f->root.ctlogs[0].valid.end = (int64_t)time(NULL) - 7200;
	assert_int_equal(verify_variant(f, &v), -1);
	f->root.ctlogs[0].valid.end = 0;
	assert_int_equal(verify_variant(f, &v), 0);
}

/* RFC 6962 §3.2 field by field, written out independently. */
static void
test_signed_data_layout(void **state)
{
	struct sct s;
	struct buf out = BUF_INIT(0);
	uint8_t ikh[32], ext[2] = { 0xee, 0xff };
	const uint8_t tbs[3] = { 0x30, 0x01, 0x00 };
	const uint8_t head[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 1 };

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(ikh, 0xab, sizeof(ikh));
	s.timestamp = 42;
	s.ext = ext;
	s.ext_len = 2;
	assert_int_equal(sct_signed_data(&s, ikh, tbs, 3, &out), 0);
	assert_int_equal(out.len, 12 + 32 + 3 + 3 + 2 + 2);
	assert_memory_equal(out.data, head, 12);
	assert_memory_equal(out.data + 12, ikh, 32);
	assert_memory_equal(out.data + 44, "\x00\x00\x03", 3);
	assert_memory_equal(out.data + 47, tbs, 3);
	assert_memory_equal(out.data + 50, "\x00\x02\xee\xff", 4);
	buf_release(&out);
}

static void
test_list_parse_malformed(void **state)
{
	struct sct s[SCT_MAX];
	size_t nr = 99;
	uint8_t one[2 + 2 + 47] = { 0 };

	(void)state;
	assert_int_equal(
	    sct_list_parse((const uint8_t *)"\0\0", 2, s, 8, &nr), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(
	    sct_list_parse((const uint8_t *)"\0\3\0", 3, s, 8, &nr), -1);
	assert_int_equal(
	    sct_list_parse((const uint8_t *)"\0\0\0", 3, s, 8, &nr), -1);
	/* One SCT, no extensions, empty signature: 47 bytes. */
	one[1] = 2 + 47;
	one[3] = 47;
	one[4 + 41 + 2] = 4;
	one[4 + 41 + 3] = 3;
	assert_int_equal(sct_list_parse(one, 4 + 47, s, 8, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(s[0].hash_alg, 4);
	assert_int_equal(s[0].sig_len, 0);
	one[4] = 1; /* v2 */
	assert_int_equal(sct_list_parse(one, 4 + 47, s, 8, &nr), -1);
	one[4] = 0;
	assert_int_equal(sct_list_parse(one, 4 + 46, s, 8, &nr), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_sct),
		cmocka_unit_test(test_bad_variants),
		cmocka_unit_test(test_root_without_matching_ctlog),
		cmocka_unit_test(test_signed_data_layout),
		cmocka_unit_test(test_list_parse_malformed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
