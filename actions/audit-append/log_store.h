#ifndef AUDIT_LOG_STORE_H
#define AUDIT_LOG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "merkle.h"

/*
 * The on-disk log, a directory:
 *
 *   format        "bulwark-audit-log 1\n" (identifies the directory)
 *   entries       the entries, one per line (canonical JSON has no raw
 *                 newline), so the file is JSON Lines readable by jq; lines
 *                 inside a multi-entry commit end in " \n" (log_tail.h)
 *   offsets       u64 big-endian end offset (after the '\n') per entry
 *   hashes        the Merkle tree: leaf hashes and completed subtree roots
 *                 in stored order (merkle_stored_index), 32 bytes each
 *   checkpoint    latest signed checkpoint; checkpoints/<size> keeps each
 *   lock          flock: exclusive for appends, shared for readers
 *
 * Append is O(1) amortised (one write per file) and any proof or root is
 * O(log n) preads of `hashes`.
 *
 * Commit protocol (research/tlog.md §6): `entries` is the source of truth.
 * An append writes its lines and fdatasyncs `entries` once; that is the
 * commit, and the only sync an append pays. `offsets` and `hashes` are
 * an index derived from `entries`, written after it without a sync (and
 * computed while its data is in flight), so they may lag behind it
 * (never run ahead) after a crash. A writer's open indexes complete
 * commits found past the index (after syncing them) and cuts a torn tail,
 * with a warning, unless that would cut below the last signed checkpoint;
 * readers see the indexed size. A directory sync is
 * paid only while the log is empty (by any writer that finds it so, not
 * only by the one that created the files). fsync errors are returned as
 * errors and never retried.
 */
#define LOG_ENTRY_MAX ((size_t)65535) /* tlog-tiles bundles use uint16 */

/* LOG_LENIENT: open even if the files disagree (for verify). */
enum {
	LOG_CREATE = 1 << 0,
	LOG_WRITE = 1 << 1,
	LOG_LENIENT = 1 << 2
};

struct log_store {
	char *dir;
	int lock_fd;
	int entries_fd, offsets_fd, hashes_fd;
	uint64_t size;        /* committed entries */
	uint64_t entries_end; /* bytes of committed entries */
	uint64_t signed_size; /* size in `checkpoint`, 0 without one */
	uint64_t torn_bytes;  /* bytes past the index seen at open */
	uint64_t indexed;     /* entries indexed at open (lagging index) */
	merkle_hash root;     /* root at `size` if root_ok (set by appends) */
	bool root_ok;
};
#define LOG_STORE_INIT                                                         \
	{                                                                      \
		NULL, -1, -1, -1, -1, 0, 0, 0, 0, 0, { 0 }, false              \
	}

/* Opens (and with LOG_CREATE creates) dir. With LOG_WRITE it takes the
 * exclusive lock until log_store_close and repairs a torn tail. */
int log_store_open(struct log_store *l, const char *dir, unsigned flags);
void log_store_close(struct log_store *l);

/*
 * Appends n entries (concatenated in data, lengths in lens) durably as one
 * commit. Each must be 1..LOG_ENTRY_MAX bytes without '\n'. On success
 * *first is the index of the first one and leaf (if not NULL, n hashes)
 * receives the leaf hashes.
 */
int log_store_append(struct log_store *l, const char *data, const size_t *lens,
    size_t n, uint64_t *first, merkle_hash *leaf);

/* A merkle_src over the stored hashes of the committed tree. */
void log_store_src(struct log_store *l, struct merkle_src *s);
int log_store_root(struct log_store *l, uint64_t size, merkle_hash out);
/* Entry i (without '\n') into out; *offset (if not NULL) its byte offset. */
int log_store_entry(
    struct log_store *l, uint64_t i, struct buf *out, uint64_t *offset);

/* Path of a file in the log directory; caller frees. */
char *log_store_path(const struct log_store *l, const char *name);

/* Helpers shared with verify: full pread/pwrite, -1 with a message. */
int log_pread(int fd, void *buf, size_t len, uint64_t off, const char *what);
uint64_t log_be64(const uint8_t *p);

#endif
