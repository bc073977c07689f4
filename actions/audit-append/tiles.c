#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "tiles.h"

#define TILE_W 256

int
tiles_path(struct buf *out, const char *level, uint64_t n, unsigned w)
{
	char groups[8][4];
	int ng = 0, i;

	do {
		snprintf(groups[ng++], 4, "%03u", (unsigned)(n % 1000));
		n /= 1000;
	} while (n > 0 && ng < 8);
	if (buf_addf(out, "tile/%s", level) < 0)
		return -1;
	for (i = ng - 1; i >= 0; i--)
		if (buf_addf(out, "/%s%s", i > 0 ? "x" : "", groups[i]) < 0)
			return -1;
	if (w > 0 && w < TILE_W && buf_addf(out, ".p/%u", w) < 0)
		return -1;
	return 0;
}

static int
write_file(const char *root, const char *rel, const struct buf *data,
    bool immutable, uint64_t *files)
{
	char *p = xasprintf("%s/%s", root, rel), *slash;
	int ret = -1;

	if (immutable && fs_exists(p)) {
		ret = 0;
		goto out;
	}
	slash = strrchr(p, '/');
	*slash = 0;
	if (fs_mkdirs(p, 0755) < 0)
		goto out;
	*slash = '/';
	if (fs_write_atomic(p, data->data, data->len, 0644) < 0)
		goto out;
	(*files)++;
	ret = 0;
out:
	free(p);
	return ret;
}

static int
hash_tiles(struct log_store *l, uint64_t size, const char *out, uint64_t *files)
{
	struct buf path = BUF_INIT(0), data = BUF_INIT(0);
	struct merkle_src src;
	merkle_hash h;
	uint64_t count, n, j, width;
	unsigned lvl;
	char ls[8];
	int ret = -1;

	log_store_src(l, &src);
	for (lvl = 0; lvl < 8; lvl++) {
		count = lvl * 8 < 64 ? size >> (8 * lvl) : 0;
		if (count == 0)
			break;
		snprintf(ls, sizeof(ls), "%u", lvl);
		for (n = 0; n * TILE_W < count; n++) {
			width = count - n * TILE_W;
			if (width > TILE_W)
				width = TILE_W;
			buf_reset(&data);
			for (j = 0; j < width; j++) {
				if (src.node(src.ctx, 8 * lvl, n * TILE_W + j,
				        h) < 0 ||
				    buf_add(&data, h, MERKLE_HASH_LEN) < 0)
					goto out;
			}
			buf_reset(&path);
			if (tiles_path(&path, ls, n, (unsigned)width) < 0 ||
			    write_file(out, path.data, &data, width == TILE_W,
			        files) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	buf_release(&path);
	buf_release(&data);
	return ret;
}

static int
entry_bundles(
    struct log_store *l, uint64_t size, const char *out, uint64_t *files)
{
	struct buf path = BUF_INIT(0), data = BUF_INIT(0), e = BUF_INIT(0);
	uint64_t n, j, width;
	uint8_t be[2];
	int ret = -1;

	for (n = 0; n * TILE_W < size; n++) {
		width = size - n * TILE_W;
		if (width > TILE_W)
			width = TILE_W;
		buf_reset(&data);
		for (j = 0; j < width; j++) {
			buf_reset(&e);
			if (log_store_entry(l, n * TILE_W + j, &e, NULL) < 0)
				goto out;
			be[0] = (uint8_t)(e.len >> 8);
			be[1] = (uint8_t)e.len;
			if (buf_add(&data, be, 2) < 0 ||
			    buf_addbuf(&data, &e) < 0)
				goto out;
		}
		buf_reset(&path);
		if (tiles_path(&path, "entries", n, (unsigned)width) < 0 ||
		    write_file(out, path.data, &data, width == TILE_W, files) <
		        0)
			goto out;
	}
	ret = 0;
out:
	buf_release(&path);
	buf_release(&data);
	buf_release(&e);
	return ret;
}

int
tiles_export(struct log_store *l, uint64_t size, const char *note,
    size_t note_len, const char *out, uint64_t *files)
{
	struct buf ck = BUF_INIT(0);
	int ret = -1;

	*files = 0;
	if (size > l->size)
		return error_msg("checkpoint size %llu is beyond the log",
		    (unsigned long long)size);
	if (hash_tiles(l, size, out, files) < 0 ||
	    entry_bundles(l, size, out, files) < 0)
		goto out;
	/* The checkpoint last: readers never see a size without its tiles. */
	if (buf_add(&ck, note, note_len) < 0 ||
	    write_file(out, "checkpoint", &ck, false, files) < 0)
		goto out;
	ret = 0;
out:
	buf_release(&ck);
	return ret;
}
