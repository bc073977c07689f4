#include "common/compat.h"

#ifndef BULWARK_STATIC_CJSON

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

/* The real declarations, without json.h's redirection. */
#define BULWARK_CJSON_NO_REDIRECT 1
#include "common/json.h"

#include "common/exitcode.h"
#include "common/log.h"

void *cjson_lazy_sym(const char *name);

static void *lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void
lib_open(void)
{
	lib = dlopen("libcjson.so.1", RTLD_NOW | RTLD_LOCAL);
}

/* die, as in crypto_lazy.c: a caller holding a function pointer cannot
 * fail, and a missing libcjson is a broken install. */
void *
cjson_lazy_sym(const char *name)
{
	void *p;

	pthread_once(&lib_once, lib_open);
	if (lib == NULL)
		die(RC_WRAPPER,
		    "cannot load 'libcjson.so.1' (install libcjson1): %s",
		    dlerror());
	p = dlsym(lib, name);
	if (p == NULL)
		die(RC_WRAPPER, "cannot load %s from 'libcjson.so.1': %s", name,
		    dlerror());
	return p;
}

/* A racing first call resolves twice and stores the same value: fine. */
#define BW_LAZY(name)                                                          \
	__typeof__(name) *bw_cjson_get_##name(void);                           \
	__typeof__(name) *bw_cjson_get_##name(void)                            \
	{                                                                      \
		static __typeof__(name) *fn;                                   \
		__typeof__(name) *f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);  \
		if (f == NULL) {                                               \
			void *p = cjson_lazy_sym(#name);                       \
			memcpy(&f, &p, sizeof(f));                             \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);            \
		}                                                              \
		return f;                                                      \
	}
#include "common/cjson_syms.h"
#undef BW_LAZY
#endif
