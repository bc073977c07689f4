#include "common/compat.h"

#include <string.h>

#include "common/crypto.h"

#include "common/base64.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "note.h"

#define ALG_ED25519 NOTE_ALG_ED25519
static const char sig_prefix[] = "\xe2\x80\x94 "; /* U+2014 + space */

/* Decodes one UTF-8 sequence; 0 on malformed input. */
static size_t
utf8_len(const unsigned char *p, size_t left, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1fu;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0fu;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07u;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3fu);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* UTF-8 with no control characters except '\n' (and none at all if
 * !allow_nl). Unicode spaces are rejected in names via `no_space`. */
static bool
text_valid(const char *s, size_t len, bool allow_nl, bool no_space)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t c;

	while (i < len) {
		n = utf8_len(p + i, len - i, &c);
		if (n == 0)
			return false;
		if ((c < 0x20 && !(allow_nl && c == '\n')) || c == 0x7f)
			return false;
		if (no_space &&
		    (c == ' ' || c == 0x85 || c == 0xa0 || c == 0x1680 ||
		        (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
		        c == 0x2029 || c == 0x202f || c == 0x205f ||
		        c == 0x3000))
			return false;
		i += n;
	}
	return true;
}

bool
note_name_valid(const char *name, size_t len)
{
	return len > 0 && memchr(name, '+', len) == NULL &&
	       text_valid(name, len, false, true);
}

int
note_key_id(const char *name, const uint8_t pub[32], uint32_t *id)
{
	return note_key_id_alg(name, NOTE_ALG_ED25519, pub, id);
}

int
note_key_id_alg(
    const char *name, uint8_t alg, const uint8_t pub[32], uint32_t *id)
{
	struct hash_ctx h = HASH_CTX_INIT;
	const uint8_t sep[2] = { '\n', alg };
	uint8_t d[HASH_SHA256_LEN];
	int ret = -1;

	if (hash_init(&h) < 0 || hash_update(&h, name, strlen(name)) < 0 ||
	    hash_update(&h, sep, 2) < 0 || hash_update(&h, pub, 32) < 0 ||
	    hash_final(&h, d) < 0)
		goto out;
	*id = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
	      (uint32_t)d[2] << 8 | d[3];
	ret = 0;
out:
	hash_release(&h);
	return ret;
}

int
note_signer_from_seed(
    struct note_signer *s, const char *name, const uint8_t seed[32])
{
	EVP_PKEY *pk = NULL;
	size_t publen = 32;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	if (!note_name_valid(name, strlen(name))) {
		error_msg("invalid key name '%s': it must be non-empty UTF-8 "
		          "without spaces or '+'",
		    name);
		goto out;
	}
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (pk == NULL ||
	    EVP_PKEY_get_raw_public_key(pk, s->v.pub, &publen) != 1 ||
	    publen != 32) {
		error_msg("cannot derive an Ed25519 public key");
		goto out;
	}
	memcpy(s->seed, seed, 32);
	s->v.name = xstrdup(name);
	if (note_key_id(name, s->v.pub, &s->v.id) < 0)
		goto out;
	ret = 0;
out:
	EVP_PKEY_free(pk);
	if (ret < 0)
		note_signer_release(s);
	return ret;
}

int
note_signer_generate(struct note_signer *s, const char *name)
{
	uint8_t seed[32];
	int ret;

	if (RAND_bytes(seed, sizeof(seed)) != 1)
		return error_msg("cannot get random bytes for a key");
	ret = note_signer_from_seed(s, name, seed);
	OPENSSL_cleanse(seed, sizeof(seed));
	return ret;
}

