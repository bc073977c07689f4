#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "entry.h"
#include "log_store.h"

/*
 * The canonical bytes of a single `append` written directly, without a
 * cJSON tree: a plain --event/--field append never maps libcjson. The
 * output must equal entry_build + entry_encode byte for byte (and fail on
 * the same inputs with the same messages); test_entry_write compares them.
 */

extern char **environ;

/* "key":"value", after a comma unless first. */
static int
put_member(struct buf *out, bool first, const char *key, const char *val)
{
	if (!first && buf_addch(out, ',') < 0)
		return -1;
	/* buf_add* only fail on a size overflow: a failure here is bad
	 * UTF-8, which entry_write reports as entry_encode does. */
	if (json_canon_string(key, out) < 0)
		return -2;
	if (buf_addch(out, ':') < 0)
		return -1;
	return json_canon_string(val, out) < 0 ? -2 : 0;
}

struct field {
	char *key;       /* owned copy of the part before '=' */
	const char *val; /* after the '=' in the caller's string */
};

static int
cmp_field(const void *a, const void *b)
{
	return json_key_cmp(
	    ((const struct field *)a)->key, ((const struct field *)b)->key);
}

/* Splits and checks --field k=v, sorted by key; *out has f->nr items. */
static int
parse_fields(const struct strlist *f, struct field **out)
{
	struct field *v = xcalloc(f->nr ? f->nr : 1, sizeof(*v));
	const char *eq;
	size_t i, j;

	*out = v;
	for (i = 0; i < f->nr; i++) {
		eq = strchr(f->items[i], '=');
		if (eq == NULL || eq == f->items[i])
			return error_msg("invalid field '%s': expected "
			                 "KEY=VALUE",
			    f->items[i]);
		v[i].key = xstrndup(f->items[i], (size_t)(eq - f->items[i]));
		v[i].val = eq + 1;
		for (j = 0; j < i; j++)
			if (strcmp(v[j].key, v[i].key) == 0)
				return error_msg(
				    "field '%s' given twice", v[i].key);
	}
	if (f->nr > 1)
		qsort(v, f->nr, sizeof(*v), cmp_field);
	return 0;
}

static int
put_fields(struct buf *out, const struct field *v, size_t n)
{
	size_t i;
	int rc;

	if (buf_adds(out, ",\"fields\":{") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((rc = put_member(out, i == 0, v[i].key, v[i].val)) < 0)
			return rc;
	return buf_addch(out, '}');
}

/* One pass over environ; the first definition wins, as with getenv. */
static int
put_context(struct buf *out)
{
	const char *val[ENTRY_CONTEXT_NVARS] = { 0 }, *eq;
	size_t len[ENTRY_CONTEXT_NVARS];
	char **ep;
	size_t i, n;
	bool any = false;
	int rc;

	/* A runner has dozens of GITHUB_* and RUNNER_* variables: each name
	 * is measured once and compared only with names of its length. */
	for (i = 0; i < ENTRY_CONTEXT_NVARS; i++)
		len[i] = strlen(entry_context_vars[i].env);
	for (ep = environ; ep != NULL && *ep != NULL; ep++) {
		if ((*ep)[0] != 'G' && (*ep)[0] != 'R')
			continue;
		if ((eq = strchr(*ep, '=')) == NULL)
			continue;
		n = (size_t)(eq - *ep);
		for (i = 0; i < ENTRY_CONTEXT_NVARS; i++)
			if (val[i] == NULL && len[i] == n &&
			    memcmp(*ep, entry_context_vars[i].env, n) == 0)
				val[i] = eq + 1;
	}
	for (i = 0; i < ENTRY_CONTEXT_NVARS; i++) {
		if (val[i] == NULL || *val[i] == 0)
			continue;
		if (!any && buf_adds(out, ",\"github\":{") < 0)
			return -1;
		if ((rc = put_member(
		         out, !any, entry_context_vars[i].key, val[i])) < 0)
			return rc;
		any = true;
	}
	return any ? buf_addch(out, '}') : 0;
}

/* Parses --data (only this maps libcjson) and writes "data":X. X is
 * canonicalised inside {"data":X} so the nesting limit counts as it does
 * for the whole entry. */
static int
put_data(struct buf *out, const char *data)
{
	struct buf tmp = BUF_INIT(0);
	cJSON *wrap = NULL, *v = NULL;
	int rc = -1;

	if (json_parse(data, strlen(data), "--data", &v) < 0)
		goto out;
	wrap = cJSON_CreateObject();
	if (wrap == NULL) {
		cJSON_Delete(v);
		error_msg("out of memory");
		goto out;
	}
	cJSON_AddItemToObject(wrap, "data", v);
	if (json_canonical(wrap, &tmp) < 0) {
		rc = -2;
		goto out;
	}
	rc = buf_add(out, tmp.data + 1, tmp.len - 2); /* "data":X */
out:
	cJSON_Delete(wrap);
	buf_release(&tmp);
	return rc;
}

/* Members in canonical order: data, event, fields, github, time. */
static int
put_entry(const struct entry_opts *o, const struct field *f, size_t nf,
    struct buf *out)
{
	char now[32];
	int rc;

	if (buf_addch(out, '{') < 0)
		return -1;
	if (o->data != NULL && ((rc = put_data(out, o->data)) < 0 ||
	                           (rc = buf_addch(out, ',')) < 0))
		return rc;
	if ((rc = put_member(out, true, "event", o->event)) < 0)
		return rc;
	if (nf > 0 && (rc = put_fields(out, f, nf)) < 0)
		return rc;
	if (!o->no_context && (rc = put_context(out)) < 0)
		return rc;
	if (o->time == NULL)
		entry_now(now);
	if ((rc = put_member(out, false, "time", o->time ? o->time : now)) < 0)
		return rc;
	return buf_addch(out, '}');
}

int
entry_write(const struct entry_opts *o, struct buf *out)
{
	struct field *f = NULL;
	size_t old = out->len, nf = o->fields ? o->fields->nr : 0, i, n;
	int rc = -1;

	if (entry_check_opts(o, true) < 0)
		goto out;
	if (nf > 0 && parse_fields(o->fields, &f) < 0)
		goto out;
	if ((rc = put_entry(o, f, nf, out)) < 0) {
		/* As entry_encode: canonicalisation failures say so. */
		if (rc == -2)
			error_msg("entry cannot be written as canonical JSON");
		rc = -1;
		goto out;
	}
	n = out->len - old;
	if (n > LOG_ENTRY_MAX) {
		error_msg("entry is too large: %zu bytes (the limit is %zu)", n,
		    LOG_ENTRY_MAX);
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		buf_truncate(out, old);
	for (i = 0; f != NULL && i < nf; i++)
		free(f[i].key);
	free(f);
	return rc;
}
