#ifndef BULWARK_JSON_H
#define BULWARK_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/*
 * The one way into cJSON: include this, never <cjson/cJSON.h>. As with
 * libcrypto (common/crypto.h), dynamic builds resolve every function in
 * common/cjson_syms.h from a dlopen()ed libcjson.so.1 on first use
 * (common/json_lazy.c), so a tool that prints its help or appends one
 * audit entry does not map the library at exec.
 */
#if !defined(BULWARK_STATIC_CJSON) && !defined(BULWARK_CJSON_NO_REDIRECT)
#define BW_LAZY(name) __typeof__(name) *bw_cjson_get_##name(void);
#include "common/cjson_syms.h"
#undef BW_LAZY
#include "common/cjson_redirect.h"
#endif

#include "common/buf.h"
#include "common/compat.h"

/*
 * Thin helpers over cJSON. Callers hold cJSON trees (and cJSON_Delete them)
 * but never parse raw bytes themselves, so every parse has a size cap,
 * a depth cap and one clear error line.
 *
 * json_parse: the text must be one JSON value and nothing but whitespace
 * after it; errors name `what` (a file name or "API response") and the
 * byte offset. Depth is capped at JSON_MAX_DEPTH.
 */
#define JSON_MAX_DEPTH 64

int json_parse(const char *data, size_t len, const char *what, cJSON **out);
int json_load_file(const char *path, size_t max, cJSON **out);

/*
 * Typed getters: -1 with "'key': expected a string" style messages when the
 * member is missing or of another type. json_get_int accepts only numbers
 * that are integers within +-2^53.
 */
int json_get_str(const cJSON *obj, const char *key, const char **out);
int json_get_int(const cJSON *obj, const char *key, int64_t *out);
int json_get_bool(const cJSON *obj, const char *key, bool *out);
int json_get_double(const cJSON *obj, const char *key, double *out);
/* NULL if absent or not a string; no message. */
const char *json_opt_str(const cJSON *obj, const char *key);

/* Compact JSON; caller frees. Dies on OOM. */
char *json_print(const cJSON *v);

/*
 * Canonical JSON (RFC 8785 JCS restricted to what we emit): no
 * whitespace, object members sorted by UTF-16 code units, strings with
 * the minimal JCS escapes, numbers only as integers within +-2^53 (a
 * non-integer number, or a duplicate key, is an error). Appends to out.
 */
int json_canonical(const cJSON *v, struct buf *out);

/* The same string form on its own: appends s quoted with the minimal JCS
 * escapes; -1 with a message if s is not UTF-8. No cJSON involved, so a
 * caller that writes JSON directly never loads libcjson. */
int json_canon_string(const char *s, struct buf *out);

/* JCS member order: by UTF-16 code units (byte order if malformed). */
int json_key_cmp(const char *a, const char *b);

#endif
