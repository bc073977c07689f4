#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/base64.h"
#include "common/json.h"
#include "keyless.h"

static char *
make_jwt(const char *claims)
{
	struct buf b = BUF_INIT(0);

	buf_adds(&b, "eyJhbGciOiJFUzI1NiJ9."); /* {"alg":"ES256"} */
	base64url_encode(&b, claims, strlen(claims));
	buf_adds(&b, ".c2ln");
	return buf_detach(&b, NULL);
}

static void
test_jwt_claims(void **state)
{
	/* 2 bytes past a multiple of 3: the unpadded base64url form. */
	char *jwt =
	    make_jwt("{\"sub\":\"repo:o/r:ref:refs/heads/main\",\"n\":1}");
	cJSON *c = NULL;

	(void)state;
	assert_null(strchr(jwt, '='));
	assert_int_equal(jwt_decode_claims(jwt, &c), 0);
	assert_string_equal(
	    json_opt_str(c, "sub"), "repo:o/r:ref:refs/heads/main");
	cJSON_Delete(c);
	free(jwt);
	assert_int_equal(jwt_decode_claims("no-dots", &c), -1);
	assert_int_equal(jwt_decode_claims("a.!!!.c", &c), -1);
	assert_int_equal(jwt_decode_claims("a.bm90IGpzb24.c", &c), -1);
}

static void
check(const char *claims, const char *rekor, bool allow, int want)
{
	cJSON *c = NULL;

	assert_int_equal(json_parse(claims, strlen(claims), "t", &c), 0);
	assert_int_equal(keyless_check_visibility(c, rekor, allow), want);
	cJSON_Delete(c);
}

static void
test_visibility(void **state)
{
	const char *priv =
	    "{\"repository\":\"o/r\",\"repository_visibility\":\"private\"}";
	const char *intl =
	    "{\"repository\":\"o/r\",\"repository_visibility\":\"internal\"}";
	const char *pub =
	    "{\"repository\":\"o/r\",\"repository_visibility\":\"public\"}";

	(void)state;
	check(pub, NULL, false, 0);
	check(priv, NULL, false, -1);
	check(intl, "https://rekor.sigstore.dev", false, -1);
	check(priv, NULL, true, 0);
	check(priv, "https://rekor.internal.example", false, 0);
	check("{}", NULL, false, 0); /* not a GitHub token: no claim */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwt_claims),
		cmocka_unit_test(test_visibility),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
