#ifndef SIGN_SCT_H
#define SIGN_SCT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"
#include "trust.h"

/*
 * Signed certificate timestamps embedded in a Fulcio leaf (RFC 6962 §3.3,
 * X.509 extension 1.3.6.1.4.1.11129.2.4.2), checked as sigstore-js does:
 * every SCT must verify, over the RFC 6962 §3.2 precert signed data (the
 * leaf's TBS with the SCT extension removed, the issuer key hash), against
 * a ctlog of the trusted root with its log id and valid at its timestamp;
 * at least one is required, and no two from one log.
 *
 * struct sct borrows from the list it was parsed from.
 */
#define SCT_MAX 8
#define SCT_EXT_OID "1.3.6.1.4.1.11129.2.4.2"

struct sct {
	uint8_t log_id[32];
	uint64_t timestamp; /* milliseconds since the epoch */
	const uint8_t *ext;
	size_t ext_len;
	uint8_t hash_alg, sig_alg; /* TLS HashAlgorithm, SignatureAlgorithm */
	const uint8_t *sig;
	size_t sig_len;
};

/* A TLS SignedCertificateTimestampList (v1 SCTs only). 0 / -1. */
int sct_list_parse(
    const uint8_t *p, size_t len, struct sct *out, size_t max, size_t *nr);

/*
 * The RFC 6962 §3.2 digitally-signed data of a precert SCT; appends to out.
 * tbs: the DER TBSCertificate without the SCT extension.
 */
int sct_signed_data(const struct sct *s, const uint8_t issuer_key_hash[32],
    const uint8_t *tbs, size_t tbs_len, struct buf *out);

/* leaf, issuer: X509 *, borrowed. 0 when the SCTs satisfy the root. */
int sct_verify(void *leaf, void *issuer, const struct trust_root *t);

#endif
