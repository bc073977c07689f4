#include "common/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/config_int.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"

/* Node accessors for callbacks. */
enum config_node_kind
config_node_kind(const struct config_node *n)
{
	return n->kind;
}

const char *
config_node_scalar(const struct config_node *n)
{
	return n->kind == CONFIG_SCALAR ? n->scalar : NULL;
}

size_t
config_node_len(const struct config_node *n)
{
	if (n->kind == CONFIG_MAPPING)
		return n->n / 2;
	return n->kind == CONFIG_SEQUENCE ? n->n : 0;
}

const struct config_node *
config_node_item(const struct config_node *n, size_t i)
{
	if (n->kind != CONFIG_SEQUENCE || i >= n->n)
		return NULL;
	return n->items[i];
}

const char *
config_node_key(const struct config_node *n, size_t i)
{
	if (n->kind != CONFIG_MAPPING || i >= n->n / 2)
		return NULL;
	return config_node_scalar(n->items[2 * i]);
}

const struct config_node *
config_node_value(const struct config_node *n, size_t i)
{
	if (n->kind != CONFIG_MAPPING || i >= n->n / 2)
		return NULL;
	return n->items[2 * i + 1];
}

const struct config_node *
config_node_get(const struct config_node *n, const char *key)
{
	size_t i;

	for (i = 0; i < config_node_len(n); i++) {
		const char *k = config_node_key(n, i);
		if (k != NULL && strcmp(k, key) == 0)
			return config_node_value(n, i);
	}
	return NULL;
}

const char *
config_node_where(const struct config_node *n, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s:%zu:%zu", n->file, n->line, n->col);
	return buf;
}

static int
node_error(const struct config_node *n, const char *fmt, const char *arg)
{
	char where[512];

	return error_msg("%s: %s '%s'",
	    config_node_where(n, where, sizeof(where)), fmt, arg);
}

static bool
is_null(const struct config_node *n)
{
	return n->kind == CONFIG_SCALAR && n->plain &&
	       (n->scalar[0] == '\0' || strcmp(n->scalar, "~") == 0 ||
	           strcmp(n->scalar, "null") == 0 ||
	           strcmp(n->scalar, "Null") == 0 ||
	           strcmp(n->scalar, "NULL") == 0);
}

static int
set_bool(const struct config_node *v, const char *key, bool *dst)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(v->scalar, yes[i]) == 0) {
			*dst = true;
			return 0;
		}
		if (strcmp(v->scalar, no[i]) == 0) {
			*dst = false;
			return 0;
		}
	}
	return node_error(v, "expected true or false for", key);
}

static int
set_list(const struct config_node *v, const char *key, struct strlist *dst)
{
	size_t i;

	if (v->kind == CONFIG_SCALAR) {
		strlist_push(dst, v->scalar);
		return 0;
	}
	if (v->kind != CONFIG_SEQUENCE)
		return node_error(v, "expected a list for", key);
	for (i = 0; i < v->n; i++)
		if (v->items[i]->kind != CONFIG_SCALAR)
			return node_error(
			    v->items[i], "expected a list of strings for", key);
	for (i = 0; i < v->n; i++)
		strlist_push(dst, v->items[i]->scalar);
	return 0;
}

static int
set_value(const struct config_key *k, const struct config_node *v, void *dst)
{
	char *field = (char *)dst + k->offset;

	if (k->type == OPT_T_CALLBACK)
		return k->cb != NULL ? k->cb(v, field)
		                     : node_error(v, "no handler for", k->key);
	if (k->type == OPT_T_LIST)
		return set_list(v, k->key, (struct strlist *)(void *)field);
	if (v->kind != CONFIG_SCALAR)
		return node_error(v, "expected a single value for", k->key);
	if (is_null(v))
		return node_error(v, "missing value for", k->key);
	switch (k->type) {
	case OPT_T_BOOL:
		return set_bool(v, k->key, (bool *)(void *)field);
	case OPT_T_STRING:
		*(const char **)(void *)field = v->scalar;
		return 0;
	case OPT_T_INT:
		if (opt_parse_long(
		        v->scalar, k->min, k->max, (long *)(void *)field) < 0)
			return node_error(v, "invalid integer for", k->key);
		return 0;
	case OPT_T_DURATION:
		if (opt_parse_duration(v->scalar, (int64_t *)(void *)field) < 0)
			return node_error(v, "invalid duration for", k->key);
		return 0;
	case OPT_T_SIZE:
		if (opt_parse_size(v->scalar, (uint64_t *)(void *)field) < 0)
			return node_error(v, "invalid size for", k->key);
		return 0;
	default:
		return node_error(v, "unsupported type for", k->key);
	}
}

