#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chaos.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "rules.h"

/*
 * Artifact and cache mutators. Order matters for rollback: back up, journal
 * the backup with the sha256 it must restore, then mutate. A kill at any
 * point leaves either an untouched file or a journaled backup.
 */

static const char *const mut_names[] = { "flip", "truncate", "zero", "delete" };

int
chaos_mutation_parse(const char *s, enum chaos_mutation *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mut_names); i++) {
		if (strcmp(s, mut_names[i]) == 0) {
			*out = (enum chaos_mutation)i;
			return 0;
		}
	}
	return error_msg(
	    "unknown mutation '%s' (flip, truncate, zero, delete)", s);
}

const char *
chaos_mutation_name(enum chaos_mutation m)
{
	return mut_names[m];
}

static int
sha_hex(const char *path, char out[65])
{
	uint8_t d[HASH_SHA256_LEN];

	if (hash_file(path, d, NULL) != 0)
		return -1;
	hash_hex(d, sizeof(d), out);
	return 0;
}

static int
copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in, out, rc = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return error_errno("cannot open '%s'", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		error_errno("cannot create backup '%s'", dst);
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (n == 0 && fsync(out) == 0)
		rc = 0;
	else
		error_errno("cannot back up '%s'", src);
	close(in);
	if (close(out) != 0)
		rc = -1;
	if (rc != 0)
		unlink(dst);
	return rc;
}

static int
apply(int fd, off_t size, enum chaos_mutation m, uint64_t r,
    struct chaos_mut_result *res)
{
	static const char zeros[4096];
	unsigned char c;
	off_t off;

	if (size == 0)
		return error_msg("cannot mutate an empty file");
	off = (off_t)(r % (uint64_t)size);
	switch (m) {
	case CHAOS_MUT_FLIP: {
		unsigned bit = (unsigned)((r >> 40) % 8);
		if (pread(fd, &c, 1, off) != 1)
			return error_errno(
			    "cannot read byte %lld", (long long)off);
		c ^= (unsigned char)(1u << bit);
		if (pwrite(fd, &c, 1, off) != 1)
			return error_errno(
			    "cannot write byte %lld", (long long)off);
		snprintf(res->desc, sizeof(res->desc), "flip byte %lld bit %u",
		    (long long)off, bit);
		break;
	}
	case CHAOS_MUT_TRUNCATE:
		if (ftruncate(fd, off) != 0)
			return error_errno("cannot truncate");
		snprintf(res->desc, sizeof(res->desc),
		    "truncate from %lld to %lld bytes", (long long)size,
		    (long long)off);
		break;
	case CHAOS_MUT_ZERO: {
		size_t len = 1 + (size_t)((r >> 20) % sizeof(zeros));
		if ((off_t)len > size - off)
			len = (size_t)(size - off);
		if (pwrite(fd, zeros, len, off) != (ssize_t)len)
			return error_errno("cannot zero range");
		snprintf(res->desc, sizeof(res->desc), "zero %zu bytes at %lld",
		    len, (long long)off);
		break;
	}
	default:
		break;
	}
	if (fsync(fd) != 0)
		return error_errno("cannot fsync");
	return 0;
}

int
chaos_mutate_file(struct chaos_journal *j, const char *state_dir,
    const char *given, enum chaos_mutation m, uint64_t seed, uint64_t idx,
    struct chaos_mut_result *res)
{
	char *backup = NULL, path[PATH_MAX];
	struct stat st;
	int fd = -1, rc = -1;
	uint64_t r = chaos_draw(seed, 0x6d7574ULL, idx, 0);

	memset(res, 0, sizeof(*res));
	/* the journal holds absolute paths: a rollback may run elsewhere */
	if (realpath(given, path) == NULL)
		return error_errno("cannot resolve '%s'", given);
	if (lstat(path, &st) != 0)
		return error_errno("cannot stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return error_msg("'%s' is not a regular file", path);
	if (sha_hex(path, res->before) != 0)
		return -1;
	backup = xasprintf("%s/bak-%d-%llu", state_dir, (int)getpid(),
	    (unsigned long long)idx);
	if (copy_file(path, backup) != 0)
		goto out;
	if (chaos_journal_add(j, "backup", path, backup, res->before) != 0) {
		unlink(backup);
		goto out;
	}
	if (m == CHAOS_MUT_DELETE) {
		if (unlink(path) != 0) {
			error_errno("cannot delete '%s'", path);
			goto out;
		}
		snprintf(res->desc, sizeof(res->desc), "delete");
		rc = 0;
		goto out;
	}
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		error_errno("cannot open '%s'", path);
		goto out;
	}
	if (apply(fd, st.st_size, m, r, res) != 0)
		goto out;
	if (sha_hex(path, res->after) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(backup);
	return rc;
}

int
chaos_move_aside(struct chaos_journal *j, const char *given, uint64_t seed)
{
	char *aside, dir[PATH_MAX];
	struct stat st;
	int rc = -1;

	if (realpath(given, dir) == NULL)
		return error_errno("cannot resolve '%s'", given);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return error_msg("'%s' is not a directory", dir);
	aside = xasprintf("%s.chaos-aside-%d-%llu", dir, (int)getpid(),
	    (unsigned long long)(seed % 100000));
	if (chaos_journal_add(j, "moved", dir, aside, NULL) != 0)
		goto out;
	if (rename(dir, aside) != 0) {
		error_errno("cannot move '%s' aside", dir);
		goto out;
	}
	if (mkdir(dir, st.st_mode & 07777) != 0) {
		error_errno("cannot recreate '%s'", dir);
		goto out;
	}
	rc = 0;
out:
	free(aside);
	return rc;
}
