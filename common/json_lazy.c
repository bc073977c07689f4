#include "common/compat.h"

#ifndef BULWARK_STATIC_CJSON
/* The real declarations, without json.h's redirection. */
#define BULWARK_CJSON_NO_REDIRECT 1
#include "common/json.h"
#include "common/lazy.h"

static struct lazy_lib cjson_lib = { "libcjson.so.1", "libcjson1", NULL };

#define BW_LAZY(name) LAZY_GETTER(cjson_lib, bw_cjson_get_, name)
#include "common/cjson_syms.h"
#undef BW_LAZY
#endif