static const struct config_key *
find_key(const struct config_key *keys, const char *name)
{
	for (; keys->key != NULL; keys++)
		if (strcmp(keys->key, name) == 0)
			return keys;
	return NULL;
}

/* True if some key in the table lies below `prefix.` */
static bool
has_prefix(const struct config_key *keys, const char *prefix)
{
	size_t n = strlen(prefix);

	for (; keys->key != NULL; keys++)
		if (strncmp(keys->key, prefix, n) == 0 && keys->key[n] == '.')
			return true;
	return false;
}

static int
load_mapping(const struct config_node *m, const char *prefix,
    const struct config_key *keys, void *dst)
{
	size_t i, j;
	int ret = 0;

	for (i = 0; i < m->n / 2 && ret == 0; i++) {
		const struct config_node *kn = m->items[2 * i];
		const struct config_node *v = m->items[2 * i + 1];
		const struct config_key *k;
		char *full;

		if (kn->kind != CONFIG_SCALAR)
			return node_error(kn, "keys must be strings in",
			    prefix[0] ? prefix : "top level");
		for (j = 0; j < i; j++)
			if (strcmp(m->items[2 * j]->scalar, kn->scalar) == 0)
				return node_error(
				    kn, "duplicate key", kn->scalar);
		full = prefix[0] ? xasprintf("%s.%s", prefix, kn->scalar)
		                 : xstrdup(kn->scalar);
		k = find_key(keys, full);
		if (k != NULL)
			ret = set_value(k, v, dst);
		else if (has_prefix(keys, full))
			ret =
			    v->kind == CONFIG_MAPPING
			        ? load_mapping(v, full, keys, dst)
			        : node_error(v, "expected a mapping for", full);
		else
			ret = node_error(kn, "unknown key", full);
		free(full);
	}
	return ret;
}

int
config_load_mem(struct config_doc *doc, const char *name, const char *data,
    size_t len, const struct config_key *keys, void *dst)
{
	struct doc *d;

	if (len > CONFIG_MAX_SIZE)
		return error_msg(
		    "%s: config larger than %zu bytes", name, CONFIG_MAX_SIZE);
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	if (config_yaml_parse(d, data, len) < 0)
		goto fail;
	if (d->root != NULL && is_null(d->root))
		d->root = NULL; /* an empty file is an empty config */
	if (d->root != NULL && d->root->kind != CONFIG_MAPPING) {
		node_error(d->root, "the top level must be a mapping in", name);
		goto fail;
	}
	if (d->root != NULL && load_mapping(d->root, "", keys, dst) < 0)
		goto fail;
	/*
	 * Strings handed out point into the tree: keep it (and those of
	 * earlier loads into the same doc) until config_release.
	 */
	d->next = doc->priv;
	doc->priv = d;
	return 0;
fail:
	/* Values set before the error may point into the tree too. */
	d->next = doc->priv;
	doc->priv = d;
	return -1;
}

int
config_load(struct config_doc *doc, const char *path,
    const struct config_key *keys, void *dst)
{
	struct buf data = BUF_INIT(CONFIG_MAX_SIZE + 1);
	int ret = -1;

	if (fs_read_file(path, CONFIG_MAX_SIZE, &data) == 0)
		ret =
		    config_load_mem(doc, path, data.data, data.len, keys, dst);
	buf_release(&data);
	return ret;
}

void
config_release(struct config_doc *doc)
{
	config_doc_free(doc->priv);
	doc->priv = NULL;
}
