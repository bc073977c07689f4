#include "common/compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "common/exitcode.h"
#include "common/fs.h"
#include "common/gha.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "sign.h"
#include "trust.h"
#include "verify.h"

static int
verify_usage(const struct verify_opts *o, int argc)
{
	if (argc != 1)
		return error_msg("verify takes exactly one ARTIFACT");
	if ((o->key != NULL) == (o->trusted_root != NULL))
		return error_msg("give exactly one of --key PUB or "
		                 "--trusted-root JSON");
	if (o->trusted_root != NULL &&
	    (o->identity == NULL || o->issuer == NULL))
		return error_msg("--trusted-root needs --certificate-identity "
		                 "and --certificate-oidc-issuer");
	return 0;
}

/* The first error, kept for --json while messages still reach stderr. */
static char first_error[512];

static void
capture_sink(enum log_level lvl, const char *msg, void *ctx)
{
	(void)ctx;
	if (lvl == LOG_ERROR && first_error[0] == '\0')
		snprintf(first_error, sizeof(first_error), "%s", msg);
	log_set_sink(NULL, NULL);
	if (lvl == LOG_ERROR)
		error_msg("%s", msg);
	else if (lvl == LOG_WARN)
		warn_msg("%s", msg);
	else
		info_msg("%s", msg);
	log_set_sink(capture_sink, NULL);
}

static void
print_result(const struct verify_opts *o, const char *artifact,
    const char *bundle, bool ok)
{
	cJSON *j;
	char *s;

	if (o->json) {
		j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "artifact", artifact);
		cJSON_AddStringToObject(j, "bundle", bundle);
		cJSON_AddBoolToObject(j, "verified", ok);
		if (!ok)
			cJSON_AddStringToObject(j, "error", first_error);
		s = json_print(j);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(j);
	} else if (ok) {
		printf("verified '%s' with '%s'\n", artifact, bundle);
	}
}

int
verify_run(const struct verify_opts *o, int argc, char **argv)
{
	struct sign_key key = SIGN_KEY_INIT;
	struct trust_root root;
	struct verify_policy pol = { NULL, NULL, o->identity, o->issuer };
	struct bundle b;
	struct buf text = BUF_INIT(READ_CAP(BUNDLE_MAX_SIZE));
	uint8_t d[32];
	char *bpath = NULL;
	int rc = RC_USAGE;

	memset(&root, 0, sizeof(root));
	bundle_init(&b);
	if (verify_usage(o, argc) < 0)
		goto out;
	first_error[0] = '\0';
	if (o->json)
		log_set_sink(capture_sink, NULL);
	bpath = o->bundle ? xstrdup(o->bundle) : bundle_path_for(argv[0], NULL);
	if (o->key != NULL) {
		if (sign_key_load_public(&key, o->key) < 0)
			goto out;
		pol.key = &key;
	} else {
		if (trust_root_load(&root, o->trusted_root) < 0)
			goto out;
		pol.root = &root;
	}
	rc = RC_FAIL;
	if (hash_file(argv[0], d, NULL) < 0 ||
	    fs_read_file(bpath, BUNDLE_MAX_SIZE, &text) < 0 ||
	    bundle_parse(&b, text.data, text.len, bpath) < 0 ||
	    verify_bundle(&b, &pol, argv[0], d) < 0) {
		print_result(o, argv[0], bpath, false);
		gha_set_output("verified", "false");
		goto out;
	}
	print_result(o, argv[0], bpath, true);
	gha_set_output("verified", "true");
	rc = RC_OK;
out:
	if (o->json)
		log_set_sink(NULL, NULL);
	sign_key_release(&key);
	trust_root_release(&root);
	bundle_release(&b);
	buf_release(&text);
	free(bpath);
	return rc;
}
