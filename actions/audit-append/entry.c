#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "entry.h"
#include "log_store.h"

/* Sorted by key, the canonical order entry_write relies on. */
const struct entry_context_var entry_context_vars[ENTRY_CONTEXT_NVARS] = {
	{ "actor", "GITHUB_ACTOR" },
	{ "event_name", "GITHUB_EVENT_NAME" },
	{ "job", "GITHUB_JOB" },
	{ "ref", "GITHUB_REF" },
	{ "repository", "GITHUB_REPOSITORY" },
	{ "run_attempt", "GITHUB_RUN_ATTEMPT" },
	{ "run_id", "GITHUB_RUN_ID" },
	{ "runner", "RUNNER_NAME" },
	{ "runner_os", "RUNNER_OS" },
	{ "server_url", "GITHUB_SERVER_URL" },
	{ "sha", "GITHUB_SHA" },
	{ "triggering_actor", "GITHUB_TRIGGERING_ACTOR" },
	{ "workflow_ref", "GITHUB_WORKFLOW_REF" },
};

int
entry_event_valid(const char *event)
{
	const char *p;

	if (*event == 0 || strlen(event) > 64)
		return 0;
	for (p = event; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		        *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/*
 * Civil UTC date of a Unix time (H. Hinnant's days_from_civil inverse).
 * Not gmtime_r or strftime: glibc's call tzset, which reads /etc/localtime
 * on every append.
 */
void
entry_now(char out[32])
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		ts.tv_sec = 0;
	entry_format_time((int64_t)ts.tv_sec, out);
}

/* n decimal digits of v (0 <= v < 10^n), zero-padded. */
static void
put_digits(char *out, int n, int64_t v)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
entry_format_time(int64_t t, char out[32])
{
	int64_t days, z, era, y;
	int64_t doe, yoe, doy, mp, d, m, sec;

	days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	sec = t - days * 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	/* Digits by hand: printf's machinery is a few page faults and
	 * thousands of instructions on the path of every append. */
	put_digits(out, 4, y % 10000);
	out[4] = '-';
	put_digits(out + 5, 2, m % 100);
	out[7] = '-';
	put_digits(out + 8, 2, d % 100);
	out[10] = 'T';
	put_digits(out + 11, 2, sec / 3600 % 100);
	out[13] = ':';
	put_digits(out + 14, 2, sec / 60 % 60);
	out[16] = ':';
	put_digits(out + 17, 2, sec % 60);
	out[19] = 'Z';
	out[20] = 0;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 (Howard Hinnant's civil algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
entry_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh, om;
	const char *p;
	int64_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
	    s[16] != ':' || digits(s, 4, &y) < 0 || digits(s + 5, 2, &mo) < 0 ||
	    digits(s + 8, 2, &d) < 0 || digits(s + 11, 2, &h) < 0 ||
	    digits(s + 14, 2, &mi) < 0 || digits(s + 17, 2, &sec) < 0 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && p[1] == 0) {
		*out = t;
		return 0;
	}
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
	    digits(p + 1, 2, &oh) == 0 && digits(p + 4, 2, &om) == 0) {
		*out = t - (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		return 0;
	}
	return -1;
}

static int
add_context(cJSON *obj)
{
	cJSON *gh = NULL;
	const char *v;
	size_t i;

	for (i = 0; i < ENTRY_CONTEXT_NVARS; i++) {
		v = getenv(entry_context_vars[i].env);
		if (v == NULL || *v == 0)
			continue;
		if (gh == NULL) {
			gh = cJSON_AddObjectToObject(obj, "github");
			if (gh == NULL)
				return error_msg("out of memory");
		}
		if (cJSON_AddStringToObject(gh, entry_context_vars[i].key, v) ==
		    NULL)
			return error_msg("out of memory");
	}
	return 0;
}

int
entry_complete(cJSON *obj, const struct entry_opts *o)
{
	char now[32];
	const cJSON *ev;
	int64_t t;

	if (!cJSON_IsObject(obj))
		return error_msg("an entry must be a JSON object");
	ev = cJSON_GetObjectItemCaseSensitive(obj, "event");
	if (ev == NULL) {
		if (o->event == NULL)
			return error_msg("entry has no 'event' and no --event "
			                 "was given");
		if (cJSON_AddStringToObject(obj, "event", o->event) == NULL)
			return error_msg("out of memory");
	} else if (!cJSON_IsString(ev) || !entry_event_valid(ev->valuestring))
		return error_msg("'event' must be 1-64 characters of a-z, 0-9, "
		                 "'-', '_' or '.'");
	ev = cJSON_GetObjectItemCaseSensitive(obj, "time");
	if (ev == NULL) {
		if (o->time == NULL)
			entry_now(now);
		if (cJSON_AddStringToObject(
		        obj, "time", o->time ? o->time : now) == NULL)
			return error_msg("out of memory");
	} else if (!cJSON_IsString(ev) ||
	           entry_parse_time(ev->valuestring, &t) < 0)
		return error_msg("'time' must be an RFC 3339 timestamp");
	if (!o->no_context &&
	    cJSON_GetObjectItemCaseSensitive(obj, "github") == NULL &&
	    add_context(obj) < 0)
		return -1;
	return 0;
}

int
entry_check_opts(const struct entry_opts *o, bool need_event)
{
	int64_t t;

	if ((need_event || o->event != NULL) &&
	    (o->event == NULL || !entry_event_valid(o->event)))
		return error_msg("invalid event type '%s': use 1-64 "
		                 "characters of a-z, 0-9, '-', '_' or '.'",
		    o->event ? o->event : "");
	if (o->time != NULL && entry_parse_time(o->time, &t) < 0)
		return error_msg("invalid time '%s': expected RFC 3339 such "
		                 "as 2026-01-02T03:04:05Z",
		    o->time);
	return 0;
}

int
entry_build(const struct entry_opts *o, cJSON **out)
{
	cJSON *obj = cJSON_CreateObject(), *fields = NULL, *data = NULL;
	const char *eq;
	char *key = NULL;
	size_t i;
	int ret = -1;

	if (obj == NULL)
		return error_msg("out of memory");
	if (entry_check_opts(o, true) < 0)
		goto out;
	for (i = 0; o->fields != NULL && i < o->fields->nr; i++) {
		eq = strchr(o->fields->items[i], '=');
		if (eq == NULL || eq == o->fields->items[i]) {
			error_msg("invalid field '%s': expected KEY=VALUE",
			    o->fields->items[i]);
			goto out;
		}
		if (fields == NULL)
			fields = cJSON_AddObjectToObject(obj, "fields");
		free(key);
		key = xstrndup(
		    o->fields->items[i], (size_t)(eq - o->fields->items[i]));
		if (cJSON_GetObjectItemCaseSensitive(fields, key) != NULL) {
			error_msg("field '%s' given twice", key);
			goto out;
		}
		cJSON_AddStringToObject(fields, key, eq + 1);
	}
	if (o->data != NULL) {
		if (json_parse(o->data, strlen(o->data), "--data", &data) < 0)
			goto out;
		cJSON_AddItemToObject(obj, "data", data);
	}
	if (entry_complete(obj, o) < 0)
		goto out;
	*out = obj;
	obj = NULL;
	ret = 0;
out:
	free(key);
	cJSON_Delete(obj);
	return ret;
}

int
entry_encode(const cJSON *obj, struct buf *out)
{
	size_t old = out->len, n;

	if (json_canonical(obj, out) < 0)
		return error_msg("entry cannot be written as canonical JSON");
	n = out->len - old;
	if (n > LOG_ENTRY_MAX) {
		buf_truncate(out, old);
		return error_msg("entry is too large: %zu bytes (the limit is "
		                 "%zu)",
		    n, LOG_ENTRY_MAX);
	}
	return 0;
}
