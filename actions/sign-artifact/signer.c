#include "common/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "common/fs.h"
#include "common/glob.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "digest.h"
#include "sign.h"
#include "signer.h"
#include "trust.h"
#include "verify.h"

char *
bundle_path_for(const char *artifact, const char *bundle_dir)
{
	const char *base = strrchr(artifact, '/');

	if (bundle_dir == NULL || *bundle_dir == '\0')
		return xasprintf("%s.sigstore.json", artifact);
	return xasprintf(
	    "%s/%s.sigstore.json", bundle_dir, base ? base + 1 : artifact);
}

/*
 * Replace path whole: temp file in the same directory, then rename. No
 * fsync: bundles can be regenerated, and 1000 fsyncs would dominate.
 */
int
write_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		error_errno("cannot create '%s'", tmp);
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			error_errno("cannot write '%s'", tmp);
			close(fd);
			unlink(tmp);
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		error_errno("cannot write '%s'", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

/* Operands are files or globs (inputs from action.yml arrive unexpanded). */
static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * glob_expand into a list that already holds a sentinel: common/glob.c
 * qsorts out->items + start, which is NULL for a still-empty list.
 */
static int
glob_one(const char *pattern, struct strlist *out)
{
	struct strlist tmp = STRLIST_INIT;
	size_t i;
	int rc;

	strlist_push(&tmp, "");
	rc = glob_expand(pattern, &tmp, 0);
	/* Bundles from an earlier run are not artifacts to sign again. */
	for (i = 1; rc >= 0 && i < tmp.nr; i++)
		if (!has_suffix(tmp.items[i], ".sigstore.json"))
			strlist_push(out, tmp.items[i]);
	strlist_release(&tmp);
	return rc < 0 ? -1 : 0;
}

int
expand_operands(int argc, char **argv, struct strlist *out)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strpbrk(argv[i], "*?[") == NULL) {
			strlist_push(out, argv[i]);
			continue;
		}
		if (glob_one(argv[i], out) < 0)
			return -1;
	}
	if (out->nr == 0)
		return error_msg("no artifacts to sign");
	return 0;
}

struct digest_item *
hash_all(const struct strlist *paths, long jobs)
{
	struct digest_item *items = xcalloc(paths->nr, sizeof(*items));
	size_t i;

	for (i = 0; i < paths->nr; i++)
		items[i].path = paths->items[i];
	if (digest_files(items, paths->nr, (int)jobs) < 0) {
		free(items);
		return NULL;
	}
	return items;
}

int
signer_open(struct signer *s, const struct sign_opts *o)
{
	memset(s, 0, sizeof(*s));
	keyless_init(&s->kl, &o->kl);
	if (o->keyless == (o->key != NULL))
		return error_msg("give exactly one of --key FILE or --keyless");
	if (o->trusted_root != NULL) {
		if (!o->keyless)
			return error_msg(
			    "--trusted-root checks keyless bundles; "
			    "it needs --keyless");
		if (trust_root_load(&s->root, o->trusted_root) < 0)
			return -1;
		s->has_root = true;
	}
	if (o->keyless) {
		s->keyless = true;
		return keyless_begin(&s->kl);
	}
	return sign_key_load_private(
	    &s->key, o->key, getenv(SIGN_PASSPHRASE_ENV));
}

/*
 * With --trusted-root, each keyless bundle goes through the same parser and
 * offline verifier users run, before it is written: a Rekor or Fulcio
 * answer that would not verify never becomes a file.
 */
int
self_check(const struct signer *s, const char *text, const char *artifact,
    const uint8_t d[32])
{
	struct verify_policy pol = { NULL, &s->root, NULL, NULL };
	struct bundle b;
	int rc;

	if (!s->has_root)
		return 0;
	bundle_init(&b);
	rc = bundle_parse(&b, text, strlen(text), "new bundle");
	if (rc == 0)
		rc = verify_bundle(&b, &pol, artifact, d);
	bundle_release(&b);
	if (rc < 0)
		return error_msg("not writing the bundle for '%s': it does not "
		                 "verify against the trusted root",
		    artifact);
	return 0;
}

const struct sign_key *
signer_key(const struct signer *s)
{
	return s->keyless ? &s->kl.key : &s->key;
}

void
signer_close(struct signer *s)
{
	sign_key_release(&s->key);
	keyless_release(&s->kl);
	if (s->has_root)
		trust_root_release(&s->root);
}

void
material_init(
    struct bundle_material *m, const struct signer *s, struct buf *hint)
{
	memset(m, 0, sizeof(*m));
	if (s->keyless) {
		m->cert_der = s->kl.cert_der.data;
		m->cert_len = s->kl.cert_der.len;
	} else {
		sign_key_hint(&s->key, hint);
		m->hint = hint->data;
	}
}
