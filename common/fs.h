#ifndef BULWARK_FS_H
#define BULWARK_FS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/compat.h"

/*
 * File helpers whose writes either happen whole or not at all.
 *
 * fs_write_atomic: temp file in the same directory (mkstemp), write, fsync,
 * rename over path, fsync the directory. On any error the temp file is
 * removed and path is untouched. While it exists the temp file is
 * registered for removal on SIGINT/SIGTERM/SIGHUP and at exit.
 *
 * fs_append: O_APPEND (creating with `mode` if FS_CREATE), one write per
 * call; FS_LOCK takes an exclusive flock on the file for the write; FS_SYNC
 * fsyncs before returning. A short write is an error and is rolled back
 * with ftruncate to the old length while the lock is held.
 */
enum {
	FS_LOCK = 1 << 0,
	FS_SYNC = 1 << 1,
	FS_CREATE = 1 << 2,
};

/* Reads the whole file into out (appending); more than max bytes is an
 * error naming the file. path "-" reads stdin. */
int fs_read_file(const char *path, size_t max, struct buf *out);
int fs_write_atomic(
    const char *path, const void *data, size_t len, mode_t mode);
int fs_append(const char *path, const void *data, size_t len, unsigned flags,
    mode_t mode);
/* mkdir -p; existing directories are fine. Each directory it creates is
 * made durable: its parent is fsynced after the mkdir. */
int fs_mkdirs(const char *path, mode_t mode);
int fs_fsync_dir(const char *dir);
/* fsync the directory that holds path (its entry for path's last part). */
int fs_fsync_parent(const char *path);
bool fs_exists(const char *path);

/* An exclusive (or shared) whole-file lock held until fs_lock_release. */
struct fs_lock {
	int fd;
};
#define FS_LOCK_INIT                                                           \
	{                                                                      \
		-1                                                             \
	}
int fs_lock_acquire(struct fs_lock *l, const char *path, bool exclusive);
void fs_lock_release(struct fs_lock *l);

/*
 * Temp files that are removed on signals and at exit unless kept.
 * path is owned by the struct.
 */
struct fs_temp {
	char *path;
	int fd;
};
#define FS_TEMP_INIT                                                           \
	{                                                                      \
		NULL, -1                                                       \
	}
int fs_temp_create(struct fs_temp *t, const char *dir, const char *prefix);
/* Close and unlink. */
void fs_temp_release(struct fs_temp *t);
/* fsync + rename to dest + fsync dir; t no longer owns a file. */
int fs_temp_commit(struct fs_temp *t, const char *dest);

#endif
