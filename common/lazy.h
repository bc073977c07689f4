#ifndef BULWARK_LAZY_H
#define BULWARK_LAZY_H
/*
 * Shared libraries loaded on first use (common/crypto.h, common/json.h):
 * a getter per function, made by LAZY_GETTER from an X-macro list, returns
 * a pointer resolved once from the dlopen()ed library.
 *
 * lazy_sym dies with one line and exit 125 when the library or symbol is
 * missing: a caller holding a function pointer cannot fail, and a missing
 * system library is a broken install, like running out of memory.
 */
#include <string.h>

struct lazy_lib {
	const char *soname;  /* "libcrypto.so.3" */
	const char *package; /* what to install, for the error line */
	void *handle;        /* owned; set once, never closed */
};

void *lazy_sym(struct lazy_lib *lib, const char *name);
/* The same, for callers that can fail (a YAML file is only a config
 * error): NULL after the one-line message instead of exiting. */
void *lazy_sym_try(struct lazy_lib *lib, const char *name);
/* lazy_sym_try into a function pointer (slot, size: &fp, sizeof(fp));
 * memcpy keeps -Wpedantic quiet about object-to-function casts. -1 with
 * the message if missing. */
int lazy_sym_into(
    struct lazy_lib *lib, const char *name, void *slot, size_t size);

/* A racing first call resolves twice and stores the same value: fine. */
#define LAZY_GETTER(lib, prefix, name)                                         \
	__typeof__(name) *prefix##name(void);                                  \
	__typeof__(name) *prefix##name(void)                                   \
	{                                                                      \
		static __typeof__(name) *fn;                                   \
		__typeof__(name) *f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);  \
		if (f == NULL) {                                               \
			void *p = lazy_sym(&(lib), #name);                     \
			memcpy(&f, &p, sizeof(f));                             \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE);            \
		}                                                              \
		return f;                                                      \
	}

#endif
