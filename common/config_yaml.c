#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/config_int.h"
#include "common/lazy.h"
#include "common/log.h"
#include "common/xalloc.h"

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

void
config_doc_free(struct doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	config_doc_free(d->next);
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
 * libyaml is loaded on first use in dynamic builds (common/lazy.h), so the
 * tools that never read YAML (most runs of most tools) do not map and
 * relocate it at every start; a missing libyaml is a config error, not
 * fatal. Static builds (BULWARK_STATIC_YAML, set by BUILD_STATIC) call the
 * linked functions.
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
static struct lazy_lib libyaml = { "libyaml-0.so.2", "libyaml-0-2", NULL };

#define YAML_SYM(field)                                                        \
	lazy_sym_into(&libyaml, "yaml_" #field, &yaml.field, sizeof(yaml.field))

static int
yaml_load(void)
{
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

int
config_yaml_parse(struct doc *d, const char *data, size_t len)
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
