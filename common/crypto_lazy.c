#include "common/compat.h"

#ifndef BULWARK_STATIC_CRYPTO

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The real declarations, without crypto.h's redirection. */
#define BULWARK_CRYPTO_NO_REDIRECT 1
#include "common/crypto.h"

#include "common/exitcode.h"
#include "common/log.h"

void *crypto_lazy_sym(const char *name);

static void *lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_open(void)
{
	lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
}

/* die, not error_msg + return -1: a caller holding a function pointer
 * has no way to fail, and a missing libcrypto is a broken install. */
static void
die_missing(const char *what, const char *why)
{
	die(RC_WRAPPER,
	    "cannot load %s from 'libcrypto.so.3' (install libssl3): %s", what,
	    why != NULL ? why : "unknown reason");
}

void *
crypto_lazy_sym(const char *name)
{
	void *p;

	pthread_once(&lib_once, lib_open);
	if (lib == NULL)
		die_missing("the library", dlerror());
	p = dlsym(lib, name);
	if (p == NULL)
		die_missing(name, dlerror());
	return p;
}

/* A racing first call resolves twice and stores the same value: fine. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define BW_CRYPTO(name)                                                        \
	__typeof__(name) *bw_crypto_get_##name(void);                          \
	__typeof__(name) *bw_crypto_get_##name(void)                           \
	{                                                                      \
		static __typeof__(name) *fn;                                   \
		__typeof__(name) *f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);  \
		if (f == NULL) {                                               \
			void *p = crypto_lazy_sym(#name);                      \
			memcpy(&f, &p, sizeof(f));                             \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);            \
		}                                                              \
		return f;                                                      \
	}
#include "common/crypto_syms.h"
#undef BW_CRYPTO
#pragma GCC diagnostic pop
#endif
