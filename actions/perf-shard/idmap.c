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
	m->hashes = NULL;
	m->cap = 0;
	m->nr = 0;
}

void
idmap_release(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	idmap_init(m);
}

/* FNV-1a's low bits are weak for similar keys: mix before masking. */
static size_t
home_of(uint64_t h, size_t mask)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return (size_t)h & mask;
}

static size_t
slot_of(const struct idmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;
	size_t i = home_of(h, mask);

	while (
	    m->keys[i] && (m->hashes[i] != h || strcmp(m->keys[i], key) != 0))
		i = (i + 1) & mask;
	return i;
}

bool
idmap_get(const struct idmap *m, const char *key, size_t *val)
{
	size_t i;

	if (!m->cap)
		return false;
	i = slot_of(m, key, idmap_hash(key, strlen(key)));
	if (!m->keys[i])
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

static void
rehash(struct idmap *m, size_t cap)
{
	struct idmap n = IDMAP_INIT;
	size_t i, j, mask = cap - 1;

	n.cap = cap;
	n.nr = m->nr;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	n.hashes = xcalloc(n.cap, sizeof(*n.hashes));
	/* keys are distinct: no compare needed, only a free slot */
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = home_of(m->hashes[i], mask); n.keys[j];
		     j = (j + 1) & mask)
			;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.hashes[j] = m->hashes[i];
	}
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	*m = n;
}

void
idmap_reserve(struct idmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while ((n + 1) * 2 > cap)
		cap *= 2;
	if (cap != m->cap)
		rehash(m, cap);
}

void
idmap_put(struct idmap *m, const char *key, size_t val)
{
	uint64_t h = idmap_hash(key, strlen(key));
	size_t i;

	if ((m->nr + 1) * 2 > m->cap)
		idmap_reserve(m, m->nr + 1);
	i = slot_of(m, key, h);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->hashes[i] = h;
		m->nr++;
	}
	m->vals[i] = val;
}