/* Splits "name+hex8+base64" into its parts and decodes the key bytes. */
static int
parse_key(const char *what, const char *key, char **name, uint32_t *id,
    uint8_t out[32], uint8_t *alg)
{
	const char *p1, *p2;
	struct buf raw = BUF_INIT(64);
	char hex[9];
	uint8_t idb[4];
	int ret = -1;

	*name = NULL;
	/* Names cannot contain '+'; base64 can, so split from the left. */
	p1 = strchr(key, '+');
	if (p1 == NULL || p1 == key || strlen(p1) < 10 || p1[9] != '+')
		goto bad;
	p2 = p1 + 9;
	memcpy(hex, p1 + 1, 8);
	hex[8] = 0;
	if (hash_from_hex(hex, idb, 4) < 0)
		goto bad;
	if (base64_decode(&raw, p2 + 1, strlen(p2 + 1)) < 0)
		goto bad;
	*alg = raw.len > 0 ? (uint8_t)raw.data[0] : 0;
	if (raw.len != 33 ||
	    (*alg != ALG_ED25519 && *alg != NOTE_ALG_COSIGNATURE)) {
		error_msg("%s: unsupported key type or length", what);
		goto out;
	}
	if (!note_name_valid(key, (size_t)(p1 - key)))
		goto bad;
	*name = xstrndup(key, (size_t)(p1 - key));
	*id = (uint32_t)idb[0] << 24 | (uint32_t)idb[1] << 16 |
	      (uint32_t)idb[2] << 8 | idb[3];
	memcpy(out, raw.data + 1, 32);
	ret = 0;
	goto out;
bad:
	error_msg("%s: malformed key", what);
out:
	OPENSSL_cleanse(raw.data, raw.len);
	buf_release(&raw);
	return ret;
}

int
note_signer_parse(struct note_signer *s, const char *skey)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint8_t seed[32], alg;
	uint32_t id;
	char *name = NULL;
	int ret = -1;

	memset(s, 0, sizeof(*s));
	if (strncmp(skey, prefix, sizeof(prefix) - 1) != 0) {
		error_msg(
		    "signer key: expected 'PRIVATE+KEY+<name>+<id>+<key>'");
		goto out;
	}
	if (parse_key("signer key", skey + sizeof(prefix) - 1, &name, &id, seed,
	        &alg) < 0)
		goto out;
	if (alg != ALG_ED25519) {
		error_msg("signer key: not an Ed25519 signed-note key");
		goto out;
	}
	if (note_signer_from_seed(s, name, seed) < 0)
		goto out;
	if (s->v.id != id) {
		note_signer_release(s);
		error_msg("signer key: key id does not match the key");
		goto out;
	}
	ret = 0;
out:
	OPENSSL_cleanse(seed, sizeof(seed));
	free(name);
	return ret;
}

int
note_verifier_parse(struct note_verifier *v, const char *vkey)
{
	uint32_t id;

	memset(v, 0, sizeof(*v));
	if (parse_key("verifier key", vkey, &v->name, &v->id, v->pub, &v->alg) <
	    0)
		return -1;
	if (note_key_id_alg(v->name, v->alg, v->pub, &id) < 0 || id != v->id) {
		note_verifier_release(v);
		return error_msg("verifier key: key id does not match the key");
	}
	return 0;
}

static int
format_key(const struct note_verifier *v, const uint8_t key[32],
    const char *prefix, struct buf *out)
{
	uint8_t raw[33];
	int ret;

	raw[0] = v->alg == NOTE_ALG_COSIGNATURE ? v->alg : ALG_ED25519;
	memcpy(raw + 1, key, 32);
	ret = buf_addf(out, "%s%s+%08x+", prefix, v->name, (unsigned)v->id);
	if (ret == 0)
		ret = base64_encode(out, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	return ret;
}

int
note_signer_format(const struct note_signer *s, struct buf *out)
{
	return format_key(&s->v, s->seed, "PRIVATE+KEY+", out);
}

int
note_verifier_format(const struct note_verifier *v, struct buf *out)
{
	return format_key(v, v->pub, "", out);
}

void
note_verifier_release(struct note_verifier *v)
{
	free(v->name);
	memset(v, 0, sizeof(*v));
}

void
note_signer_release(struct note_signer *s)
{
	note_verifier_release(&s->v);
	OPENSSL_cleanse(s->seed, sizeof(s->seed));
}

int
note_sign(
    const char *text, size_t len, const struct note_signer *s, struct buf *out)
{
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t sig[4 + 64];
	size_t siglen = 64;
	int ret = -1;

	if (len == 0 || text[len - 1] != '\n' ||
	    !text_valid(text, len, true, false) ||
	    (len >= 2 && text[len - 2] == '\n')) {
		error_msg("note text must be UTF-8 lines ending in a newline");
		goto out;
	}
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, s->seed, 32);
	md = EVP_MD_CTX_new();
	if (pk == NULL || md == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, pk) != 1 ||
	    EVP_DigestSign(md, sig + 4, &siglen, (const uint8_t *)text, len) !=
	        1 ||
	    siglen != 64) {
		error_msg("cannot sign with key '%s'", s->v.name);
		goto out;
	}
	sig[0] = (uint8_t)(s->v.id >> 24);
	sig[1] = (uint8_t)(s->v.id >> 16);
	sig[2] = (uint8_t)(s->v.id >> 8);
	sig[3] = (uint8_t)s->v.id;
	if (buf_add(out, text, len) < 0 || buf_addch(out, '\n') < 0 ||
	    buf_adds(out, sig_prefix) < 0 || buf_adds(out, s->v.name) < 0 ||
	    buf_addch(out, ' ') < 0 ||
	    base64_encode(out, sig, sizeof(sig)) < 0 ||
	    buf_addch(out, '\n') < 0)
		goto out;
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ret;
}

