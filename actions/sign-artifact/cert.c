#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#include "common/log.h"
#include "common/xalloc.h"
#include "cert.h"
#include "sct.h"

#define OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"
#define OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"

void
cert_info_release(struct cert_info *ci)
{
	free(ci->san);
	free(ci->issuer);
	ci->san = ci->issuer = NULL;
	sign_key_release(&ci->key);
}

static char *
asn1_dup(const ASN1_STRING *s)
{
	return xstrndup((const char *)ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s));
}

static char *
first_san(X509 *x)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char *out = NULL;
	int i;

	for (i = 0; gens && i < sk_GENERAL_NAME_num(gens) && !out; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_URI)
			out = asn1_dup(g->d.uniformResourceIdentifier);
		else if (g->type == GEN_EMAIL)
			out = asn1_dup(g->d.rfc822Name);
	}
	GENERAL_NAMES_free(gens);
	return out;
}

static char *
ext_issuer(X509 *x)
{
	const char *oids[2] = { OID_ISSUER_V2, OID_ISSUER_V1 };
	size_t k;

	for (k = 0; k < 2; k++) {
		ASN1_OBJECT *obj = OBJ_txt2obj(oids[k], 1);
		int idx = obj ? X509_get_ext_by_OBJ(x, obj, -1) : -1;
		ASN1_OCTET_STRING *v;
		const unsigned char *p;
		ASN1_UTF8STRING *u;
		char *out = NULL;

		ASN1_OBJECT_free(obj);
		if (idx < 0)
			continue;
		v = X509_EXTENSION_get_data(X509_get_ext(x, idx));
		if (k == 1)
			return asn1_dup(v);
		p = ASN1_STRING_get0_data(v);
		u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v));
		if (u != NULL)
			out = asn1_dup(u);
		ASN1_UTF8STRING_free(u);
		ERR_clear_error();
		if (out != NULL)
			return out;
	}
	return NULL;
}

int
cert_verify(const void *der, size_t len, const struct trust_root *t,
    int64_t when, struct cert_info *ci)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	X509_STORE *st = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) * chain;
	EVP_PKEY *pk;
	size_t c;
	int i, rc = -1;

	if (x == NULL || p != (const unsigned char *)der + len) {
		ERR_clear_error();
		error_msg("bundle certificate is not valid DER");
		goto out;
	}
	ci->san = first_san(x);
	ci->issuer = ext_issuer(x);
	pk = X509_get_pubkey(x);
	if (pk == NULL || sign_key_from_pkey(&ci->key, pk, false) < 0) {
		error_msg("bundle certificate has an unsupported key");
		goto out;
	}
	st = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	if (st == NULL || ctx == NULL)
		goto out;
	/* Only CAs the root declares valid at signing time are anchors. */
	for (c = 0; c < t->nr_cas; c++) {
		if (!trust_window_contains(&t->cas[c].valid, when))
			continue;
		for (i = 0; i < sk_X509_num(t->cas[c].certs); i++)
			X509_STORE_add_cert(
			    st, sk_X509_value(t->cas[c].certs, i));
	}
	if (X509_STORE_CTX_init(ctx, st, x, NULL) != 1)
		goto out;
	/* Intermediates in the trusted root are trust anchors too. */
	X509_STORE_CTX_set_flags(
	    ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_USE_CHECK_TIME);
	X509_STORE_CTX_set_time(ctx, 0, (time_t)when);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		error_msg("certificate does not chain to the trusted root at "
		          "signing time: %s",
		    X509_verify_cert_error_string(
		        X509_STORE_CTX_get_error(ctx)));
		ERR_clear_error();
		goto out;
	}
	/* The SCTs are bound to the issuer that signed this leaf. */
	chain = X509_STORE_CTX_get0_chain(ctx);
	if (sk_X509_num(chain) < 2) {
		error_msg("certificate is itself a trust anchor");
		goto out;
	}
	if (sct_verify(x, sk_X509_value(chain, 1), t) < 0)
		goto out;
	rc = 0;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	X509_free(x);
	return rc;
}
