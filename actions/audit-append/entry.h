#ifndef AUDIT_ENTRY_H
#define AUDIT_ENTRY_H

#include <stdint.h>

#include "common/json.h"

#include "common/buf.h"
#include "common/strlist.h"

/*
 * Log entries: one canonical JSON object each (RFC 8785 subset through
 * json_canonical: strings, booleans, null, integers within 2^53), stored as
 * the exact bytes that are hashed. Shape:
 *
 *   {"event":"deploy","time":"2026-01-02T03:04:05Z",
 *    "github":{"repository":...,"sha":...,...},   (from the environment)
 *    "fields":{"env":"prod"},                       (--field k=v)
 *    "data":<any JSON>}                             (--data)
 *
 * entry_build creates such an object; entry_complete fills event, time and
 * github into a caller-supplied object (batch lines) where they are missing.
 * entry_encode canonicalises and enforces LOG_ENTRY_MAX.
 *
 * entry_write appends the same bytes as entry_build + entry_encode (and
 * fails on the same inputs with the same messages) without a cJSON tree:
 * a single `append` loads libcjson only to parse --data. Nothing is
 * appended to out on error.
 */
struct entry_opts {
	const char *event;            /* NULL: batch lines must carry "event" */
	const char *time;             /* RFC 3339 UTC override, NULL: now */
	const struct strlist *fields; /* "k=v" */
	const char *data;             /* JSON text, NULL for none */
	bool no_context;              /* leave out the GitHub context */
};

/* The GitHub context recorded with every entry: key <- variable. */
#define ENTRY_CONTEXT_NVARS 13
struct entry_context_var {
	const char *key, *env;
};
extern const struct entry_context_var entry_context_vars[ENTRY_CONTEXT_NVARS];

int entry_event_valid(const char *event);
/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void entry_now(char out[32]);
/* t (Unix seconds, years 0..9999) as "YYYY-MM-DDTHH:MM:SSZ". */
void entry_format_time(int64_t t, char out[32]);
/* Parses "YYYY-MM-DDTHH:MM:SSZ" (also with fractional seconds or a
 * numeric offset) into Unix seconds; -1 if malformed (no message). */
int entry_parse_time(const char *s, int64_t *out);

/* Checks o->event (required when need_event; batch lines may carry their
 * own) and o->time; -1 with the message naming the bad value. */
int entry_check_opts(const struct entry_opts *o, bool need_event);
int entry_build(const struct entry_opts *o, cJSON **out);
int entry_complete(cJSON *obj, const struct entry_opts *o);
int entry_encode(const cJSON *obj, struct buf *out);
int entry_write(const struct entry_opts *o, struct buf *out);

#endif
