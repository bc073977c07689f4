#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "checksums.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "digest.h"
#include "sign.h"
#include "signer.h"

int
keygen_run(const char *type, const char *prefix, bool force)
{
	struct sign_key k = SIGN_KEY_INIT;
	struct buf priv = BUF_INIT(0), pub = BUF_INIT(0);
	enum key_type t = KEY_ECDSA_P256;
	const char *pw = getenv(SIGN_PASSPHRASE_ENV);
	char *kp = NULL, *pp = NULL;
	int rc = RC_USAGE;

	if (prefix == NULL || *prefix == '\0') {
		error_msg("keygen needs --out PREFIX");
		goto out;
	}
	if (type != NULL && key_type_parse(type, &t) < 0)
		goto out;
	kp = xasprintf("%s.key", prefix);
	pp = xasprintf("%s.pub", prefix);
	if (!force && (fs_exists(kp) || fs_exists(pp))) {
		error_msg("refusing to overwrite '%s' (use --force)", kp);
		goto out;
	}
	rc = RC_FAIL;
	if (sign_key_generate(&k, t) < 0 ||
	    sign_key_private_pem(&k, pw, &priv) < 0 ||
	    sign_key_public_pem(&k, &pub) < 0 ||
	    fs_write_atomic(kp, priv.data, priv.len, 0600) < 0 ||
	    fs_write_atomic(pp, pub.data, pub.len, 0644) < 0)
		goto out;
	printf("private key: %s (%s%s)\npublic key: %s\n", kp, key_type_name(t),
	    pw && *pw ? ", encrypted" : "", pp);
	gha_set_output("public-key", pp);
	rc = RC_OK;
out:
	if (priv.len)
		memset(priv.data, 0, priv.len);
	buf_release(&priv);
	buf_release(&pub);
	sign_key_release(&k);
	free(kp);
	free(pp);
	return rc;
}

static int
sign_one(struct signer *s, const struct digest_item *it, const char *bpath,
    const struct bundle_material *base)
{
	const struct sign_key *k = signer_key(s);
	struct bundle_material m = *base;
	struct buf sig = BUF_INIT(0),
	           data = BUF_INIT(READ_CAP(ED25519_MSG_MAX));
	struct tlog_entry e;
	cJSON *json = NULL;
	char *text = NULL;
	int rc = -1;

	tlog_entry_init(&e);
	if (k->type == KEY_ECDSA_P256) {
		if (sign_key_sign_digest(k, it->sha256, &sig) < 0)
			goto out;
	} else if (fs_read_file(it->path, ED25519_MSG_MAX, &data) < 0 ||
	           sign_key_sign(k, data.data, data.len, &sig) < 0) {
		goto out;
	}
	if (s->keyless) {
		if (keyless_log_hashedrekord(
		        &s->kl, it->sha256, sig.data, sig.len, &e) < 0)
			goto out;
		m.tlog = &e;
	}
	json = bundle_message_json(&m, it->sha256, sig.data, sig.len);
	text = json_print(json);
	if (self_check(s, text, it->path, it->sha256) < 0 ||
	    write_replace(bpath, text, strlen(text), 0644) < 0)
		goto out;
	rc = 0;
out:
	free(text);
	cJSON_Delete(json);
	buf_release(&sig);
	buf_release(&data);
	tlog_entry_release(&e);
	return rc;
}

/* Two artifacts with one base name must not share a --bundle-dir file. */
static int
check_unique(const struct strlist *bundles)
{
	struct strlist sorted = STRLIST_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < bundles->nr; i++)
		strlist_push(&sorted, bundles->items[i]);
	strlist_sort(&sorted);
	for (i = 1; i < sorted.nr && rc == 0; i++)
		if (strcmp(sorted.items[i - 1], sorted.items[i]) == 0)
			rc = error_msg(
			    "two artifacts would write '%s'", sorted.items[i]);
	strlist_release(&sorted);
	return rc;
}

