#ifndef BULWARK_HTTP_CURL_H
#define BULWARK_HTTP_CURL_H

/* The pre-7.85 protocol bitmask is our fallback for older libcurl. */
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>

#include "common/compat.h"

/*
 * Private to http.c: the few libcurl entry points it uses. In dynamic
 * builds they come from dlopen("libcurl.so.4") on first use, so tools that
 * never touch the network do not pay libcurl's ~15 ms of library loading;
 * with BULWARK_STATIC_CURL they are the linked functions.
 */
struct curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/* The loaded table (curl_global_init done), or NULL after error_msg. */
const struct curl_api *curl_api_get(void);

#endif