bool
note_ed25519_verify(const uint8_t pub[32], const char *text, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	bool ok = false;

	if (siglen != 64)
		return false;
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	md = EVP_MD_CTX_new();
	if (pk != NULL && md != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		ok = EVP_DigestVerify(
		         md, sig, siglen, (const uint8_t *)text, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

int
note_split(const char *msg, size_t len, size_t *text_len)
{
	size_t i;

	if (!text_valid(msg, len, true, false))
		return error_msg("malformed note: not UTF-8 text");
	/* The text ends at the last blank line. */
	for (i = len; i >= 2; i--)
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n')
			break;
	if (i < 2 || i == len || msg[len - 1] != '\n')
		return error_msg("malformed note: no signature block");
	*text_len = i - 1;
	return 0;
}

int
note_open(const char *msg, size_t len, const struct note_verifier *known,
    size_t nknown, size_t *text_len, size_t *verified, size_t *unknown)
{
	struct buf raw = BUF_INIT(256);
	uint32_t seen[NOTE_MAX_SIGS];
	size_t tl, p, e, nsig = 0, nseen = 0, k, j, plen = strlen(sig_prefix);
	const char *line, *sp;
	uint32_t id;
	int ret = -1;

	*verified = *unknown = 0;
	if (note_split(msg, len, &tl) < 0)
		return -1;
	for (p = tl + 1; p < len; p = e + 1) {
		e = p;
		while (msg[e] != '\n')
			e++;
		line = msg + p;
		if (e - p < plen || memcmp(line, sig_prefix, plen) != 0) {
			error_msg("malformed note: bad signature line");
			goto out;
		}
		line += plen;
		sp = memchr(line, ' ', (size_t)(msg + e - line));
		buf_reset(&raw);
		if (sp == NULL || !note_name_valid(line, (size_t)(sp - line)) ||
		    base64_decode(&raw, sp + 1, (size_t)(msg + e - sp - 1)) <
		        0 ||
		    raw.len < 5) {
			error_msg("malformed note: bad signature line");
			goto out;
		}
		if (++nsig > NOTE_MAX_SIGS) {
			error_msg("malformed note: more than %d signatures",
			    NOTE_MAX_SIGS);
			goto out;
		}
		id = (uint32_t)(uint8_t)raw.data[0] << 24 |
		     (uint32_t)(uint8_t)raw.data[1] << 16 |
		     (uint32_t)(uint8_t)raw.data[2] << 8 | (uint8_t)raw.data[3];
		for (k = 0; k < nknown; k++)
			if (known[k].id == id &&
			    known[k].alg != NOTE_ALG_COSIGNATURE &&
			    strlen(known[k].name) == (size_t)(sp - line) &&
			    memcmp(known[k].name, line, (size_t)(sp - line)) ==
			        0)
				break;
		if (k == nknown) {
			(*unknown)++;
			continue;
		}
		for (j = 0; j < nseen; j++)
			if (seen[j] == (uint32_t)k)
				break;
		if (j < nseen)
			continue; /* repeated signature by one key */
		if (!note_ed25519_verify(known[k].pub, msg, tl,
		        (const uint8_t *)raw.data + 4, raw.len - 4)) {
			error_msg("invalid signature for key %s+%08x",
			    known[k].name, (unsigned)id);
			goto out;
		}
		seen[nseen++] = (uint32_t)k;
		(*verified)++;
	}
	if (*verified == 0) {
		error_msg("note has no valid signature from a known key");
		goto out;
	}
	*text_len = tl;
	ret = 0;
out:
	buf_release(&raw);
	return ret;
}
