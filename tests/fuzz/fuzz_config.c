/*
 * config_load_mem on arbitrary bytes with a table of every value type and
 * a callback that walks whatever node it gets. Must not crash, leak or
 * take long (aliases are capped).
 */
#include "common/compat.h"

#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "common/strlist.h"

struct fz {
	bool b;
	const char *s;
	long i;
	int64_t d;
	uint64_t z;
	struct strlist l;
	const char *nested;
	size_t walked;
};

static size_t
walk(const struct config_node *n, int depth)
{
	size_t i, count = 1;
	char where[256];

	config_node_where(n, where, sizeof(where));
	if (depth > 64)
		return count;
	switch (config_node_kind(n)) {
	case CONFIG_SCALAR:
		count += strlen(config_node_scalar(n)) > 0;
		break;
	case CONFIG_SEQUENCE:
		for (i = 0; i < config_node_len(n); i++)
			count += walk(config_node_item(n, i), depth + 1);
		break;
	case CONFIG_MAPPING:
		for (i = 0; i < config_node_len(n); i++) {
			if (config_node_key(n, i) != NULL)
				(void)config_node_get(n, config_node_key(n, i));
			count += walk(config_node_value(n, i), depth + 1);
		}
		break;
	}
	return count;
}

static int
cb(const struct config_node *n, void *dst)
{
	*(size_t *)dst += walk(n, 0);
	return 0;
}

static const struct config_key keys[] = {
	{ "bool", OPT_T_BOOL, offsetof(struct fz, b), 0, 0, NULL },
	{ "str", OPT_T_STRING, offsetof(struct fz, s), 0, 0, NULL },
	{ "int", OPT_T_INT, offsetof(struct fz, i), -5, 5, NULL },
	{ "dur", OPT_T_DURATION, offsetof(struct fz, d), 0, 0, NULL },
	{ "size", OPT_T_SIZE, offsetof(struct fz, z), 0, 0, NULL },
	{ "list", OPT_T_LIST, offsetof(struct fz, l), 0, 0, NULL },
	{ "a.b.c", OPT_T_STRING, offsetof(struct fz, nested), 0, 0, NULL },
	{ "rules", OPT_T_CALLBACK, offsetof(struct fz, walked), 0, 0, cb },
	CONFIG_KEY_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_doc doc = CONFIG_DOC_INIT;
	struct fz f;

	memset(&f, 0, sizeof(f));
	log_set_sink(log_discard, NULL);
	(void)config_load_mem(
	    &doc, "fuzz.yml", (const char *)data, size, keys, &f);
	if (f.s != NULL)
		(void)strlen(f.s); /* still owned by doc */
	if (f.nested != NULL)
		(void)strlen(f.nested);
	strlist_release(&f.l);
	config_release(&doc);
	return 0;
}
