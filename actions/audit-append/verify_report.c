#include "common/compat.h"

#include <string.h>

#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "log_tail.h"
#include "verify_scan.h"
#include "verify_scan_int.h"

/* 1 with a message if entry i is not a canonical JSON object. */
static int
check_json(const uint8_t *p, size_t len, uint64_t i, uint64_t at)
{
	struct buf canon = BUF_INIT(SIZE_MAX);
	cJSON *v = NULL;
	int ret = 1;

	if (json_parse((const char *)p, len, "entry", &v) < 0 ||
	    !cJSON_IsObject(v) || json_canonical(v, &canon) < 0 ||
	    canon.len != len || memcmp(canon.data, p, len) != 0)
		error_msg(
		    "entry %llu at byte %llu of 'entries': not a canonical "
		    "JSON object",
		    (unsigned long long)i, (unsigned long long)at);
	else
		ret = 0;
	cJSON_Delete(v);
	buf_release(&canon);
	return ret;
}

/* Strict mode: the JSON checks of the entries the scan found well framed,
 * in order, so a bad entry before the first other problem wins. */
static int
check_all_json(const struct scan *s, const struct scan_fail *f)
{
	uint64_t i, at = 0, end, upto = s->size;

	if (f->kind != SCAN_OK)
		upto = f->kind == SCAN_HASH || f->kind == SCAN_HASHES_SHORT
		           ? f->i + 1
		           : f->i;
	for (i = 0; i < upto; i++) {
		end = log_be64(s->off.p + i * 8);
		if (check_json(s->ent.p + at,
		        log_line_entry_len((const char *)s->ent.p + at,
		            (size_t)(end - at - 1)),
		        i, at))
			return 1;
		at = end;
	}
	return 0;
}

static int
report(const struct scan_fail *f)
{
	char hx[2][65];

	switch (f->kind) {
	case SCAN_OK:
		return 0;
	case SCAN_FRAME:
		error_msg("entry %llu at byte %llu of 'entries': %s",
		    (unsigned long long)f->i, (unsigned long long)f->at,
		    f->empty ? "empty line"
		    : f->avail == 0
		        ? "missing (file truncated)"
		        : "no line end (entry truncated or too long)");
		return 1;
	case SCAN_OFFSETS_SHORT:
		error_msg("'offsets' is truncated at entry %llu",
		    (unsigned long long)f->i);
		return 1;
	case SCAN_OFFSET:
		error_msg("entry %llu at byte %llu of 'entries': 'offsets' "
		          "(byte %llu) says it ends at byte %llu, but it ends "
		          "at byte %llu (an entry was inserted, removed or "
		          "resized)",
		    (unsigned long long)f->i, (unsigned long long)f->at,
		    (unsigned long long)f->pos, (unsigned long long)f->end,
		    (unsigned long long)f->actual);
		return 1;
	case SCAN_HASHES_SHORT:
		error_msg("'hashes' is truncated at entry %llu",
		    (unsigned long long)f->i);
		return 1;
	case SCAN_HASH:
		hash_hex(f->stored, 32, hx[0]);
		hash_hex(f->computed, 32, hx[1]);
		if (f->k == 0)
			error_msg("entry %llu at byte %llu of 'entries': "
			          "content does not match its leaf hash at "
			          "byte %llu of 'hashes' (stored %s, computed "
			          "%s)",
			    (unsigned long long)f->i, (unsigned long long)f->at,
			    (unsigned long long)f->pos, hx[0], hx[1]);
		else
			error_msg("'hashes' byte %llu: tree node %u/%llu "
			          "(completed by entry %llu) is %s but the "
			          "entries give %s",
			    (unsigned long long)f->pos, f->k,
			    (unsigned long long)(f->i >> f->k),
			    (unsigned long long)f->i, hx[0], hx[1]);
		return 1;
	case SCAN_ERROR:
		break;
	}
	return error_msg("'SHA-256' failed");
}

int
verify_scan(struct log_store *l, bool strict, struct verify_result *r)
{
	struct scan s;
	struct scan_fail f;
	int ret = -1;

	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	if (scan_map_fd(l->entries_fd, "entries", &s.ent) < 0 ||
	    scan_map_fd(l->offsets_fd, "offsets", &s.off) < 0 ||
	    scan_map_fd(l->hashes_fd, "hashes", &s.hash) < 0)
		goto out;
	s.size = l->size;
	s.nchunks = (s.size + CHUNK_ENTRIES - 1) / CHUNK_ENTRIES;
	atomic_init(&s.next, 0);
	atomic_init(&s.stop, UINT64_MAX);
	scan_all(&s, &f);
	if (f.kind == SCAN_ERROR) {
		ret = report(&f);
		goto out;
	}
	if (strict && check_all_json(&s, &f) != 0) {
		ret = 1;
		goto out;
	}
	if (f.kind != SCAN_OK) {
		ret = report(&f);
		goto out;
	}
	/* Every stored hash up to size is now known to be right. */
	r->size = s.size;
	r->bytes = s.size == 0 ? 0 : log_be64(s.off.p + (s.size - 1) * 8);
	if (s.size == 0)
		merkle_empty_root(r->root);
	else if (log_store_root(l, s.size, r->root) < 0)
		goto out;
	if (s.ent.len > r->bytes)
		warn_msg(
		    "'entries' has %zu bytes after entry %llu that are not "
		    "indexed (an interrupted append, or a crash before the "
		    "index was written); the next append indexes complete "
		    "commits and discards the rest",
		    (size_t)(s.ent.len - r->bytes), (unsigned long long)s.size);
	ret = 0;
out:
	scan_unmap(&s.ent);
	scan_unmap(&s.off);
	scan_unmap(&s.hash);
	return ret;
}
