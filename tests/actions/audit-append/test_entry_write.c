/* entry_write (the direct writer of a single append) against the cJSON
 * reference, entry_build + entry_encode: same bytes, same failures and
 * the same messages, over generated entries with hostile strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "entry.h"
#include "log_store.h"

#define ROUNDS 4000

static const char *const ctx_env[] = { "GITHUB_REPOSITORY", "GITHUB_REF",
	"GITHUB_SHA", "GITHUB_ACTOR", "GITHUB_TRIGGERING_ACTOR",
	"GITHUB_WORKFLOW_REF", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT",
	"GITHUB_JOB", "GITHUB_EVENT_NAME", "GITHUB_SERVER_URL", "RUNNER_NAME",
	"RUNNER_OS" };

/* Pieces strings are made of: JSON specials, every kind of C0 control,
 * DEL, non-ASCII of each UTF-8 length, U+2028/9... */
static const char *const good[] = { "a", "Z", "0", " ", "=", "\"", "\\", "/",
	"\x01", "\x08", "\x09", "\x0a", "\x0c", "\x0d", "\x1f", "\x7f",
	"\xc3\xa9", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbf\xbf",
	"\xef\xbd\xa1", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "key",
	"\\u0000", "{}", "[1]" };
/* ...and invalid UTF-8: stray bytes, truncated, overlong, surrogate,
 * beyond U+10FFFF. */
static const char *const bad[] = { "\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80",
	"\xf4\x90\x80\x80", "\xe0\x80\xaf", "\x80", "\xe2\x80" };

struct rng {
	uint64_t s;
};

static uint32_t
rnd(struct rng *r, uint32_t n)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 32) % n;
}

/* A string of up to max pieces; one of them invalid UTF-8 if `invalid`. */
static void
gen_string(struct rng *r, struct buf *b, unsigned max, bool invalid)
{
	unsigned n = rnd(r, max + 1), i, at = invalid ? rnd(r, n + 1) : n + 1;

	for (i = 0; i <= n; i++) {
		if (i == at)
			buf_adds(b, bad[rnd(r, ARRAY_SIZE(bad))]);
		if (i < n)
			buf_adds(b, good[rnd(r, ARRAY_SIZE(good))]);
	}
}

/* JSON text for --data: nested values, escaped and raw strings, numbers
 * (some not integers), duplicate keys, sometimes invalid. */
static void
gen_json(struct rng *r, struct buf *b, unsigned depth)
{
	unsigned n, i;

	switch (depth > 4 ? rnd(r, 5) : rnd(r, 8)) {
	case 0:
		buf_adds(b, rnd(r, 2) ? "null" : "true");
		break;
	case 1:
		buf_addf(b, "%d", (int)rnd(r, 2000000) - 1000000);
		break;
	case 2:
		buf_adds(b, rnd(r, 8) ? "12e3" : "1.5");
		break;
	case 3:
	case 4:
		buf_addch(b, '"');
		n = rnd(r, 4);
		for (i = 0; i < n; i++)
			buf_adds(b, (const char *[]){ "x", "\\\"", "\\\\",
			                "\\u2028", "\\n", "\\u0001", "\xc3\xa9",
			                "\\ud83d\\ude00" }[rnd(r, 8)]);
		buf_addch(b, '"');
		break;
	case 5:
		buf_addch(b, '[');
		n = rnd(r, 4);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addch(b, ',');
			gen_json(r, b, depth + 1);
		}
		buf_addch(b, ']');
		break;
	default:
		buf_addch(b, '{');
		n = rnd(r, 4);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_addch(b, ',');
			buf_adds(
			    b, (const char *[]){ "\"b\":", "\"a\":",
			           "\"\\u00e9\":", "\"\xf0\x9f\x98\x80\":",
			           "\"\xef\xbd\xa1\":", "\"A\":" }[rnd(r, 6)]);
			gen_json(r, b, depth + 1);
		}
		buf_addch(b, '}');
	}
}

struct capture {
	struct buf msgs;
};

static void
capture(enum log_level lvl, const char *msg, void *ctx)
{
	struct capture *c = ctx;

	(void)lvl;
	buf_adds(&c->msgs, msg);
	buf_addch(&c->msgs, '\n');
}

/* The reference: the cJSON tree, canonicalised. */
static int
reference(const struct entry_opts *o, struct buf *out)
{
	cJSON *obj = NULL;
	int rc = -1;

	if (entry_build(o, &obj) == 0 && entry_encode(obj, out) == 0)
		rc = 0;
	cJSON_Delete(obj);
	return rc;
}