/* Names in SHA256SUMS are relative to the file's own directory. */
static int
write_checksums(const char *path, const struct digest_item *items, size_t n)
{
	struct digest_item *rel = xcalloc(n, sizeof(*rel));
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0, i;
	struct buf out = BUF_INIT(0);
	int rc = -1;

	for (i = 0; i < n; i++) {
		rel[i] = items[i];
		if (dl > 0 && strncmp(items[i].path, path, dl) == 0)
			rel[i].path = items[i].path + dl;
	}
	if (checksums_format(rel, n, &out) == 0)
		rc = fs_write_atomic(path, out.data, out.len, 0644);
	buf_release(&out);
	free(rel);
	return rc;
}

static void
report_sign(const struct sign_opts *o, const struct digest_item *items,
    size_t n, const struct strlist *bundles)
{
	struct buf paths = BUF_INIT(0), sums = BUF_INIT(0), md = BUF_INIT(0);
	char hex[65];
	size_t i;
	cJSON *arr = cJSON_CreateArray();
	char *s;

	checksums_format(items, n, &sums);
	buf_adds(&md, "### sign-artifact\n\n| artifact | sha256 | bundle |\n"
	              "|---|---|---|\n");
	for (i = 0; i < n; i++) {
		cJSON *e = cJSON_CreateObject();

		hash_hex(items[i].sha256, 32, hex);
		buf_addf(&paths, "%s%s", i ? "\n" : "", bundles->items[i]);
		buf_addf(&md, "| `%s` | `%.16s…` | `%s` |\n", items[i].path,
		    hex, bundles->items[i]);
		cJSON_AddStringToObject(e, "artifact", items[i].path);
		cJSON_AddStringToObject(e, "sha256", hex);
		cJSON_AddStringToObject(e, "bundle", bundles->items[i]);
		cJSON_AddItemToArray(arr, e);
		if (!o->json)
			printf("%s  %s -> %s\n", hex, items[i].path,
			    bundles->items[i]);
	}
	if (o->json) {
		s = json_print(arr);
		printf("%s\n", s);
		free(s);
	}
	if (sums.len > 0 && sums.data[sums.len - 1] == '\n')
		buf_truncate(&sums, sums.len - 1);
	gha_set_output("bundle-paths", paths.data);
	gha_set_output("digests", sums.data);
	if (gha_active())
		gha_summary_append(md.data);
	cJSON_Delete(arr);
	buf_release(&paths);
	buf_release(&sums);
	buf_release(&md);
}

int
sign_run(const struct sign_opts *o, int argc, char **argv)
{
	struct strlist paths = STRLIST_INIT, bundles = STRLIST_INIT;
	struct digest_item *items = NULL;
	struct bundle_material m;
	struct buf hint = BUF_INIT(0);
	struct signer s;
	const char *sums = o->checksums ? o->checksums : "SHA256SUMS";
	size_t i;
	int rc = RC_USAGE;

	memset(&s, 0, sizeof(s));
	if (o->keyless == (o->key != NULL)) {
		error_msg("give exactly one of --key FILE or --keyless");
		goto out;
	}
	if (expand_operands(argc, argv, &paths) < 0)
		goto out;
	for (i = 0; i < paths.nr; i++)
		strlist_push_owned(
		    &bundles, bundle_path_for(paths.items[i], o->bundle_dir));
	if (check_unique(&bundles) < 0)
		goto out;
	rc = RC_FAIL;
	if ((items = hash_all(&paths, o->jobs)) == NULL)
		goto out;
	if (o->dry_run) {
		for (i = 0; i < paths.nr; i++)
			printf("would sign '%s' -> '%s'\n", paths.items[i],
			    bundles.items[i]);
		rc = RC_OK;
		goto out;
	}
	if (o->bundle_dir && *o->bundle_dir &&
	    fs_mkdirs(o->bundle_dir, 0755) < 0)
		goto out;
	if (signer_open(&s, o) < 0)
		goto out;
	material_init(&m, &s, &hint);
	for (i = 0; i < paths.nr; i++)
		if (sign_one(&s, &items[i], bundles.items[i], &m) < 0)
			goto out;
	if (*sums != '\0' && write_checksums(sums, items, paths.nr) < 0)
		goto out;
	report_sign(o, items, paths.nr, &bundles);
	rc = RC_OK;
out:
	signer_close(&s);
	buf_release(&hint);
	free(items);
	strlist_release(&paths);
	strlist_release(&bundles);
	return rc;
}
