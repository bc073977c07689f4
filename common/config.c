#include "common/compat.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/buf.h"
#include "common/config.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"

/*
 * The document is built from libyaml *events* into our own tree, so that
 * every node keeps its position and aliases are counted as they appear. An
 * alias shares its anchored node (no copy); each node's `weight` is the size
 * of its subtree with aliases expanded, and the document's weight is capped
 * at CONFIG_MAX_NODES, so a billion-laughs document fails at the first
 * alias that would pass the cap, in linear time. Anchors are registered
 * when their node is complete, so an alias cannot form a cycle.
 */
struct config_node {
	enum config_node_kind kind;
	char *scalar;               /* CONFIG_SCALAR */
	bool plain;                 /* unquoted scalar */
	struct config_node **items; /* sequence items, or key,value pairs */
	size_t n, alloc;
	size_t line, col;
	size_t weight;
	const char *file;
};

struct anchor {
	char *name;
	struct config_node *node;
};

struct doc {
	char *name;
	struct config_node **all; /* owned nodes */
	size_t nall, aall;
	struct anchor *anchors;
	size_t nanchors, aanchors;
	struct config_node *root;
	size_t aliases;
	size_t weight;
	struct doc *next; /* earlier loads into the same config_doc */
};

static struct config_node *
node_new(struct doc *d, enum config_node_kind kind, const yaml_mark_t *m)
{
	struct config_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = m->line + 1;
	n->col = m->column + 1;
	n->weight = 1;
	n->file = d->name;
	xgrow((void **)&d->all, &d->aall, d->nall + 1, sizeof(*d->all));
	d->all[d->nall++] = n;
	return n;
}

static void
node_push(struct config_node *parent, struct config_node *child)
{
	xgrow((void **)&parent->items, &parent->alloc, parent->n + 1,
	    sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

static void
doc_free(struct doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	doc_free(d->next);
	for (i = 0; i < d->nall; i++) {
		free(d->all[i]->scalar);
		free(d->all[i]->items);
		free(d->all[i]);
	}
	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i].name);
	free(d->all);
	free(d->anchors);
	free(d->name);
	free(d);
}

static int
where_error(const char *file, const yaml_mark_t *m, const char *what)
{
	return error_msg(
	    "%s:%zu:%zu: %s", file, m->line + 1, m->column + 1, what);
}

static int
add_anchor(struct doc *d, const yaml_char_t *name, struct config_node *n)
{
	if (name == NULL)
		return 0;
	xgrow((void **)&d->anchors, &d->aanchors, d->nanchors + 1,
	    sizeof(*d->anchors));
	d->anchors[d->nanchors].name = xstrdup((const char *)name);
	d->anchors[d->nanchors].node = n;
	d->nanchors++;
	return 0;
}

static struct config_node *
find_anchor(struct doc *d, const char *name)
{
	size_t i;

	/* Latest definition wins, as YAML says. */
	for (i = d->nanchors; i-- > 0;)
		if (strcmp(d->anchors[i].name, name) == 0)
			return d->anchors[i].node;
	return NULL;
}

/* Open collections, with the anchor to register when each completes. */
struct frame {
	struct config_node *node;
	const yaml_char_t *anchor; /* owned by a copied event */
	yaml_event_t start;
};

/* inc: what n adds to the expanded size (a container's children are
 * already counted when they were attached). */
static int
attach(struct doc *d, struct frame *stack, size_t depth, struct config_node *n,
    size_t inc, const yaml_mark_t *m)
{
	d->weight += inc;
	if (d->weight > CONFIG_MAX_NODES) {
		char msg[128];
		(void)snprintf(msg, sizeof(msg),
		    "document expands to more than %d nodes", CONFIG_MAX_NODES);
		return where_error(d->name, m, msg);
	}
	if (depth == 0) {
		if (d->root != NULL)
			return where_error(
			    d->name, m, "only one YAML document is allowed");
		d->root = n;
		return 0;
	}
	/* Callers can then rely on config_node_key never being NULL. */
	if (stack[depth - 1].node->kind == CONFIG_MAPPING &&
	    stack[depth - 1].node->n % 2 == 0 && n->kind != CONFIG_SCALAR)
		return error_msg("%s:%zu:%zu: mapping keys must be scalars",
		    d->name, n->line, n->col);
	node_push(stack[depth - 1].node, n);
	stack[depth - 1].node->weight += n->weight;
	return 0;
}

/*
 * libyaml is loaded on first use in dynamic builds, like libcurl
 * (common/http_curl.c), so the tools that never read YAML (most runs of
 * most tools) do not map and relocate it at every start. Static builds
 * (BULWARK_STATIC_YAML, set by BUILD_STATIC) call the linked functions.
 */
static struct {
	int (*parser_initialize)(yaml_parser_t *);
	void (*parser_set_input_string)(
	    yaml_parser_t *, const unsigned char *, size_t);
	int (*parser_parse)(yaml_parser_t *, yaml_event_t *);
	void (*event_delete)(yaml_event_t *);
	void (*parser_delete)(yaml_parser_t *);
} yaml;
static int yaml_state; /* 0 untried, 1 loaded, -1 failed */

