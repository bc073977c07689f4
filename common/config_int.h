#ifndef BULWARK_CONFIG_INT_H
#define BULWARK_CONFIG_INT_H
/* Shared by config.c (keys, accessors) and config_yaml.c (the tree). */
#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"

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

/* Parses one YAML document from data into d (whose name is set). */
int config_yaml_parse(struct doc *d, const char *data, size_t len);
/* Frees d and every earlier load chained behind it. */
void config_doc_free(struct doc *d);
#endif
