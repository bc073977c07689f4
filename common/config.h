#ifndef BULWARK_CONFIG_H
#define BULWARK_CONFIG_H

#include <stddef.h>
#include "common/compat.h"
#include "common/opt.h"

/*
 * YAML config files (libyaml) into a typed struct described by a table.
 * The same value types as opt.h, so config < env < command line is a matter
 * of loading the config into the struct before opt_parse.
 *
 * The top level must be a mapping. Each key is looked up in the table; an
 * unknown key is an error with "file:line:col". Nested mappings are
 * addressed with dotted keys ("retry.max-attempts"). OPT_T_LIST accepts a
 * scalar or a sequence of scalars (appended). OPT_T_CALLBACK hands the
 * value node, whatever its kind (e.g. a sequence of mappings for rule
 * lists), to `cb` with a pointer to the field at `offset`. Booleans are
 * true|True|TRUE|false|False|FALSE; a null value is an error.
 *
 * Limits: CONFIG_MAX_SIZE bytes, CONFIG_MAX_DEPTH nesting, CONFIG_MAX_ALIASES
 * alias uses (billion laughs), CONFIG_MAX_NODES nodes. Any breach is an
 * error naming the file and the limit.
 *
 * Strings stored through OPT_T_STRING (and node pointers given to
 * callbacks) are owned by `struct config_doc`, released with
 * config_release, so the doc must outlive their use. Several loads into one
 * doc keep every tree; on error, fields set before the error stay set.
 */
#define CONFIG_MAX_SIZE ((size_t)1 << 20)
#define CONFIG_MAX_DEPTH 32
#define CONFIG_MAX_ALIASES 64
#define CONFIG_MAX_NODES 100000

/* A node handed to callbacks: read-only view over the parsed document. */
struct config_node;
enum config_node_kind {
	CONFIG_SCALAR,
	CONFIG_SEQUENCE,
	CONFIG_MAPPING
};
enum config_node_kind config_node_kind(const struct config_node *n);
const char *config_node_scalar(const struct config_node *n);
size_t config_node_len(const struct config_node *n); /* items or pairs */
const struct config_node *config_node_item(
    const struct config_node *n, size_t i);
const struct config_node *config_node_get(
    const struct config_node *n, const char *key);
/* Mapping keys are always scalars (others are rejected when parsing). */
const char *config_node_key(const struct config_node *n, size_t i);
const struct config_node *config_node_value(
    const struct config_node *n, size_t i);
/* "file:line:col" of the node, for messages. */
const char *config_node_where(
    const struct config_node *n, char *buf, size_t len);

typedef int config_node_fn(const struct config_node *n, void *dst);

struct config_key {
	const char *key;    /* dotted path */
	enum opt_type type; /* OPT_T_BOOL/STRING/INT/DURATION/SIZE/LIST,
	                       or OPT_T_CALLBACK with `cb` */
	size_t offset;      /* into dst */
	long min, max;      /* OPT_T_INT range (both 0 = unchecked) */
	config_node_fn *cb;
};
#define CONFIG_KEY_END                                                         \
	{                                                                      \
		NULL, OPT_T_END, 0, 0, 0, NULL                                 \
	}

struct config_doc {
	void *priv;
};
#define CONFIG_DOC_INIT                                                        \
	{                                                                      \
		NULL                                                           \
	}

int config_load(struct config_doc *doc, const char *path,
    const struct config_key *keys, void *dst);
/* Same, from memory; name is used in messages. */
int config_load_mem(struct config_doc *doc, const char *name, const char *data,
    size_t len, const struct config_key *keys, void *dst);
void config_release(struct config_doc *doc);

#endif
