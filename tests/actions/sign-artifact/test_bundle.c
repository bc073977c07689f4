#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bundle.h"
#include "common/json.h"
#include "keyless.h"

static char *
emit(cJSON *j)
{
	char *s = json_print(j);

	cJSON_Delete(j);
	return s;
}

static void
fill_tlog(struct tlog_entry *e)
{
	size_t i;

	tlog_entry_init(e);
	e->log_index = 83460520;
	e->proof_index = 79297089;
	e->tree_size = 79297090;
	e->integrated_time = 1710000000;
	for (i = 0; i < 32; i++) {
		buf_addch(&e->log_id, (char)i);
		e->root_hash[i] = (uint8_t)(0xa0 + i);
		e->hashes[0][i] = (uint8_t)i;
		e->hashes[1][i] = (uint8_t)(255 - i);
	}
	e->nr_hashes = 2;
	memcpy(e->kind, "hashedrekord", 13);
	memcpy(e->version, "0.0.1", 6);
	buf_adds(&e->set, "SETSETSET");
	buf_adds(&e->body, "{\"kind\":\"hashedrekord\"}");
	e->checkpoint =
	    strdup("origin - 1\n79297090\nAAAA\n\n\xe2\x80\x94 o x\n");
	e->has_proof = true;
}

static void
test_message_roundtrip_with_tlog(void **state)
{
	struct bundle_material m = { NULL, "CERTDER", 7, NULL };
	struct tlog_entry e;
	struct bundle b;
	uint8_t d[32];
	char *s;

	(void)state;
	memset(d, 0x42, sizeof(d));
	fill_tlog(&e);
	m.tlog = &e;
	s = emit(bundle_message_json(&m, d, "SIG", 3));
	/* proto3 JSON: int64 as strings; bytes as padded base64. */
	assert_non_null(strstr(s, "\"logIndex\":\"83460520\""));
	assert_non_null(strstr(s, "\"logIndex\":\"79297089\""));
	assert_non_null(strstr(s, "\"treeSize\":\"79297090\""));
	assert_non_null(strstr(s, "\"integratedTime\":\"1710000000\""));
	assert_non_null(strstr(s, "\"algorithm\":\"SHA2_256\""));
	assert_non_null(strstr(s, "\"signature\":\"U0lH\""));
	assert_non_null(strstr(s, "\"rawBytes\":\"Q0VSVERFUg==\""));
	assert_null(strstr(s, "x509CertificateChain"));

	bundle_init(&b);
	assert_int_equal(bundle_parse(&b, s, strlen(s), "t"), 0);
	assert_int_equal(b.content, BUNDLE_MESSAGE);
	assert_true(b.has_digest);
	assert_memory_equal(b.digest, d, 32);
	assert_int_equal(b.sig.len, 3);
	assert_int_equal(b.cert_der.len, 7);
	assert_null(b.hint);
	assert_int_equal(b.nr_tlog, 1);
	assert_int_equal(b.tlog.log_index, 83460520);
	assert_int_equal(b.tlog.proof_index, 79297089);
	assert_int_equal(b.tlog.tree_size, 79297090);
	assert_int_equal(b.tlog.integrated_time, 1710000000);
	assert_memory_equal(b.tlog.log_id.data, e.log_id.data, 32);
	assert_memory_equal(b.tlog.root_hash, e.root_hash, 32);
	assert_int_equal(b.tlog.nr_hashes, 2);
	assert_memory_equal(b.tlog.hashes[1], e.hashes[1], 32);
	assert_string_equal(b.tlog.checkpoint, e.checkpoint);
	assert_string_equal(b.tlog.body.data, e.body.data);
	assert_string_equal(b.tlog.kind, "hashedrekord");
	bundle_release(&b);
	tlog_entry_release(&e);
	free(s);
}

