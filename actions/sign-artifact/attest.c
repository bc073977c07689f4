#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "common/exitcode.h"
#include "common/gha.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "digest.h"
#include "dsse.h"
#include "sign.h"
#include "signer.h"
#include "statement.h"

#define PREDICATE_MAX ((size_t)16 << 20)

/* A JSON string literal for s; caller frees. */
static char *
json_quote(const char *s)
{
	cJSON *j = cJSON_CreateString(s);
	char *out = json_print(j);

	cJSON_Delete(j);
	return out;
}

/* Builds the statement (provenance or a given predicate) over items. */
static int
build_statement(const struct sign_opts *o, const struct keyless *kl,
    const struct digest_item *items, size_t n, struct buf *out)
{
	struct prov_claims c;
	cJSON *pred = NULL, *st = NULL;
	const char *type = o->predicate_type;
	int rc = -1;

	if (o->provenance) {
		prov_claims_from_env(&c);
		if (kl != NULL && kl->claims != NULL)
			prov_claims_from_token(&c, kl->claims);
		if (provenance_predicate(&c, &pred) < 0)
			return -1;
		type = SLSA_PROVENANCE_V1;
	} else if (json_load_file(o->predicate, PREDICATE_MAX, &pred) < 0) {
		return -1;
	}
	if (statement_build(items, n, type, pred, &st) < 0)
		return -1;
	rc = statement_serialize(st, out);
	cJSON_Delete(st);
	return rc;
}

static void
summary_attest(const struct sign_opts *o, const struct digest_item *items,
    size_t n, const char *outp)
{
	struct buf md = BUF_INIT(0);
	char hex[65];
	size_t i;

	buf_addf(&md,
	    "### sign-artifact attest\n\n`%s` over %zu subject%s, %s, "
	    "bundle `%s`\n\n| subject | sha256 |\n|---|---|\n",
	    o->provenance ? SLSA_PROVENANCE_V1 : o->predicate_type, n,
	    n == 1 ? "" : "s", o->keyless ? "keyless" : "keyed", outp);
	for (i = 0; i < n && i < 100; i++) {
		hash_hex(items[i].sha256, 32, hex);
		buf_addf(&md, "| `%s` | `%.16s…` |\n", items[i].path, hex);
	}
	gha_summary_append(md.data);
	buf_release(&md);
}

static int
attest_check(const struct sign_opts *o)
{
	if (o->provenance && (o->predicate || o->predicate_type))
		return error_msg("--provenance excludes --predicate and "
		                 "--predicate-type");
	if (!o->provenance && (!o->predicate || !o->predicate_type))
		return error_msg("give --provenance, or --predicate-type URI "
		                 "and --predicate FILE");
	return 0;
}

int
attest_run(const struct sign_opts *o, int argc, char **argv)
{
	struct strlist paths = STRLIST_INIT;
	struct digest_item *items = NULL;
	struct buf st = BUF_INIT(PREDICATE_MAX + (1 << 20)), pae = BUF_INIT(0);
	struct buf sig = BUF_INIT(0), hint = BUF_INIT(0);
	struct bundle_material m;
	struct tlog_entry e;
	struct signer s;
	cJSON *json = NULL, *env = NULL;
	char *text = NULL, *envtext = NULL, *quoted = NULL;
	const char *outp = o->output ? o->output : "attestation.sigstore.json";
	int rc = RC_USAGE;

	memset(&s, 0, sizeof(s));
	tlog_entry_init(&e);
	if (attest_check(o) < 0 || expand_operands(argc, argv, &paths) < 0)
		goto out;
	if (o->keyless == (o->key != NULL)) {
		error_msg("give exactly one of --key FILE or --keyless");
		goto out;
	}
	rc = RC_FAIL;
	if ((items = hash_all(&paths, o->jobs)) == NULL ||
	    signer_open(&s, o) < 0 ||
	    build_statement(o, s.keyless ? &s.kl : NULL, items, paths.nr, &st) <
	        0 ||
	    dsse_pae(&pae, DSSE_INTOTO_TYPE, st.data, st.len) < 0 ||
	    sign_key_sign(signer_key(&s), pae.data, pae.len, &sig) < 0)
		goto out;
	material_init(&m, &s, &hint);
	if (s.keyless) {
		env = dsse_envelope_json(
		    DSSE_INTOTO_TYPE, st.data, st.len, sig.data, sig.len);
		envtext = json_print(env);
		if (keyless_log_dsse(&s.kl, envtext, &e) < 0)
			goto out;
		m.tlog = &e;
	}
	json = bundle_dsse_json(
	    &m, DSSE_INTOTO_TYPE, st.data, st.len, sig.data, sig.len);
	text = json_print(json);
	if (o->dry_run) {
		printf("%s\n", st.data);
		rc = RC_OK;
		goto out;
	}
	if (self_check(&s, text, items[0].path, items[0].sha256) < 0 ||
	    write_replace(outp, text, strlen(text), 0644) < 0)
		goto out;
	if (o->json) {
		quoted = json_quote(outp);
		printf("{\"bundle\":%s,\"subjects\":%zu}\n", quoted, paths.nr);
	} else
		printf("attestation over %zu subject%s -> %s\n", paths.nr,
		    paths.nr == 1 ? "" : "s", outp);
	gha_set_output("bundle-path", outp);
	if (gha_active())
		summary_attest(o, items, paths.nr, outp);
	rc = RC_OK;
out:
	free(text);
	free(envtext);
	free(quoted);
	cJSON_Delete(json);
	cJSON_Delete(env);
	tlog_entry_release(&e);
	signer_close(&s);
	buf_release(&st);
	buf_release(&pae);
	buf_release(&sig);
	buf_release(&hint);
	free(items);
	strlist_release(&paths);
	return rc;
}

int
provenance_run(const struct sign_opts *o, int argc, char **argv)
{
	struct strlist paths = STRLIST_INIT;
	struct digest_item *items = NULL;
	struct buf st = BUF_INIT(0);
	struct sign_opts po = *o;
	int rc = RC_USAGE;

	po.provenance = true;
	po.predicate = po.predicate_type = NULL;
	if (expand_operands(argc, argv, &paths) < 0)
		goto out;
	rc = RC_FAIL;
	if ((items = hash_all(&paths, o->jobs)) == NULL ||
	    build_statement(&po, NULL, items, paths.nr, &st) < 0)
		goto out;
	printf("%s\n", st.data);
	rc = RC_OK;
out:
	buf_release(&st);
	free(items);
	strlist_release(&paths);
	return rc;
}