#ifdef BULWARK_STATIC_YAML
static int
yaml_load(void)
{
	yaml.parser_initialize = yaml_parser_initialize;
	yaml.parser_set_input_string = yaml_parser_set_input_string;
	yaml.parser_parse = yaml_parser_parse;
	yaml.event_delete = yaml_event_delete;
	yaml.parser_delete = yaml_parser_delete;
	return 0;
}
#else
/* dlsym returns void *; memcpy keeps -Wpedantic quiet about
 * object-to-function pointer conversions. */
static int
yaml_sym(void *lib, const char *name, void *slot, size_t size)
{
	void *p = dlsym(lib, name);

	if (p == NULL)
		return error_msg("cannot load 'libyaml-0.so.2': symbol '%s' "
		                 "missing",
		    name);
	memcpy(slot, &p, size);
	return 0;
}

#define YAML_SYM(field)                                                        \
	yaml_sym(lib, "yaml_" #field, &yaml.field, sizeof(yaml.field))

static int
yaml_load(void)
{
	void *lib = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);

	if (lib == NULL)
		return error_msg("cannot load 'libyaml-0.so.2' (install "
		                 "libyaml-0-2 to read YAML files): %s",
		    dlerror());
	if (YAML_SYM(parser_initialize) < 0 ||
	    YAML_SYM(parser_set_input_string) < 0 ||
	    YAML_SYM(parser_parse) < 0 || YAML_SYM(event_delete) < 0 ||
	    YAML_SYM(parser_delete) < 0)
		return -1; /* the library stays loaded: harmless */
	return 0;
}
#endif

static int
yaml_ready(void)
{
	if (yaml_state == 0)
		yaml_state = yaml_load() == 0 ? 1 : -1;
	else if (yaml_state < 0)
		return error_msg("libyaml is not available");
	return yaml_state > 0 ? 0 : -1;
}

static int
parse(struct doc *d, const char *data, size_t len)
{
	struct frame stack[CONFIG_MAX_DEPTH + 1];
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0, i, docs = 0;
	bool done = false;
	int ret = -1;

	memset(stack, 0, sizeof(stack));
	if (yaml_ready() < 0)
		return -1;
	if (!yaml.parser_initialize(&parser))
		return error_msg("cannot initialise the YAML parser");
	yaml.parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		struct config_node *n = NULL;
		char msg[160];

		if (!yaml.parser_parse(&parser, &ev)) {
			(void)snprintf(msg, sizeof(msg), "%s",
			    parser.problem ? parser.problem : "invalid YAML");
			where_error(d->name, &parser.problem_mark, msg);
			goto out;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				where_error(d->name, &ev.start_mark,
				    "only one YAML document is allowed");
				goto fail_ev;
			}
			break;
		case YAML_SCALAR_EVENT:
			n = node_new(d, CONFIG_SCALAR, &ev.start_mark);
			n->scalar = xstrndup((const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			n->plain =
			    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			if (attach(d, stack, depth, n, 1, &ev.start_mark) < 0)
				goto fail_ev;
			add_anchor(d, ev.data.scalar.anchor, n);
			break;
		case YAML_ALIAS_EVENT:
			if (++d->aliases > CONFIG_MAX_ALIASES) {
				(void)snprintf(msg, sizeof(msg),
				    "more than %d aliases", CONFIG_MAX_ALIASES);
				where_error(d->name, &ev.start_mark, msg);
				goto fail_ev;
			}
			n = find_anchor(d, (const char *)ev.data.alias.anchor);
			if (n == NULL) {
				(void)snprintf(msg, sizeof(msg),
				    "unknown anchor '%.64s'",
				    (const char *)ev.data.alias.anchor);
				where_error(d->name, &ev.start_mark, msg);
				goto fail_ev;
			}
			if (attach(d, stack, depth, n, n->weight,
			        &ev.start_mark) < 0)
				goto fail_ev;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth >= CONFIG_MAX_DEPTH) {
				(void)snprintf(msg, sizeof(msg),
				    "nesting deeper than %d", CONFIG_MAX_DEPTH);
				where_error(d->name, &ev.start_mark, msg);
				goto fail_ev;
			}
			n = node_new(d,
			    ev.type == YAML_MAPPING_START_EVENT
			        ? CONFIG_MAPPING
			        : CONFIG_SEQUENCE,
			    &ev.start_mark);
			stack[depth].node = n;
			stack[depth].start = ev; /* keeps the anchor alive */
			stack[depth].anchor =
			    ev.type == YAML_MAPPING_START_EVENT
			        ? ev.data.mapping_start.anchor
			        : ev.data.sequence_start.anchor;
			depth++;
			continue; /* event kept in the frame */
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			n = stack[depth].node;
			add_anchor(d, stack[depth].anchor, n);
			yaml.event_delete(&stack[depth].start);
			if (attach(d, stack, depth, n, 1, &ev.start_mark) < 0)
				goto fail_ev;
			break;
		default:
			break;
		}
		yaml.event_delete(&ev);
	}
	ret = 0;
	goto out;
fail_ev:
	yaml.event_delete(&ev);
out:
	for (i = 0; i < depth; i++)
		yaml.event_delete(&stack[i].start);
	yaml.parser_delete(&parser);
	return ret;
}

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
	if (parse(d, data, len) < 0)
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
	doc_free(doc->priv);
	doc->priv = NULL;
}