static void
compare(const struct entry_opts *o, unsigned *ok, unsigned *failed)
{
	struct capture ca = { BUF_INIT(0) }, cb = { BUF_INIT(0) };
	struct buf a = BUF_INIT(SIZE_MAX), b = BUF_INIT(SIZE_MAX);
	int ra, rb;

	buf_adds(&b, "kept"); /* entry_write appends; keeps it on error */
	log_set_sink(capture, &ca);
	ra = reference(o, &a);
	log_set_sink(capture, &cb);
	rb = entry_write(o, &b);
	log_set_sink(log_discard, NULL);
	if (ra != rb || (ra == 0 && strcmp(a.data, b.data + 4) != 0) ||
	    strcmp(ca.msgs.data, cb.msgs.data) != 0)
		fail_msg("mismatch for event '%s' data '%s':\n  cJSON %d %s\n"
		         "  %s\n  direct %d %s\n  %s",
		    o->event ? o->event : "(null)",
		    o->data ? o->data : "(none)", ra, a.data, ca.msgs.data, rb,
		    b.data, cb.msgs.data);
	assert_memory_equal(b.data, "kept", 4);
	if (rb != 0)
		assert_int_equal(b.len, 4);
	(*(ra == 0 ? ok : failed))++;
	buf_release(&a);
	buf_release(&b);
	buf_release(&ca.msgs);
	buf_release(&cb.msgs);
}

static void
test_differential(void **state)
{
	struct rng r = { 0x9e3779b97f4a7c15ull };
	struct buf strs[16], data = BUF_INIT(0), env = BUF_INIT(0);
	struct strlist f = STRLIST_INIT;
	struct entry_opts o;
	unsigned ok = 0, failed = 0, round, i, nf;
	const char *times[] = { "2026-01-02T03:04:05Z",
		"2026-01-02T03:04:05.123456789012345678+01:00",
		"1999-12-31 "
		"23:59:60z",
		"yesterday" };

	(void)state;
	for (i = 0; i < ARRAY_SIZE(strs); i++)
		buf_init(&strs[i], 0);
	for (round = 0; round < ROUNDS; round++) {
		memset(&o, 0, sizeof(o));
		o.event = rnd(&r, 16) ? "deploy" : (rnd(&r, 2) ? "Bad" : "");
		o.time = times[rnd(&r, 8) < 6 ? rnd(&r, 2) : 2 + rnd(&r, 2)];
		o.no_context = rnd(&r, 4) == 0;
		strlist_release(&f);
		nf = rnd(&r, 5);
		for (i = 0; i < nf && i < ARRAY_SIZE(strs); i++) {
			buf_reset(&strs[i]);
			if (rnd(&r, 6) == 0 && i > 0)
				buf_adds(&strs[i], f.items[0]); /* twice */
			else
				gen_string(&r, &strs[i], 4, rnd(&r, 12) == 0);
			if (rnd(&r, 12) != 0)
				buf_addch(&strs[i], '=');
			gen_string(&r, &strs[i], 6, rnd(&r, 12) == 0);
			strlist_push(&f, strs[i].data);
		}
		o.fields = rnd(&r, 8) ? &f : NULL;
		for (i = 0; i < ARRAY_SIZE(ctx_env); i++) {
			if (rnd(&r, 3) == 0) {
				unsetenv(ctx_env[i]);
				continue;
			}
			buf_reset(&env);
			gen_string(&r, &env, 5, rnd(&r, 40) == 0);
			setenv(ctx_env[i], env.data, 1);
		}
		buf_reset(&data);
		if (rnd(&r, 3) == 0) {
			gen_json(&r, &data, 0);
			if (rnd(&r, 20) == 0)
				buf_truncate(&data, data.len / 2);
			o.data = data.data;
		}
		compare(&o, &ok, &failed);
	}
	/* Both outcomes were exercised in quantity. */
	assert_true(ok > ROUNDS / 4);
	assert_true(failed > ROUNDS / 20);
	for (i = 0; i < ARRAY_SIZE(strs); i++)
		buf_release(&strs[i]);
	buf_release(&data);
	buf_release(&env);
	strlist_release(&f);
}

/* Nesting at the limit, oversize entries and the clock. */
static void
test_limits(void **state)
{
	struct entry_opts o = { "deploy", "2026-01-02T03:04:05Z", NULL, NULL,
		true };
	struct buf d = BUF_INIT(SIZE_MAX), out = BUF_INIT(SIZE_MAX);
	unsigned ok = 0, failed = 0;
	int depth, i, k;
	size_t j;

	(void)state;
	for (depth = 60; depth <= 66; depth++) {
		for (i = 0; i < 2; i++) {
			buf_reset(&d);
			for (k = 0; k < depth; k++)
				buf_adds(&d, i ? "{\"k\":" : "[");
			buf_adds(&d, "1");
			for (k = 0; k < depth; k++)
				buf_addch(&d, i ? '}' : ']');
			o.data = d.data;
			compare(&o, &ok, &failed);
		}
	}
	assert_true(ok > 0 && failed > 0);
	/* Around LOG_ENTRY_MAX. */
	for (i = -2; i <= 2; i++) {
		buf_reset(&d);
		buf_addch(&d, '"');
		for (j = 0; j < LOG_ENTRY_MAX - 64 + (size_t)i; j++)
			buf_addch(&d, 'a');
		buf_addch(&d, '"');
		o.data = d.data;
		compare(&o, &ok, &failed);
	}
	/* Without --time both stamp "now" in the same format. */
	o.data = NULL;
	o.time = NULL;
	assert_int_equal(entry_write(&o, &out), 0);
	assert_int_equal(
	    out.len, strlen("{\"event\":\"deploy\",\"time\":\"") + 20 + 2);
	assert_memory_equal(out.data + out.len - 3, "Z\"}", 3);
	buf_release(&d);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_limits),
	};

	log_set_sink(log_discard, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
