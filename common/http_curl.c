#include "common/compat.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "common/http_curl.h"
#include "common/log.h"

static struct curl_api api;
static int api_state; /* 0 untried, 1 loaded, -1 failed */

#ifdef BULWARK_STATIC_CURL
static int
api_load(void)
{
	api.easy_init = curl_easy_init;
	api.easy_setopt = curl_easy_setopt;
	api.easy_perform = curl_easy_perform;
	api.easy_getinfo = curl_easy_getinfo;
	api.easy_cleanup = curl_easy_cleanup;
	api.easy_strerror = curl_easy_strerror;
	api.slist_append = curl_slist_append;
	api.slist_free_all = curl_slist_free_all;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_msg("cannot initialise libcurl");
	return 0;
}
#else
/* dlsym returns void *; converting it through memcpy keeps -Wpedantic
 * quiet about object-to-function pointer casts. */
static int
sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL)
		return error_msg("cannot load 'libcurl.so.4': symbol '%s' "
		                 "missing",
		    name);
	memcpy(slot, &p, size);
	return 0;
}

#define SYM(field, name) sym(lib, name, &api.field, sizeof(api.field))

static int
api_load(void)
{
	CURLcode (*global_init)(long) = NULL;
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		return error_msg("cannot load 'libcurl.so.4' (install libcurl4 "
		                 "for network access): %s",
		    dlerror());
	if (SYM(easy_init, "curl_easy_init") < 0 ||
	    SYM(easy_setopt, "curl_easy_setopt") < 0 ||
	    SYM(easy_perform, "curl_easy_perform") < 0 ||
	    SYM(easy_getinfo, "curl_easy_getinfo") < 0 ||
	    SYM(easy_cleanup, "curl_easy_cleanup") < 0 ||
	    SYM(easy_strerror, "curl_easy_strerror") < 0 ||
	    SYM(slist_append, "curl_slist_append") < 0 ||
	    SYM(slist_free_all, "curl_slist_free_all") < 0 ||
	    sym(lib, "curl_global_init", &global_init, sizeof(global_init)) < 0)
		return -1; /* the library stays loaded: harmless */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_msg("cannot initialise libcurl");
	return 0;
}
#endif

const struct curl_api *
curl_api_get(void)
{
	if (api_state == 0)
		api_state = api_load() == 0 ? 1 : -1;
	else if (api_state < 0)
		error_msg("libcurl is not available");
	return api_state > 0 ? &api : NULL;
}
