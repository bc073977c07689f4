#include "common/compat.h"

#ifndef BULWARK_STATIC_CRYPTO
/* The real declarations, without crypto.h's redirection. */
#define BULWARK_CRYPTO_NO_REDIRECT 1
#include "common/crypto.h"
#include "common/lazy.h"

static struct lazy_lib crypto_lib = { "libcrypto.so.3", "libssl3", NULL };

/* SHA256_* are deprecated in 3.0 but used on purpose (verify_scan.c). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define BW_CRYPTO(name) LAZY_GETTER(crypto_lib, bw_crypto_get_, name)
#include "common/crypto_syms.h"
#undef BW_CRYPTO
#pragma GCC diagnostic pop
#endif
