#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/base64.h"
#include "common/hash.h"
#include "tlog.h"

/*
 * A Rekor v1 entry built here the way Rekor builds it: SET over the RFC 8785
 * JSON, a 3-leaf tree with our entry at index 2, and a signed checkpoint.
 */
struct fixture {
	struct trust_root root;
	struct tlog_entry e;
};

static void
sign_into(struct sign_key *k, const char *msg, size_t len, struct buf *out)
{
	assert_int_equal(sign_key_sign(k, msg, len, out), 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct trust_log *log = &f->root.logs[0];
	struct buf der = BUF_INIT(0), msg = BUF_INIT(0), b64 = BUF_INIT(0);
	struct buf note = BUF_INIT(0), sig = BUF_INIT(0), hs = BUF_INIT(0);
	uint8_t l0[32], l1[32], l2[32], n01[65], h01[32], top[65];
	char hex[65];
	const char *body =
	    "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\"}";

	f->root.nr_logs = 1;
	assert_int_equal(sign_key_generate(&log->key, KEY_ECDSA_P256), 0);
	assert_int_equal(sign_key_spki_der(&log->key, &der), 0);
	hash_sha256(der.data, der.len, log->log_id);
	log->base_url = strdup("https://rekor.example.com");

	tlog_entry_init(&f->e);
	buf_adds(&f->e.body, body);
	buf_add(&f->e.log_id, log->log_id, 32);
	f->e.log_index = 1234567;
	f->e.integrated_time = 1700000000;
	memcpy(f->e.kind, "hashedrekord", 13);
	memcpy(f->e.version, "0.0.1", 6);

	hash_hex(log->log_id, 32, hex);
	base64_encode(&b64, body, strlen(body));
	buf_addf(&msg,
	    "{\"body\":\"%s\",\"integratedTime\":1700000000,\"logID\":\"%s\","
	    "\"logIndex\":1234567}",
	    b64.data, hex);
	sign_into(&log->key, msg.data, msg.len, &f->e.set);

	merkle_leaf_hash("a", 1, l0);
	merkle_leaf_hash("b", 1, l1);
	merkle_leaf_hash(body, strlen(body), l2);
	n01[0] = 1;
	memcpy(n01 + 1, l0, 32);
	memcpy(n01 + 33, l1, 32);
	hash_sha256(n01, sizeof(n01), h01);
	top[0] = 1;
	memcpy(top + 1, h01, 32);
	memcpy(top + 33, l2, 32);
	hash_sha256(top, sizeof(top), f->e.root_hash);
	memcpy(f->e.hashes[0], h01, 32);
	f->e.nr_hashes = 1;
	f->e.proof_index = 2;
	f->e.tree_size = 3;
	f->e.has_proof = true;

	buf_reset(&b64);
	base64_encode(&b64, f->e.root_hash, 32);
	buf_addf(&note, "rekor.example.com - 42\n3\n%s\n", b64.data);
	sign_into(&log->key, note.data, note.len, &sig);
	buf_add(&hs, log->log_id, 4);
	buf_addbuf(&hs, &sig);
	buf_reset(&b64);
	base64_encode(&b64, hs.data, hs.len);
	buf_addf(&note, "\n\xe2\x80\x94 rekor.example.com %s\n", b64.data);
	f->e.checkpoint = strdup(note.data);

	buf_release(&der);
	buf_release(&msg);
	buf_release(&b64);
	buf_release(&note);
	buf_release(&sig);
	buf_release(&hs);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tlog_entry_release(&f->e);
	sign_key_release(&f->root.logs[0].key);
	free(f->root.logs[0].base_url);
	free(f);
	return 0;
}

static void
test_valid_entry(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(tlog_verify(&f->e, &f->root), 0);
}

static void
test_set_binds_global_index_and_time(void **state)
{
	struct fixture *f = *state;

	f->e.log_index++;
	assert_int_equal(tlog_verify_set(&f->e, &f->root.logs[0]), -1);
	f->e.log_index--;
	f->e.integrated_time++;
	assert_int_equal(tlog_verify_set(&f->e, &f->root.logs[0]), -1);
	f->e.integrated_time--;
	f->e.body.data[2] ^= 1;
	assert_int_equal(tlog_verify_set(&f->e, &f->root.logs[0]), -1);
	assert_int_equal(tlog_verify_proof(&f->e), -1);
	f->e.body.data[2] ^= 1;
	assert_int_equal(tlog_verify(&f->e, &f->root), 0);
}

static void
test_proof_and_checkpoint(void **state)
{
	struct fixture *f = *state;
	char *cp = f->e.checkpoint, *p;

	/* tree-local index, not the global one */
	f->e.proof_index = 1;
	assert_int_equal(tlog_verify_proof(&f->e), -1);
	f->e.proof_index = 2;
	f->e.hashes[0][0] ^= 1;
	assert_int_equal(tlog_verify_proof(&f->e), -1);
	f->e.hashes[0][0] ^= 1;
	/* checkpoint: size must match, signature must cover the note */
	f->e.tree_size = 4;
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), -1);
	f->e.tree_size = 3;
	p = strstr(cp, " - 42");
	p[3] = '3';
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), -1);
	p[3] = '4';
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), 0);
	f->e.root_hash[0] ^= 1;
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), -1);
	f->e.root_hash[0] ^= 1;
}

