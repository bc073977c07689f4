#include "common/compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The low-level SHA-256 calls are deprecated in OpenSSL 3 but run the same
 * block code as EVP without its allocation and dispatch per message, which
 * for two-block messages costs about 30%: they are the hot path here. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/crypto.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif
#ifndef ASAN_UNPOISON_MEMORY_REGION
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "log_tail.h"
#include "verify_scan.h"

#define CHUNK_ENTRIES ((uint64_t)1 << 14)
#define MAX_THREADS 16

/* Kinds of problem, in the order a sequential pass meets them per entry. */
enum scan_kind {
	SCAN_OK,
	SCAN_FRAME,         /* no proper line at the expected offset */
	SCAN_OFFSETS_SHORT, /* offsets has no end for the entry */
	SCAN_OFFSET,        /* offsets disagrees with the line end */
	SCAN_HASHES_SHORT,  /* hashes has no k-th hash for the entry */
	SCAN_HASH,          /* k-th stored hash differs from the computed one */
	SCAN_ERROR          /* SHA-256 itself failed */
};

struct scan_fail {
	enum scan_kind kind;
	uint64_t chunk, i, at, avail, end, actual, pos;
	unsigned k;
	bool empty;
	merkle_hash stored, computed;
};

struct map {
	const uint8_t *p;
	size_t len;
};

struct scan {
	struct map ent, off, hash;
	uint64_t size, nchunks;
	atomic_uint_fast64_t next; /* next chunk to claim */
	atomic_uint_fast64_t stop; /* lowest failing chunk so far */
};

struct worker {
	struct scan *s;
	struct scan_fail fail;
	pthread_t tid;
};

static int
map_fd(int fd, const char *name, struct map *m)
{
	struct stat st;
	void *p;

	m->p = NULL;
	m->len = 0;
	if (fstat(fd, &st) < 0)
		return error_errno("cannot stat '%s'", name);
	if (st.st_size == 0)
		return 0;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return error_errno("cannot map '%s'", name);
	(void)madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	/* Under ASan a new mapping can land where an earlier verify's worker
	 * stack was, with its redzones still poisoned in the shadow: memchr
	 * over the file then reads as a stack-buffer-underflow. The kernel
	 * just handed us these bytes, so they are addressable. */
	ASAN_UNPOISON_MEMORY_REGION(p, (size_t)st.st_size);
	m->p = p;
	m->len = (size_t)st.st_size;
	return 0;
}

static void
unmap(struct map *m)
{
	if (m->p != NULL)
		(void)munmap((void *)(uintptr_t)m->p, m->len);
	m->p = NULL;
}

static bool
sha256(const uint8_t *p, size_t len, merkle_hash out)
{
	SHA256_CTX x;

	return SHA256_Init(&x) == 1 && SHA256_Update(&x, p, len) == 1 &&
	       SHA256_Final(out, &x) == 1;
}

/* Checks the hashes entry i adds (its leaf and the nodes it completes),
 * stored from hash index hpos; `lb` is 0x00 followed by the entry. */
static bool
check_hashes(const struct scan *s, const uint8_t *lb, size_t lblen, uint64_t i,
    uint64_t hpos, struct scan_fail *f)
{
	uint8_t nb[1 + 2 * MERKLE_HASH_LEN];
	const uint8_t *stored;
	unsigned k;
	uint64_t q;

	for (k = 0; k == 0 || ((i >> (k - 1)) & 1) != 0; k++) {
		f->pos = (hpos + k) * MERKLE_HASH_LEN;
		f->k = k;
		if (f->pos + MERKLE_HASH_LEN > s->hash.len) {
			f->kind = SCAN_HASHES_SHORT;
			return false;
		}
		if (k == 0) {
			if (!sha256(lb, lblen, f->computed))
				goto fail;
		} else {
			/* Both children were checked before this node. */
			q = i >> k;
			nb[0] = 0x01;
			memcpy(nb + 1,
			    s->hash.p + merkle_stored_index(k - 1, 2 * q) *
			                    MERKLE_HASH_LEN,
			    MERKLE_HASH_LEN);
			memcpy(nb + 1 + MERKLE_HASH_LEN,
			    s->hash.p + f->pos - MERKLE_HASH_LEN,
			    MERKLE_HASH_LEN);
			if (!sha256(nb, sizeof(nb), f->computed))
				goto fail;
		}
		stored = s->hash.p + f->pos;
		if (memcmp(stored, f->computed, MERKLE_HASH_LEN) != 0) {
			memcpy(f->stored, stored, MERKLE_HASH_LEN);
			f->kind = SCAN_HASH;
			return false;
		}
	}
	return true;
fail:
	f->kind = SCAN_ERROR;
	return false;
}

