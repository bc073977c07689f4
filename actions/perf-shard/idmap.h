#ifndef PERF_SHARD_IDMAP_H
#define PERF_SHARD_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/*
 * A string -> index map (open addressing, FNV-1a 64). Keys are borrowed: the
 * caller keeps them alive and unchanged while they are in the map. Indexes
 * are whatever the caller stores (usually a position in its own array).
 */
struct idmap {
	const char **keys;
	size_t *vals;
	uint64_t *hashes; /* per slot: probes compare these before strcmp */
	size_t cap;       /* power of two, or 0 */
	size_t nr;
};

#define IDMAP_INIT                                                             \
	{                                                                      \
		NULL, NULL, NULL, 0, 0                                         \
	}

void idmap_init(struct idmap *m);
void idmap_release(struct idmap *m);
/* true and *val if present. */
bool idmap_get(const struct idmap *m, const char *key, size_t *val);
/* Inserts or overwrites. */
void idmap_put(struct idmap *m, const char *key, size_t val);
/* Room for n keys without rehashing. */
void idmap_reserve(struct idmap *m, size_t n);

uint64_t idmap_hash(const char *s, size_t len);

#endif
