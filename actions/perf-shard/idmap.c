#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "idmap.h"

uint64_t
idmap_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void
idmap_init(struct idmap *m)
{
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
	m->nr = 0;
}

void
idmap_release(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	idmap_init(m);
}

static size_t
slot_of(const struct idmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)idmap_hash(key, strlen(key)) & mask;

	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

bool
idmap_get(const struct idmap *m, const char *key, size_t *val)
{
	size_t i;

	if (!m->cap)
		return false;
	i = slot_of(m, key);
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

static void
grow(struct idmap *m)
{
	struct idmap n = IDMAP_INIT;
	size_t i;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			idmap_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
}

void
idmap_put(struct idmap *m, const char *key, size_t val)
{
	size_t i;

	if ((m->nr + 1) * 2 > m->cap)
		grow(m);
	i = slot_of(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->nr++;
	}
	m->vals[i] = val;
}
