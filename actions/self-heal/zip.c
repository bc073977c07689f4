#include "common/compat.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * Reads the run-level log zip GitHub serves (research §5): the central
 * directory at the end, then each entry's local header. Every offset and
 * size is checked against the buffer before use; the archive comes from
 * the network.
 */
static uint32_t
rd16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void
heal_zip_release(struct heal_zip *z)
{
	size_t i;

	for (i = 0; i < z->nr; i++)
		free(z->v[i].name);
	free(z->v);
	z->v = NULL;
	z->nr = 0;
}

int
heal_zip_list(const unsigned char *d, size_t len, struct heal_zip *z)
{
	size_t eocd = 0, i, off, n, alloc = 0;
	bool found = false;

	memset(z, 0, sizeof(*z));
	if (len < 22)
		return error_msg("log archive: not a zip file");
	/* EOCD: 22 bytes plus a comment of at most 64 KiB */
	for (i = len - 22;; i--) {
		if (rd32(d + i) == 0x06054b50) {
			eocd = i;
			found = true;
			break;
		}
		if (i == 0 || len - i > 22 + 65535)
			break;
	}
	if (!found)
		return error_msg("log archive: no zip end record");
	n = rd16(d + eocd + 10);
	off = rd32(d + eocd + 16);
	if (n > HEAL_ZIP_MAX_ENTRIES)
		return error_msg(
		    "log archive: more than %d entries", HEAL_ZIP_MAX_ENTRIES);
	if (rd32(d + eocd + 16) == 0xffffffffu || off > eocd)
		return error_msg("log archive: bad central directory offset");
	for (i = 0; i < n; i++) {
		struct heal_zip_entry e;
		size_t nl, xl, cl;

		if (off + 46 > eocd || rd32(d + off) != 0x02014b50) {
			heal_zip_release(z);
			return error_msg(
			    "log archive: bad central directory entry %zu", i);
		}
		nl = rd16(d + off + 28);
		xl = rd16(d + off + 30);
		cl = rd16(d + off + 32);
		if (off + 46 + nl + xl + cl > eocd) {
			heal_zip_release(z);
			return error_msg(
			    "log archive: entry %zu runs past the directory",
			    i);
		}
		memset(&e, 0, sizeof(e));
		e.method = rd16(d + off + 10);
		e.csize = rd32(d + off + 20);
		e.usize = rd32(d + off + 24);
		e.local_off = rd32(d + off + 42);
		e.name = xstrndup((const char *)d + off + 46, nl);
		xgrow((void **)&z->v, &alloc, z->nr + 1, sizeof(*z->v));
		z->v[z->nr++] = e;
		off += 46 + nl + xl + cl;
	}
	return 0;
}

int
heal_zip_extract(const unsigned char *d, size_t len,
    const struct heal_zip_entry *e, size_t max, struct buf *out)
{
	unsigned char tmp[16384];
	uint64_t data;
	z_stream zs;
	int rc, ret = -1;

	if (e->local_off > len || len - e->local_off < 30 ||
	    rd32(d + e->local_off) != 0x04034b50)
		return error_msg(
		    "log archive: bad local header for '%s'", e->name);
	data = e->local_off + 30 + rd16(d + e->local_off + 26) +
	       rd16(d + e->local_off + 28);
	if (data > len || e->csize > len - data)
		return error_msg(
		    "log archive: '%s' runs past the end", e->name);
	if (e->method == 0) {
		if (e->csize > max)
			return error_msg(
			    "log archive: '%s' is larger than %zu bytes",
			    e->name, max);
		return buf_add(out, d + data, (size_t)e->csize);
	}
	if (e->method != 8)
		return error_msg("log archive: '%s' uses compression method %u",
		    e->name, e->method);
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK)
		return error_msg("log archive: inflateInit failed");
	zs.next_in = (unsigned char *)(uintptr_t)(d + data);
	zs.avail_in = (uInt)(e->csize > 0xffffffffu ? 0xffffffffu : e->csize);
	do {
		size_t got;
		zs.next_out = tmp;
		zs.avail_out = sizeof(tmp);
		rc = inflate(&zs, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) {
			error_msg(
			    "log archive: '%s': corrupt deflate data", e->name);
			goto out;
		}
		got = sizeof(tmp) - zs.avail_out;
		if (out->len + got > max) {
			error_msg("log archive: '%s' is larger than %zu bytes",
			    e->name, max);
			goto out;
		}
		if (buf_add(out, tmp, got) < 0)
			goto out;
		if (rc != Z_STREAM_END && zs.avail_in == 0 && got == 0) {
			error_msg("log archive: '%s' is truncated", e->name);
			goto out;
		}
	} while (rc != Z_STREAM_END);
	ret = 0;
out:
	inflateEnd(&zs);
	return ret;
}
