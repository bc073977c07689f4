#include "common/compat.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "common/fs.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "cosig.h"
#include "verify.h"
#include "verify_scan.h"

static int
check_checkpoint(struct log_store *l, const struct verify_opts *o,
    const char *path, char **origin, struct verify_result *r, bool *found)
{
	struct buf b = BUF_INIT(NOTE_MAX_SIZE);
	struct checkpoint c = { 0 };
	merkle_hash root;
	char hx[65];
	int ret = 1;

	if (fs_read_file(path, NOTE_MAX_SIZE, &b) < 0) {
		ret = -1;
		goto out;
	}
	if (checkpoint_open(path, b.data, b.len, o->keys, o->nkeys, &c) < 0)
		goto out;
	if (o->nwitnesses > 0 && cosig_check(path, b.data, b.len, o->witnesses,
	                             o->nwitnesses, found, NULL) < 0)
		goto out;
	if (*origin == NULL)
		*origin = xstrdup(c.origin);
	else if (strcmp(*origin, c.origin) != 0) {
		error_msg(
		    "'%s': origin '%s' differs from '%s' (a checkpoint of "
		    "another log)",
		    path, c.origin, *origin);
		goto out;
	}
	if (c.size > r->size) {
		error_msg("'%s' signs %llu entries but the log has only %llu "
		          "(entries were deleted or truncated)",
		    path, (unsigned long long)c.size,
		    (unsigned long long)r->size);
		goto out;
	}
	if (log_store_root(l, c.size, root) < 0) {
		ret = -1;
		goto out;
	}
	if (memcmp(root, c.root, MERKLE_HASH_LEN) != 0) {
		hash_hex(root, 32, hx);
		error_msg(
		    "'%s': the log's first %llu entries have root %s, not "
		    "the signed one (history was rewritten after signing)",
		    path, (unsigned long long)c.size, hx);
		goto out;
	}
	if (c.size > r->signed_size)
		r->signed_size = c.size;
	r->checkpoints++;
	ret = 0;
out:
	checkpoint_release(&c);
	buf_release(&b);
	return ret;
}

static bool
same_file(const char *a, const char *b)
{
	struct buf x = BUF_INIT(0), y = BUF_INIT(0);
	bool same = fs_read_file(a, NOTE_MAX_SIZE, &x) == 0 &&
	            fs_read_file(b, NOTE_MAX_SIZE, &y) == 0 && x.len == y.len &&
	            memcmp(x.data, y.data, x.len) == 0;

	buf_release(&x);
	buf_release(&y);
	return same;
}

static int
check_all_checkpoints(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r)
{
	struct strlist files = STRLIST_INIT;
	char *dir = log_store_path(l, "checkpoints"), *origin = NULL, *latest;
	struct dirent *de;
	DIR *d;
	bool *found = xcalloc(o->nwitnesses + 1, sizeof(*found));
	size_t i;
	int ret = 0;

	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			strlist_push_owned(
			    &files, xasprintf("%s/%s", dir, de->d_name));
	if (d != NULL)
		(void)closedir(d);
	strlist_sort(&files);
	latest = log_store_path(l, "checkpoint");
	/* The latest is normally a copy of the newest history file: check it
	 * (it could be edited on its own) but count it once. */
	if (fs_exists(latest) &&
	    (files.nr == 0 || !same_file(latest, files.items[files.nr - 1])))
		strlist_push(&files, latest);
	for (i = 0; o->extra != NULL && o->extra[i] != NULL; i++)
		strlist_push(&files, o->extra[i]);
	for (i = 0; i < files.nr && ret == 0; i++)
		ret = check_checkpoint(l, o, files.items[i], &origin, r, found);
	for (i = 0; i < o->nwitnesses && ret == 0; i++) {
		if (found[i]) {
			r->cosigned++;
			continue;
		}
		error_msg("no checkpoint carries a cosignature from witness "
		          "'%s' (key %08x); pass the cosigned checkpoint with "
		          "--checkpoint",
		    o->witnesses[i].name, (unsigned)o->witnesses[i].id);
		ret = 1;
	}
	if (ret == 0 && r->checkpoints > 0 && o->nkeys == 0)
		warn_msg("checkpoint signatures were not checked: give the "
		         "log's verifier key with --key");
	free(found);
	free(origin);
	free(latest);
	free(dir);
	strlist_release(&files);
	return ret;
}

int
log_verify(
    struct log_store *l, const struct verify_opts *o, struct verify_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	rc = verify_scan(l, o->strict, r);
	if (rc != 0)
		return rc;
	return check_all_checkpoints(l, o, r);
}
