#include "common/compat.h"

#include <string.h>

#include "common/crypto.h"

#include "common/base64.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/log.h"
#include "keys.h"

/* Upper bound for key files: a PEM key is a few hundred bytes. */
#define KEY_FILE_MAX (64 * 1024)

int
key_type_parse(const char *s, enum key_type *out)
{
	if (strcmp(s, "ecdsa-p256") == 0)
		*out = KEY_ECDSA_P256;
	else if (strcmp(s, "ed25519") == 0)
		*out = KEY_ED25519;
	else
		return error_msg(
		    "unknown key type '%s' (ecdsa-p256, ed25519)", s);
	return 0;
}

const char *
key_type_name(enum key_type t)
{
	return t == KEY_ED25519 ? "ed25519" : "ecdsa-p256";
}

static int
ossl_error(const char *what)
{
	char msg[256];
	unsigned long e = ERR_get_error();

	if (e == 0)
		return error_msg("%s", what);
	ERR_error_string_n(e, msg, sizeof(msg));
	ERR_clear_error();
	return error_msg("%s: %s", what, msg);
}

int
sign_key_from_pkey(struct sign_key *k, void *pkey, bool has_private)
{
	EVP_PKEY *p = pkey;
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_get_id(p) == EVP_PKEY_ED25519) {
		k->type = KEY_ED25519;
	} else if (EVP_PKEY_get_id(p) == EVP_PKEY_EC &&
	           EVP_PKEY_get_utf8_string_param(
	               p, "group", group, sizeof(group), &glen) == 1 &&
	           (strcmp(group, "prime256v1") == 0 ||
	               strcmp(group, "P-256") == 0)) {
		k->type = KEY_ECDSA_P256;
	} else {
		EVP_PKEY_free(p);
		return error_msg("unsupported key type (want ecdsa-p256 or "
		                 "ed25519)");
	}
	sign_key_release(k);
	k->pkey = p;
	k->has_private = has_private;
	return 0;
}

int
sign_key_generate(struct sign_key *k, enum key_type type)
{
	EVP_PKEY *p = NULL;

	if (type == KEY_ED25519)
		p = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else
		p = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (p == NULL)
		return ossl_error("cannot generate key");
	return sign_key_from_pkey(k, p, true);
}

static int
bio_drain(BIO *b, struct buf *out)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0)
		return error_msg("cannot read memory BIO");
	return buf_add(out, data, (size_t)n);
}

int
sign_key_private_pem(
    const struct sign_key *k, const char *passphrase, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	const EVP_CIPHER *cipher = NULL;
	int ok, rc = -1;

	if (b == NULL)
		return ossl_error("cannot allocate BIO");
	if (passphrase != NULL && *passphrase != '\0')
		cipher = EVP_aes_256_cbc();
	ok = PEM_write_bio_PKCS8PrivateKey(b, k->pkey, cipher, passphrase,
	    passphrase ? (int)strlen(passphrase) : 0, NULL, NULL);
	if (ok != 1) {
		ossl_error("cannot encode private key");
		goto out;
	}
	rc = bio_drain(b, out);
out:
	BIO_free(b);
	return rc;
}

int
sign_key_public_pem(const struct sign_key *k, struct buf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	int rc = -1;

	if (b == NULL)
		return ossl_error("cannot allocate BIO");
	if (PEM_write_bio_PUBKEY(b, k->pkey) != 1) {
		ossl_error("cannot encode public key");
		goto out;
	}
	rc = bio_drain(b, out);
out:
	BIO_free(b);
	return rc;
}

int
sign_key_spki_der(const struct sign_key *k, struct buf *out)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k->pkey, &der);
	int rc;

	if (n <= 0)
		return ossl_error("cannot encode public key");
	rc = buf_add(out, der, (size_t)n);
	OPENSSL_free(der);
	return rc;
}

int
sign_key_hint(const struct sign_key *k, struct buf *out)
{
	struct buf der = BUF_INIT(0);
	uint8_t d[HASH_SHA256_LEN];
	int rc = -1;

	if (sign_key_spki_der(k, &der) < 0 ||
	    hash_sha256(der.data, der.len, d) < 0)
		goto out;
	rc = base64_encode(out, d, sizeof(d));
out:
	buf_release(&der);
	return rc;
}

struct passphrase {
	const char *pw;
};

static int
pass_cb(char *dst, int size, int rwflag, void *u)
{
	const char *pw = ((struct passphrase *)u)->pw;
	size_t n;

	(void)rwflag;
	if (pw == NULL)
		return -1;
	n = strlen(pw);
	if (n > (size_t)size)
		return -1;
	memcpy(dst, pw, n);
	return (int)n;
}

int
sign_key_load_private(
    struct sign_key *k, const char *path, const char *passphrase)
{
	struct buf pem = BUF_INIT(READ_CAP(KEY_FILE_MAX));
	struct passphrase pw = { passphrase };
	BIO *b = NULL;
	EVP_PKEY *p = NULL;
	int rc = -1;

