#include "common/compat.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "durations.h"

/* Seconds (a JSON double) to integer microseconds, rounding half up. */
static int
seconds_to_us(double d, int64_t *us)
{
	if (!(d >= 0) || d > 1e9)
		return -1;
	/* llround without libm (see common/opt.c): d * 1e6 >= 0 here. */
	*us = (int64_t)(d * 1e6);
	if (d * 1e6 - (double)*us >= 0.5)
		(*us)++;
	return 0;
}

static int
emit_pytest(
    const char *id, const cJSON *v, const char *what, tcase_fn *fn, void *ctx)
{
	const char *first = strstr(id, "::");
	const char *last = NULL, *p;
	char *file, *klass;
	struct tcase tc;
	int ret;

	if (!cJSON_IsNumber(v) || seconds_to_us(v->valuedouble, &tc.us) < 0)
		return error_msg("'%s': duration of '%s' is not a number of "
		                 "seconds",
		    what, id);
	for (p = first; p; p = strstr(p + 2, "::"))
		last = p;
	file = xstrndup(id, first ? (size_t)(first - id) : strlen(id));
	tcase_normalize_path(file, NULL);
	klass = last ? xstrndup(id, (size_t)(last - id)) : xstrdup(file);
	tc.id = id;
	tc.file = file;
	tc.classname = klass;
	tc.name = last ? last + 2 : id;
	tc.flags = 0;
	ret = fn(&tc, ctx);
	free(file);
	free(klass);
	return ret;
}

int
durations_parse_pytest(
    const char *data, size_t len, const char *what, tcase_fn *fn, void *ctx)
{
	cJSON *root = NULL, *it;
	int ret = -1;

	if (json_parse(data, len, what, &root) < 0)
		return -1;
	if (cJSON_IsObject(root)) {
		cJSON_ArrayForEach(it, root)
		{
			if (emit_pytest(it->string, it, what, fn, ctx) < 0)
				goto out;
		}
	} else if (cJSON_IsArray(root)) {
		cJSON_ArrayForEach(it, root)
		{
			const cJSON *id = cJSON_GetArrayItem(it, 0);

			if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != 2 ||
			    !cJSON_IsString(id)) {
				error_msg(
				    "'%s': expected [id, seconds] pairs", what);
				goto out;
			}
			if (emit_pytest(id->valuestring,
			        cJSON_GetArrayItem(it, 1), what, fn, ctx) < 0)
				goto out;
		}
	} else {
		error_msg(
		    "'%s': expected a JSON object of test durations", what);
		goto out;
	}
	ret = 0;
out:
	cJSON_Delete(root);
	return ret;
}

static int
go_line(const char *line, size_t len, const char *what, tcase_fn *fn, void *ctx)
{
	cJSON *ev = NULL;
	const char *action, *pkg, *test;
	const cJSON *el;
	struct tcase tc;
	int ret = 0;

	if (len == 0 || line[0] != '{')
		return 0;
	if (json_parse(line, len, what, &ev) < 0)
		return 0; /* interleaved garbage: not an event */
	action = json_opt_str(ev, "Action");
	pkg = json_opt_str(ev, "Package");
	test = json_opt_str(ev, "Test");
	el = cJSON_GetObjectItemCaseSensitive(ev, "Elapsed");
	if (!action || !test || strchr(test, '/'))
		goto out;
	if (strcmp(action, "pass") && strcmp(action, "fail") &&
	    strcmp(action, "skip"))
		goto out;
	tc.id = NULL;
	tc.file = pkg;
	tc.classname = pkg;
	tc.name = test;
	tc.flags = !strcmp(action, "fail")   ? TC_FAILED
	           : !strcmp(action, "skip") ? TC_SKIPPED
	                                     : 0;
	tc.us = TC_UNKNOWN;
	if (cJSON_IsNumber(el) && seconds_to_us(el->valuedouble, &tc.us) < 0)
		tc.us = TC_UNKNOWN;
	ret = fn(&tc, ctx);
out:
	cJSON_Delete(ev);
	return ret;
}

int
durations_parse_gojson(
    const char *data, size_t len, const char *what, tcase_fn *fn, void *ctx)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (data + off)) : len - off;

		if (l > ((size_t)1 << 20))
			return error_msg("'%s': line longer than 1 MiB", what);
		while (l && data[off + l - 1] == '\r')
			l--;
		if (go_line(data + off, l, what, fn, ctx) < 0)
			return -1;
		off += (nl ? (size_t)(nl - (data + off)) + 1 : l);
		if (!nl)
			break;
	}
	return 0;
}
