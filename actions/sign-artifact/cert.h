#ifndef SIGN_CERT_H
#define SIGN_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "keys.h"
#include "trust.h"

/*
 * Fulcio leaf certificates: chain to the trusted root at a given time, the
 * identity (SAN URI or email) and the OIDC issuer extension
 * (1.3.6.1.4.1.57264.1.8 UTF8String, else the deprecated .1.1 raw value).
 */
struct cert_info {
	char *san;    /* first URI or email SAN */
	char *issuer; /* OIDC issuer */
	struct sign_key key;
};

void cert_info_release(struct cert_info *ci);

/*
 * Parses the leaf, fills ci, checks the chain valid at `when` and the
 * embedded SCTs against the root's ctlogs (sct.h).
 */
int cert_verify(const void *der, size_t len, const struct trust_root *t,
    int64_t when, struct cert_info *ci);

#endif