	if (fs_read_file(path, KEY_FILE_MAX, &pem) < 0)
		goto out;
	b = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (b == NULL) {
		ossl_error("cannot allocate BIO");
		goto out;
	}
	p = PEM_read_bio_PrivateKey(b, NULL, pass_cb, &pw);
	if (p == NULL) {
		ERR_clear_error();
		if (strstr(pem.data, "ENCRYPTED") != NULL &&
		    (passphrase == NULL || *passphrase == '\0'))
			error_msg("cannot load key '%s': encrypted, set %s",
			    path, SIGN_PASSPHRASE_ENV);
		else if (strstr(pem.data, "SIGSTORE") != NULL ||
		         strstr(pem.data, "COSIGN") != NULL)
			error_msg("cannot load key '%s': cosign-encrypted keys "
			          "are not supported, export PKCS#8",
			    path);
		else
			error_msg("cannot load key '%s': not a PEM private key "
			          "or wrong passphrase",
			    path);
		goto out;
	}
	rc = sign_key_from_pkey(k, p, true);
out:
	BIO_free(b);
	OPENSSL_cleanse(pem.data, pem.len);
	buf_release(&pem);
	return rc;
}

int
sign_key_load_public(struct sign_key *k, const char *path)
{
	struct buf pem = BUF_INIT(READ_CAP(KEY_FILE_MAX));
	BIO *b = NULL;
	EVP_PKEY *p = NULL;
	int rc = -1;

	if (fs_read_file(path, KEY_FILE_MAX, &pem) < 0)
		goto out;
	b = BIO_new_mem_buf(pem.data, (int)pem.len);
	if (b == NULL) {
		ossl_error("cannot allocate BIO");
		goto out;
	}
	p = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (p == NULL) {
		ERR_clear_error();
		error_msg(
		    "cannot load public key '%s': not a PEM public key", path);
		goto out;
	}
	rc = sign_key_from_pkey(k, p, false);
out:
	BIO_free(b);
	buf_release(&pem);
	return rc;
}

int
sign_key_from_spki_der(struct sign_key *k, const void *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk == NULL) {
		ERR_clear_error();
		return error_msg("cannot parse public key: bad DER");
	}
	return sign_key_from_pkey(k, pk, false);
}

void
sign_key_release(struct sign_key *k)
{
	EVP_PKEY_free(k->pkey);
	k->pkey = NULL;
	k->has_private = false;
}

int
sign_key_sign(
    const struct sign_key *k, const void *msg, size_t len, struct buf *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = k->type == KEY_ED25519 ? NULL : EVP_sha256();
	size_t n = 0;
	int rc = -1;

	if (ctx == NULL)
		return ossl_error("cannot allocate digest context");
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, msg, len) != 1) {
		ossl_error("cannot sign");
		goto out;
	}
	if (buf_grow(sig, n) < 0)
		goto out;
	if (EVP_DigestSign(ctx, (unsigned char *)sig->data + sig->len, &n, msg,
	        len) != 1) {
		ossl_error("cannot sign");
		goto out;
	}
	sig->len += n;
	sig->data[sig->len] = '\0';
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
sign_key_verify(const struct sign_key *k, const void *msg, size_t len,
    const void *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = k->type == KEY_ED25519 ? NULL : EVP_sha256();
	int r, rc = -1;

	if (ctx == NULL)
		return ossl_error("cannot allocate digest context");
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) != 1) {
		ossl_error("cannot verify");
		goto out;
	}
	r = EVP_DigestVerify(ctx, sig, siglen, msg, len);
	ERR_clear_error();
	rc = r == 1 ? 1 : 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static EVP_PKEY_CTX *
digest_ctx(const struct sign_key *k, bool sign)
{
	EVP_PKEY_CTX *ctx;

	if (k->type != KEY_ECDSA_P256) {
		error_msg("prehashed signatures need an ecdsa-p256 key");
		return NULL;
	}
	ctx = EVP_PKEY_CTX_new(k->pkey, NULL);
	if (ctx == NULL ||
	    (sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		ossl_error("cannot set up signature");
		return NULL;
	}
	return ctx;
}

int
sign_key_sign_digest(
    const struct sign_key *k, const uint8_t d[32], struct buf *sig)
{
	EVP_PKEY_CTX *ctx = digest_ctx(k, true);
	size_t n = 0;
	int rc = -1;

	if (ctx == NULL)
		return -1;
	if (EVP_PKEY_sign(ctx, NULL, &n, d, 32) != 1 || buf_grow(sig, n) < 0)
		goto out;
	if (EVP_PKEY_sign(
	        ctx, (unsigned char *)sig->data + sig->len, &n, d, 32) != 1) {
		ossl_error("cannot sign");
		goto out;
	}
	sig->len += n;
	sig->data[sig->len] = '\0';
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

int
sign_key_verify_digest(const struct sign_key *k, const uint8_t d[32],
    const void *sig, size_t siglen)
{
	EVP_PKEY_CTX *ctx = digest_ctx(k, false);
	int r;

	if (ctx == NULL)
		return -1;
	r = EVP_PKEY_verify(ctx, sig, siglen, d, 32);
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	return r == 1 ? 1 : 0;
}
