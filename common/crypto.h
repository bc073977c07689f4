#ifndef BULWARK_CRYPTO_H
#define BULWARK_CRYPTO_H
/*
 * The one way into OpenSSL: include this instead of <openssl/...>.
 *
 * Mapping libcrypto.so.3 costs about a millisecond per process, twice a
 * whole `--version` of ours, and most invocations (help, plans, reports)
 * never hash or sign. So in dynamic builds every call named in
 * common/crypto_syms.h goes through a pointer that is resolved from a
 * dlopen()ed libcrypto on first use (common/crypto_lazy.c), and the
 * tools carry no DT_NEEDED entry for it. Static builds call directly.
 *
 * If libcrypto cannot be loaded when first needed, the process prints
 * one line and exits 125: like running out of memory, it is a broken
 * installation no caller can recover from.
 */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ct.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#if !defined(BULWARK_STATIC_CRYPTO) && !defined(BULWARK_CRYPTO_NO_REDIRECT)
/* SHA256_* are deprecated in 3.0 but used on purpose (verify_scan.c). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define BW_CRYPTO(name) __typeof__(name) *bw_crypto_get_##name(void);
#include "common/crypto_syms.h"
#undef BW_CRYPTO
#pragma GCC diagnostic pop

/* `#define NAME (*bw_crypto_get_NAME())` for each name, made by CMake
 * from crypto_syms.h so the list is written once. */
#include "common/crypto_redirect.h"
#endif

#endif
