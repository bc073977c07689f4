#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

#include "common/hash.h"
#include "common/log.h"
#include "sct.h"

/* Big-endian TLS reader; any overrun poisons it (ok = false). */
struct rd {
	const uint8_t *p;
	size_t n;
	bool ok;
};

static const uint8_t *
rd_take(struct rd *r, size_t k)
{
	const uint8_t *p = r->p;

	if (!r->ok || k > r->n) {
		r->ok = false;
		return NULL;
	}
	r->p += k;
	r->n -= k;
	return p;
}

static uint64_t
rd_uint(struct rd *r, size_t k)
{
	const uint8_t *p = rd_take(r, k);
	uint64_t v = 0;
	size_t i;

	for (i = 0; p != NULL && i < k; i++)
		v = v << 8 | p[i];
	return v;
}

static void
rd_sub(struct rd *r, size_t lenbytes, struct rd *sub)
{
	size_t len = (size_t)rd_uint(r, lenbytes);

	sub->p = rd_take(r, len);
	sub->n = sub->p ? len : 0;
	sub->ok = r->ok;
}

static int
sct_parse_one(struct rd *r, struct sct *s)
{
	const uint8_t *id;

	if (rd_uint(r, 1) != 0)
		return error_msg("unsupported SCT version");
	id = rd_take(r, 32);
	if (id != NULL)
		memcpy(s->log_id, id, 32);
	s->timestamp = rd_uint(r, 8);
	s->ext_len = (size_t)rd_uint(r, 2);
	s->ext = rd_take(r, s->ext_len);
	s->hash_alg = (uint8_t)rd_uint(r, 1);
	s->sig_alg = (uint8_t)rd_uint(r, 1);
	s->sig_len = (size_t)rd_uint(r, 2);
	s->sig = rd_take(r, s->sig_len);
	if (!r->ok || r->n != 0)
		return error_msg("malformed SCT");
	return 0;
}

int
sct_list_parse(
    const uint8_t *p, size_t len, struct sct *out, size_t max, size_t *nr)
{
	struct rd r = { p, len, true }, list, one;

	*nr = 0;
	rd_sub(&r, 2, &list);
	if (!list.ok || r.n != 0)
		return error_msg("malformed SCT list");
	while (list.n > 0) {
		if (*nr >= max)
			return error_msg("too many SCTs");
		rd_sub(&list, 2, &one);
		if (!one.ok)
			return error_msg("malformed SCT list");
		if (sct_parse_one(&one, &out[*nr]) < 0)
			return -1;
		(*nr)++;
	}
	return 0;
}

static int
put_uint(struct buf *b, uint64_t v, size_t k)
{
	uint8_t be[8];
	size_t i;

	for (i = 0; i < k; i++)
		be[i] = (uint8_t)(v >> (8 * (k - 1 - i)));
	return buf_add(b, be, k);
}

int
sct_signed_data(const struct sct *s, const uint8_t issuer_key_hash[32],
    const uint8_t *tbs, size_t tbs_len, struct buf *out)
{
	if (tbs_len >= (size_t)1 << 24)
		return error_msg("certificate too large for an SCT");
	/* v1, certificate_timestamp, timestamp, precert_entry. */
	if (put_uint(out, 0, 1) < 0 || put_uint(out, 0, 1) < 0 ||
	    put_uint(out, s->timestamp, 8) < 0 || put_uint(out, 1, 2) < 0 ||
	    buf_add(out, issuer_key_hash, 32) < 0 ||
	    put_uint(out, tbs_len, 3) < 0 || buf_add(out, tbs, tbs_len) < 0 ||
	    put_uint(out, s->ext_len, 2) < 0 ||
	    buf_add(out, s->ext, s->ext_len) < 0)
		return -1;
	return 0;
}

static int
sct_sig_ok(const struct sct *s, EVP_PKEY *pk, const struct buf *data)
{
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx;
	int ok;

	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
		if (s->hash_alg == 4)
			md = EVP_sha256();
		else if (s->hash_alg == 5)
			md = EVP_sha384();
		else if (s->hash_alg == 6)
			md = EVP_sha512();
		else
			return 0;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
	     EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk) == 1 &&
	     EVP_DigestVerify(ctx, s->sig, s->sig_len,
	         (const unsigned char *)data->data, data->len) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/* One SCT against every ctlog with its id; says why none accepted it. */
