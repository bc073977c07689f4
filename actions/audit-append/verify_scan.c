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

#include "common/log.h"
#include "common/xalloc.h"
#include "log_store.h"
#include "log_tail.h"
#include "sha256_many.h"
#include "verify_scan_int.h"

struct worker {
	struct scan *s;
	struct scan_fail fail;
	pthread_t tid;
};

int
scan_map_fd(int fd, const char *name, struct map *m)
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

void
scan_unmap(struct map *m)
{
	if (m->p != NULL)
		(void)munmap((void *)(uintptr_t)m->p, m->len);
	m->p = NULL;
}

/* log_be64, inlined in the per-entry loop. */
static inline uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* A hash to check: message, where its stored value is, and what a report
 * of a mismatch needs. */
struct job {
	const uint8_t *stored;
	uint64_t i, at, pos;
	unsigned k;
};

/* Hashes are independent (each node is checked against its two stored
 * children), so a worker queues them and hashes many at once. An entry
 * adds at most 64 (its leaf and one node per trailing 1 bit). */
#define QUEUE_FLUSH 64
#define QUEUE_CAP (QUEUE_FLUSH + 64)

struct queue {
	struct sha256_parts m[QUEUE_CAP];
	struct job job[QUEUE_CAP];
	uint8_t out[QUEUE_CAP][MERKLE_HASH_LEN];
	size_t n;
	bool many; /* sha256_many is faster than OpenSSL here */
};

static const uint8_t leaf_prefix = 0x00, node_prefix = 0x01;

static bool
openssl_sha256(const struct sha256_parts *m, uint8_t out[MERKLE_HASH_LEN])
{
	SHA256_CTX x;
	unsigned i;

	if (SHA256_Init(&x) != 1)
		return false;
	for (i = 0; i < 3; i++)
		if (m->n[i] > 0 && SHA256_Update(&x, m->p[i], m->n[i]) != 1)
			return false;
	return SHA256_Final(out, &x) == 1;
}

/* Hashes the queued jobs and compares them in queue order; false with f
 * describing the first mismatch. Empties the queue. */
static bool
flush(struct queue *q, struct scan_fail *f)
{
	const struct job *j;
	size_t n = q->n, t;

	q->n = 0;
	if (q->many)
		sha256_many(q->m, n, q->out);
	else
		for (t = 0; t < n; t++)
			if (!openssl_sha256(&q->m[t], q->out[t])) {
				f->kind = SCAN_ERROR;
				return false;
			}
	for (t = 0; t < n; t++) {
		j = &q->job[t];
		if (memcmp(j->stored, q->out[t], MERKLE_HASH_LEN) == 0)
			continue;
		f->kind = SCAN_HASH;
		f->i = j->i;
		f->at = j->at;
		f->pos = j->pos;
		f->k = j->k;
		memcpy(f->stored, j->stored, MERKLE_HASH_LEN);
		memcpy(f->computed, q->out[t], MERKLE_HASH_LEN);
		return false;
	}
	return true;
}

/* Queues the hashes entry i (`len` bytes at p) adds, its leaf and the
 * nodes it completes, stored from hash index hpos; false with f filled if
 * 'hashes' ends first. */
static bool
queue_entry(const struct scan *s, struct queue *q, const uint8_t *p, size_t len,
    uint64_t i, uint64_t at, uint64_t hpos, struct scan_fail *f)
{
	struct sha256_parts *m;
	struct job *j;
	uint64_t pos;
	unsigned k;

	for (k = 0; k == 0 || ((i >> (k - 1)) & 1) != 0; k++) {
		pos = (hpos + k) * MERKLE_HASH_LEN;
		if (pos + MERKLE_HASH_LEN > s->hash.len) {
			f->kind = SCAN_HASHES_SHORT;
			f->pos = pos;
			f->k = k;
			return false;
		}
		m = &q->m[q->n];
		j = &q->job[q->n++];
		j->stored = s->hash.p + pos;
		j->i = i;
		j->at = at;
		j->pos = pos;
		j->k = k;
		if (k == 0) {
			m->p[0] = &leaf_prefix;
			m->p[1] = p;
			m->n[1] = len;
			m->n[2] = 0;
		} else {
			/* 0x01 || left || right. Storage is post-order: the
			 * right child is stored just before this node and its
			 * subtree (2^k - 1 hashes) just after the left child,
			 * so this is merkle_stored_index(k - 1, 2 * (i >> k)).
			 */
			m->p[0] = &node_prefix;
			m->p[1] = s->hash.p + (hpos + k - ((uint64_t)1 << k)) *
			                          MERKLE_HASH_LEN;
			m->n[1] = MERKLE_HASH_LEN;
			m->p[2] = s->hash.p + pos - MERKLE_HASH_LEN;
			m->n[2] = MERKLE_HASH_LEN;
		}
		m->n[0] = 1;
	}
	return true;
}

/* Checks entries [j, e); false with f filled at the first problem. */
static bool
scan_chunk(const struct scan *s, struct queue *q, uint64_t j, uint64_t e,
    struct scan_fail *f)
{
	const uint8_t *p, *nl;
	uint64_t i, at, hpos;
	size_t len, lim;
	unsigned b;

	q->n = 0;
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
			goto fail;
		}
		len = (size_t)(nl - p);
		f->pos = i * 8;
		if (f->pos + 8 > s->off.len) {
			f->kind = SCAN_OFFSETS_SHORT;
			goto fail;
		}
		f->end = be64(s->off.p + f->pos);
		f->actual = at + len + 1;
		if (f->end != f->actual) {
			f->kind = SCAN_OFFSET;
			goto fail;
		}
		/* The hash covers the entry, not its commit framing. */
		if (!queue_entry(s, q, p,
		        log_line_entry_len((const char *)p, len), i, at, hpos,
		        f))
			goto fail;
		if (q->n >= QUEUE_FLUSH && !flush(q, f))
			return false;
		/* Entry i stores its leaf plus one node per trailing 1 bit. */
		for (b = 0, hpos++; ((i >> b) & 1) != 0; b++)
			hpos++;
		at += (uint64_t)(nl - p) + 1;
	}
	return flush(q, f);
fail:
	/* A queued hash of an earlier entry that is wrong comes first. */
	(void)flush(q, f);
	return false;
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
	struct queue *q = xcalloc(1, sizeof(*q));
	uint64_t n, e;

	w->fail.kind = SCAN_OK;
	q->many = sha256_many_fast();
	for (;;) {
		n = atomic_fetch_add(&s->next, 1);
		if (n >= s->nchunks || n > atomic_load(&s->stop))
			break;
		e = (n + 1) * CHUNK_ENTRIES;
		if (scan_chunk(s, q, n * CHUNK_ENTRIES,
		        e < s->size ? e : s->size, &w->fail)) {
			continue;
		}
		w->fail.chunk = n;
		lower_stop(s, n);
		break;
	}
	free(q);
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

void
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
