#include "common/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "note.h"

void
aa_opts_release(struct aa_opts *o)
{
	strlist_release(&o->fields);
	strlist_release(&o->keys);
	strlist_release(&o->witness_keys);
	strlist_release(&o->checkpoints);
}

static void
trim(struct buf *b)
{
	while (b->len > 0 &&
	       (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r' ||
	           b->data[b->len - 1] == ' '))
		buf_truncate(b, b->len - 1);
}

int
aa_load_signer(const char *path, struct note_signer *s)
{
	struct buf b = BUF_INIT(0); /* fs_read_file caps it */
	const char *env = getenv("AUDIT_APPEND_SIGNING_KEY");
	int ret = -1;

	if (path == NULL && env != NULL && *env != 0) {
		gha_mask(env);
		if (buf_adds(&b, env) < 0)
			goto out;
	} else if (path == NULL) {
		error_msg("no signer key: give --key FILE or set "
		          "AUDIT_APPEND_SIGNING_KEY");
		goto out;
	} else if (fs_read_file(path, 4096, &b) < 0)
		goto out;
	trim(&b);
	if (note_signer_parse(s, b.data) < 0) {
		error_msg("cannot use signer key '%s'",
		    path ? path : "$AUDIT_APPEND_SIGNING_KEY");
		goto out;
	}
	ret = 0;
out:
	memset(b.data, 0, b.len);
	buf_release(&b);
	return ret;
}

int
aa_load_verifiers(
    const struct strlist *keys, struct note_verifier **out, size_t *n)
{
	struct note_verifier *v;
	struct buf b = BUF_INIT(0); /* fs_read_file caps it */
	size_t i;
	int ret = -1;

	*n = 0;
	v = xcalloc(keys->nr + 1, sizeof(*v));
	for (i = 0; i < keys->nr; i++) {
		buf_reset(&b);
		if (fs_exists(keys->items[i])) {
			if (fs_read_file(keys->items[i], 4096, &b) < 0)
				goto out;
		} else if (buf_adds(&b, keys->items[i]) < 0)
			goto out;
		trim(&b);
		if (note_verifier_parse(&v[i], b.data) < 0) {
			error_msg(
			    "cannot use verifier key '%s'", keys->items[i]);
			goto out;
		}
		(*n)++;
	}
	ret = 0;
out:
	buf_release(&b);
	if (ret < 0) {
		aa_free_verifiers(v, *n);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return ret;
}

void
aa_free_verifiers(struct note_verifier *v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		note_verifier_release(&v[i]);
	free(v);
}

int
aa_parse_u64(const char *what, const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s == NULL || *s < '0' || *s > '9')
		return error_msg(
		    "invalid %s '%s': expected a number", what, s ? s : "");
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != 0 || v > INT64_MAX)
		return error_msg("invalid %s '%s': expected a number", what, s);
	*out = v;
	return 0;
}

/*
 * Proofs and copies of checkpoints can be regenerated from the log, so they
 * are replaced atomically (temp file + rename) but not fsynced: an fsync
 * here would cost more than computing the proof.
 */
static int
write_replace(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	size_t off = 0;
	ssize_t n;
	int fd, ret = -1;

	fd = mkstemp(tmp);
	if (fd < 0) {
		error_errno("cannot create a temporary file beside '%s'", path);
		goto out;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_errno("cannot write '%s'", tmp);
			goto out;
		}
		off += (size_t)n;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		error_errno("cannot write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_errno("cannot rename '%s' to '%s'", tmp, path);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (ret < 0)
		(void)unlink(tmp);
	free(tmp);
	return ret;
}

int
aa_write_output(const char *path, const char *data, size_t len)
{
	if (path == NULL || strcmp(path, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return error_errno("cannot write to stdout");
		return 0;
	}
	return write_replace(path, data, len);
}

int
aa_need_log(const char *dir)
{
	char *p = xasprintf("%s/format", dir);
	bool ok = fs_exists(p);

	free(p);
	if (!ok)
		return error_msg(
		    "'%s' is not an audit log (no 'format' file)", dir);
	return 0;
}
