#include "common/compat.h"

#include <stdio.h>
#include <string.h>

#include "common/http_curl.h"
#include "common/lazy.h"
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
static struct lazy_lib libcurl = { "libcurl.so.4",
	"libcurl4 for network access", NULL };

#define SYM(field, name)                                                       \
	lazy_sym_into(&libcurl, name, &api.field, sizeof(api.field))

static int
api_load(void)
{
	CURLcode (*global_init)(long) = NULL;

	if (SYM(easy_init, "curl_easy_init") < 0 ||
	    SYM(easy_setopt, "curl_easy_setopt") < 0 ||
	    SYM(easy_perform, "curl_easy_perform") < 0 ||
	    SYM(easy_getinfo, "curl_easy_getinfo") < 0 ||
	    SYM(easy_cleanup, "curl_easy_cleanup") < 0 ||
	    SYM(easy_strerror, "curl_easy_strerror") < 0 ||
	    SYM(slist_append, "curl_slist_append") < 0 ||
	    SYM(slist_free_all, "curl_slist_free_all") < 0 ||
	    lazy_sym_into(&libcurl, "curl_global_init", &global_init,
	        sizeof(global_init)) < 0)
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