/* The note's signer name must be the trusted log's host. */
static void
test_checkpoint_signer_name(void **state)
{
	struct fixture *f = *state;
	static char other[] = "https://rekor.other.example";
	static char slash[] = "https://rekor.example.com/";
	char *saved = f->root.logs[0].base_url;

	f->root.logs[0].base_url = other;
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), -1);
	f->root.logs[0].base_url = slash;
	assert_int_equal(tlog_verify_checkpoint(&f->e, &f->root.logs[0]), 0);
	f->root.logs[0].base_url = saved;
}

static void
test_trust_times(void **state)
{
	struct trust_window w = { 0, 0 };
	int64_t t;

	(void)state;
	assert_int_equal(trust_parse_time("2021-10-07T13:56:59Z", &t), 0);
	assert_int_equal(t, 1633615019);
	assert_int_equal(trust_parse_time("2021-10-07T13:56:59.123Z", &t), 0);
	assert_int_equal(t, 1633615019);
	assert_int_equal(trust_parse_time("2021-10-07 13:56:59Z", &t), -1);
	assert_int_equal(trust_parse_time("2021-10-07T13:56:59+02:00", &t), -1);
	assert_true(trust_window_contains(&w, 5));
	w.start = 10;
	w.end = 20;
	assert_false(trust_window_contains(&w, 9));
	assert_true(trust_window_contains(&w, 10));
	assert_true(trust_window_contains(&w, 20));
	assert_false(trust_window_contains(&w, 21));
}

/* A log key outside its validFor window does not vouch for the entry. */
static void
test_log_window(void **state)
{
	struct fixture *f = *state;

	f->root.logs[0].valid.end = f->e.integrated_time - 1;
	assert_int_equal(tlog_verify(&f->e, &f->root), -1);
	f->root.logs[0].valid.end = 0;
	f->root.logs[0].valid.start = f->e.integrated_time;
	assert_int_equal(tlog_verify(&f->e, &f->root), 0);
	f->root.logs[0].valid.start = 0;
}

static void
test_unknown_log(void **state)
{
	struct fixture *f = *state;

	f->e.log_id.data[0] ^= 1;
	assert_int_equal(tlog_verify(&f->e, &f->root), -1);
	f->e.log_id.data[0] ^= 1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_entry),
		cmocka_unit_test(test_set_binds_global_index_and_time),
		cmocka_unit_test(test_proof_and_checkpoint),
		cmocka_unit_test(test_checkpoint_signer_name),
		cmocka_unit_test(test_trust_times),
		cmocka_unit_test(test_log_window),
		cmocka_unit_test(test_unknown_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
