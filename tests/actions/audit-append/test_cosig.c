/* Witness cosignatures: a fixed known-answer vector made outside this code
 * (key id and message with Python's hashlib, Ed25519 with `openssl pkeyutl`
 * from the seed 100..131), then tampering. cosig.py does the same live. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "cosig.h"
#include "note.h"
#include "tmpdir.h"

#define WKEY                                                                   \
	"witness.example/kat+f65a942f+"                                        \
	"BAu8NGpXZnw4ASC9nH/X5R0sX9/qN80vW/QFssa/by14"
#define TEXT                                                                   \
	"example.com/kat\n5\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
#define COSIG                                                                  \
	"\xe2\x80\x94 witness.example/kat "                                    \
	"9lqULwAAAABpVbkABObItf/zxX92mPgLY9UQI87y6W/YiAW/SK0mRQMuUhInnmIk/"    \
	"ExNbPYUP2Sr4TwrpJXNwjby88Ik7YCphnByBg==\n"
#define OTHER                                                                   \
	"\xe2\x80\x94 example.com/kat AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"

static int
check(const char *note, bool *found, uint64_t *when)
{
	struct note_verifier w;
	int rc;

	assert_int_equal(note_verifier_parse(&w, WKEY), 0);
	*found = false;
	*when = 0;
	rc = cosig_check("kat", note, strlen(note), &w, 1, found, when);
	note_verifier_release(&w);
	return rc;
}

static void
test_kat(void **state)
{
	struct note_verifier w;
	struct buf m = BUF_INIT(4096);
	bool found;
	uint64_t when;

	(void)state;
	assert_int_equal(note_verifier_parse(&w, WKEY), 0);
	assert_int_equal(w.alg, NOTE_ALG_COSIGNATURE);
	assert_int_equal(w.id, 0xf65a942f);
	note_verifier_release(&w);
	assert_int_equal(cosig_message(TEXT, strlen(TEXT), 1767225600, &m), 0);
	assert_string_equal(m.data, "cosignature/v1\ntime 1767225600\n" TEXT);
	buf_release(&m);
	/* Alone, and after the log's own (here unverified) signature line. */
	assert_int_equal(check(TEXT "\n" COSIG, &found, &when), 0);
	assert_true(found);
	assert_int_equal(when, 1767225600);
	assert_int_equal(check(TEXT "\n" OTHER COSIG, &found, &when), 0);
	assert_true(found);
	/* No line from the witness: fine here, the caller requires one. */
	assert_int_equal(check(TEXT "\n" OTHER, &found, &when), 0);
	assert_false(found);
}

static void
test_tampered(void **state)
{
	char *n = strdup(TEXT "\n" COSIG), *p;
	bool found;
	uint64_t when;

	(void)state;
	assert_non_null(n);
	n[16] = '6'; /* the size line: 5 -> 6 */
	assert_int_equal(check(n, &found, &when), -1);
	assert_false(found);
	free(n);
	n = strdup(TEXT "\n" COSIG);
	assert_non_null(n);
	p = strstr(n, "9lqUL") + 30; /* inside the signature */
	*p = *p == 'A' ? 'B' : 'A';
	assert_int_equal(check(n, &found, &when), -1);
	free(n);
}

/* A witness key never counts as the log's own signature. */
static void
test_not_a_log_key(void **state)
{
	struct note_verifier w;
	size_t tl, ver, unk;
	const char *n = TEXT "\n" COSIG;

	(void)state;
	assert_int_equal(note_verifier_parse(&w, WKEY), 0);
	assert_int_equal(note_open(n, strlen(n), &w, 1, &tl, &ver, &unk), -1);
	assert_int_equal(ver, 0);
	assert_int_equal(unk, 1);
	note_verifier_release(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kat),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_not_a_log_key),
	};

	if (getenv("TEST_VERBOSE") == NULL)
		log_set_sink(test_log_quiet, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
