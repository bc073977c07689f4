#include "common/compat.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/lazy.h"
#include "common/log.h"

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

void *
lazy_sym_try(struct lazy_lib *lib, const char *name)
{
	void *h, *p;

	(void)pthread_mutex_lock(&lazy_lock);
	if (lib->handle == NULL)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	h = lib->handle;
	(void)pthread_mutex_unlock(&lazy_lock);
	if (h == NULL) {
		error_msg("cannot load '%s' (install %s): %s", lib->soname,
		    lib->package, dlerror());
		return NULL;
	}
	p = dlsym(h, name);
	if (p == NULL)
		error_msg("cannot load %s from '%s': %s", name, lib->soname,
		    dlerror());
	return p;
}

int
lazy_sym_into(struct lazy_lib *lib, const char *name, void *slot, size_t size)
{
	void *p = lazy_sym_try(lib, name);

	if (p == NULL)
		return -1;
	memcpy(slot, &p, size);
	return 0;
}

void *
lazy_sym(struct lazy_lib *lib, const char *name)
{
	void *p = lazy_sym_try(lib, name);

	if (p == NULL)
		exit(RC_WRAPPER); /* the message is out */
	return p;
}
