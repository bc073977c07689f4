#include "common/compat.h"

#include <dlfcn.h>
#include <pthread.h>

#include "common/exitcode.h"
#include "common/lazy.h"
#include "common/log.h"

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

void *
lazy_sym(struct lazy_lib *lib, const char *name)
{
	void *h, *p;

	(void)pthread_mutex_lock(&lazy_lock);
	if (lib->handle == NULL)
		lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	h = lib->handle;
	(void)pthread_mutex_unlock(&lazy_lock);
	if (h == NULL)
		die(RC_WRAPPER, "cannot load '%s' (install %s): %s",
		    lib->soname, lib->package, dlerror());
	p = dlsym(h, name);
	if (p == NULL)
		die(RC_WRAPPER, "cannot load %s from '%s': %s", name,
		    lib->soname, dlerror());
	return p;
}