/* Checks entries [j, e); false with f filled at the first problem. */
static bool
scan_chunk(const struct scan *s, uint8_t *lb, uint64_t j, uint64_t e,
    struct scan_fail *f)
{
	const uint8_t *p, *nl;
	uint64_t i, at, hpos;
	size_t len, lim;
	unsigned b;

	/* Entry j starts where offsets says j-1 ends: if that is wrong, an
	 * earlier chunk fails and its report wins. */
	if (j > 0 && j * 8 > s->off.len) {
		f->kind = SCAN_OFFSETS_SHORT; /* an earlier chunk reports it */
		f->i = j;
		return false;
	}
	at = j == 0 ? 0 : log_be64(s->off.p + (j - 1) * 8);
	hpos = merkle_stored_index(0, j);
	for (i = j; i < e; i++) {
		f->i = i;
		f->at = at;
		f->avail = at < s->ent.len ? s->ent.len - at : 0;
		lim = f->avail < LOG_ENTRY_MAX + 1 ? (size_t)f->avail
		                                   : LOG_ENTRY_MAX + 1;
		p = lim > 0 ? s->ent.p + at : NULL;
		nl = lim > 0 ? memchr(p, '\n', lim) : NULL;
		if (nl == NULL || nl == p) {
			f->kind = SCAN_FRAME;
			f->empty = nl != NULL;
			return false;
		}
		len = (size_t)(nl - p);
		f->pos = i * 8;
		if (f->pos + 8 > s->off.len) {
			f->kind = SCAN_OFFSETS_SHORT;
			return false;
		}
		f->end = log_be64(s->off.p + f->pos);
		f->actual = at + len + 1;
		if (f->end != f->actual) {
			f->kind = SCAN_OFFSET;
			return false;
		}
		memcpy(lb + 1, p, len);
		/* The hash covers the entry, not its commit framing. */
		if (!check_hashes(s, lb,
		        log_line_entry_len((const char *)p, len) + 1, i, hpos,
		        f))
			return false;
		/* Entry i stores its leaf plus one node per trailing 1 bit. */
		for (b = 0, hpos++; ((i >> b) & 1) != 0; b++)
			hpos++;
		at += (uint64_t)(nl - p) + 1;
	}
	return true;
}

static void
lower_stop(struct scan *s, uint64_t chunk)
{
	uint_fast64_t cur = atomic_load(&s->stop);

	while (
	    chunk < cur && !atomic_compare_exchange_weak(&s->stop, &cur, chunk))
		;
}

/* Claims chunks in increasing order until one fails: that one is then the
 * lowest failing chunk this worker could see. */
static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;
	uint8_t *lb = xmalloc(LOG_ENTRY_MAX + 1);
	uint64_t n, e;

	w->fail.kind = SCAN_OK;
	lb[0] = 0x00;
	for (;;) {
		n = atomic_fetch_add(&s->next, 1);
		if (n >= s->nchunks || n > atomic_load(&s->stop))
			break;
		e = (n + 1) * CHUNK_ENTRIES;
		if (scan_chunk(s, lb, n * CHUNK_ENTRIES,
		        e < s->size ? e : s->size, &w->fail)) {
			continue;
		}
		w->fail.chunk = n;
		lower_stop(s, n);
		break;
	}
	free(lb);
	return NULL;
}

static unsigned
thread_count(uint64_t nchunks)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > MAX_THREADS)
		n = MAX_THREADS;
	if ((uint64_t)n > nchunks)
		n = (long)nchunks;
	return n < 1 ? 1 : (unsigned)n;
}

/* Runs the workers; returns the first problem (kind SCAN_OK if none). */
static void
scan_all(struct scan *s, struct scan_fail *first)
{
	struct worker w[MAX_THREADS];
	unsigned nt = thread_count(s->nchunks), t, started = 0;

	memset(first, 0, sizeof(*first));
	for (t = 0; t < nt; t++) {
		memset(&w[t], 0, sizeof(w[t]));
		w[t].s = s;
	}
	/* Worker 0 runs here; if a thread cannot start, fewer do the work. */
	for (t = 1; t < nt; t++, started++)
		if (pthread_create(&w[t].tid, NULL, worker_run, &w[t]) != 0)
			break;
	worker_run(&w[0]);
	for (t = 1; t <= started; t++)
		(void)pthread_join(w[t].tid, NULL);
	for (t = 0; t <= started; t++)
		if (w[t].fail.kind != SCAN_OK &&
		    (first->kind == SCAN_OK || w[t].fail.chunk < first->chunk))
			*first = w[t].fail;
}

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
	if (map_fd(l->entries_fd, "entries", &s.ent) < 0 ||
	    map_fd(l->offsets_fd, "offsets", &s.off) < 0 ||
	    map_fd(l->hashes_fd, "hashes", &s.hash) < 0)
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
	unmap(&s.ent);
	unmap(&s.off);
	unmap(&s.hash);
	return ret;
}