static int
sct_check(const struct sct *s, const struct trust_root *t,
    const uint8_t ikh[32], const uint8_t *tbs, size_t tbs_len)
{
	struct buf data = BUF_INIT(((size_t)1 << 24) + 4096);
	const char *why = "is from a log the trusted root does not list";
	size_t k;
	int rc = -1;

	if (sct_signed_data(s, ikh, tbs, tbs_len, &data) < 0)
		goto out;
	for (k = 0; k < t->nr_ctlogs && rc < 0; k++) {
		const struct trust_ctlog *c = &t->ctlogs[k];

		if (memcmp(c->log_id, s->log_id, 32) != 0)
			continue;
		why = "timestamp is outside its ctlog's validity";
		if (!trust_window_contains(
		        &c->valid, (int64_t)(s->timestamp / 1000)))
			continue;
		why = "signature does not verify";
		if (sct_sig_ok(s, c->pkey, &data))
			rc = 0;
	}
	if (rc < 0)
		error_msg("certificate SCT %s", why);
out:
	buf_release(&data);
	return rc;
}

/* extnValue holds a DER OCTET STRING around the TLS list. */
static ASN1_OCTET_STRING *
sct_ext_list(X509_EXTENSION *ext)
{
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext);
	const unsigned char *p = ASN1_STRING_get0_data(v);
	const unsigned char *end = p + ASN1_STRING_length(v);
	ASN1_OCTET_STRING *in = d2i_ASN1_OCTET_STRING(NULL, &p, end - p);

	if (in != NULL && p != end) {
		ASN1_OCTET_STRING_free(in);
		in = NULL;
	}
	ERR_clear_error();
	return in;
}

int
sct_verify(void *leafp, void *issuerp, const struct trust_root *t)
{
	X509 *leaf = leafp, *pre = NULL;
	struct sct scts[SCT_MAX];
	ASN1_OCTET_STRING *list = NULL;
	unsigned char *tbs = NULL, *spki = NULL;
	uint8_t ikh[32];
	size_t nr, i, j;
	int idx, tbs_len, spki_len, rc = -1;

	idx = X509_get_ext_by_NID(leaf, NID_ct_precert_scts, -1);
	if (idx < 0) {
		error_msg("certificate has no SCT: no certificate "
		          "transparency log vouches for it");
		goto out;
	}
	if (X509_get_ext_by_NID(leaf, NID_ct_precert_scts, idx) >= 0) {
		error_msg("certificate has two SCT extensions");
		goto out;
	}
	list = sct_ext_list(X509_get_ext(leaf, idx));
	if (list == NULL) {
		error_msg("malformed SCT extension");
		goto out;
	}
	if (sct_list_parse(ASN1_STRING_get0_data(list),
	        (size_t)ASN1_STRING_length(list), scts, SCT_MAX, &nr) < 0)
		goto out;
	if (nr == 0) {
		error_msg("certificate has an empty SCT list");
		goto out;
	}
	/* The precert TBS: this TBS re-encoded without the SCT extension. */
	pre = X509_dup(leaf);
	if (pre == NULL)
		goto out;
	X509_EXTENSION_free(X509_delete_ext(pre, idx));
	tbs_len = i2d_re_X509_tbs(pre, &tbs);
	spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuerp), &spki);
	if (tbs_len <= 0 || spki_len <= 0 ||
	    hash_sha256(spki, (size_t)spki_len, ikh) < 0) {
		error_msg("cannot encode the precertificate");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		for (j = 0; j < i; j++)
			if (memcmp(scts[i].log_id, scts[j].log_id, 32) == 0) {
				error_msg("certificate has two SCTs from one "
				          "log");
				goto out;
			}
		if (sct_check(&scts[i], t, ikh, tbs, (size_t)tbs_len) < 0)
			goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(tbs);
	OPENSSL_free(spki);
	X509_free(pre);
	ASN1_OCTET_STRING_free(list);
	return rc;
}