static void
test_dsse_keyed(void **state)
{
	struct bundle_material m = { "aGludA==", NULL, 0, NULL };
	struct bundle b;
	char *s;

	(void)state;
	s = emit(bundle_dsse_json(
	    &m, "application/vnd.in-toto+json", "{}", 2, "S", 1));
	assert_non_null(strstr(s, "\"tlogEntries\":[]"));
	assert_non_null(strstr(s, "\"keyid\":\"\""));
	bundle_init(&b);
	assert_int_equal(bundle_parse(&b, s, strlen(s), "t"), 0);
	assert_int_equal(b.content, BUNDLE_DSSE);
	assert_string_equal(b.hint, "aGludA==");
	assert_string_equal(b.payload_type, "application/vnd.in-toto+json");
	assert_int_equal(b.payload.len, 2);
	assert_int_equal(b.nr_tlog, 0);
	bundle_release(&b);
	free(s);
}

static void
test_parse_rejects(void **state)
{
	static const char *bad[] = {
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v9+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"}},"
		"\"messageSignature\":{\"signature\":\"AA==\"}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"x509CertificateChain\":{}},"
		"\"messageSignature\":{\"signature\":\"AA==\"}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"}},"
		"\"dsseEnvelope\":{\"payload\":\"\",\"payloadType\":\"x\","
		"\"signatures\":[{\"sig\":\"AA==\"},{\"sig\":\"AA==\"}]}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"}},"
		"\"messageSignature\":{\"signature\":\"A\"}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"},"
		"\"tlogEntries\":[{\"logIndex\":\"-5\"}]},"
		"\"messageSignature\":{\"signature\":\"AA==\"}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"}}}",
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		"\"verificationMaterial\":{\"publicKey\":{\"hint\":\"\"}},"
		"\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\","
		"\"digest\":\"AA==\"},\"signature\":\"AA==\"}}",
		"[]",
	};
	struct bundle b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bundle_init(&b);
		assert_int_equal(
		    bundle_parse(&b, bad[i], strlen(bad[i]), "t"), -1);
		bundle_release(&b);
	}
}

/* Rekor speaks hex for logID/rootHash/hashes; the entry holds bytes. */
static void
test_rekor_response(void **state)
{
	const char *body_b64 =
	    "eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIn0=";
	char resp[2048];
	struct tlog_entry e;
	int n;

	(void)state;
	n = snprintf(resp, sizeof(resp),
	    "{\"24296fb24b8ad77a\":{\"body\":\"%s\",\"integratedTime\":1700000000,"
	    "\"logID\":\"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d\","
	    "\"logIndex\":83460520,\"verification\":{\"inclusionProof\":{"
	    "\"logIndex\":79297089,\"rootHash\":\"%064d\",\"treeSize\":79297090,"
	    "\"hashes\":[\"%064d\"],\"checkpoint\":\"cp\\n\"},"
	    "\"signedEntryTimestamp\":\"TUVVQ0lR\"}}}",
	    body_b64, 1, 2);
	tlog_entry_init(&e);
	assert_int_equal(rekor_parse_response(resp, (size_t)n, &e), 0);
	assert_int_equal(e.log_index, 83460520);
	assert_int_equal(e.proof_index, 79297089);
	assert_int_equal(e.log_id.len, 32);
	assert_int_equal((uint8_t)e.log_id.data[0], 0xc0);
	assert_int_equal((uint8_t)e.log_id.data[31], 0x1d);
	assert_int_equal(e.root_hash[31], 0x01);
	assert_int_equal(e.hashes[0][31], 0x02);
	assert_string_equal(e.body.data,
	    "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\"}");
	assert_string_equal(e.kind, "hashedrekord");
	assert_string_equal(e.version, "0.0.1");
	assert_string_equal(e.set.data, "MEUCIQ");
	assert_string_equal(e.checkpoint, "cp\n");
	tlog_entry_release(&e);

	tlog_entry_init(&e);
	assert_int_equal(rekor_parse_response("{\"x\":{}}", 8, &e), -1);
	tlog_entry_release(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_roundtrip_with_tlog),
		cmocka_unit_test(test_dsse_keyed),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_rekor_response),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
