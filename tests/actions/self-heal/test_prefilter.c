/*
 * The block scan (heal_ac_first_lines: SIMD prefilter + automaton where
 * the CPU has AVX2, eight lanes otherwise or with BULWARK_NO_SIMD=1, the
 * second ctest run) must find exactly the first hit the plain one-lane
 * automaton (heal_ac_first) finds: on the labelled corpus from every
 * line on, on random and hostile text, and with short, accented and
 * mixed-case patterns. The prefilter's marks must cover every position
 * where a pattern starts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "heal.h"
#include "corpus_each.h"
#include "tmpdir.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* Both scans from every line start of s (and from a few odd offsets). */
static size_t
agree_everywhere(const struct heal_ac *ac, const char *s, size_t len)
{
	size_t at = 0, hits = 0, want, got;

	for (;;) {
		want = heal_ac_first(ac, s + at, len - at);
		/* as it comes (the filter may rest after dense text) */
		got = heal_ac_first_lines(ac, s + at, len - at);
		assert_int_equal(got, want);
		heal_ac_filter_again(ac);
		got = heal_ac_first_lines(ac, s + at, len - at);
		assert_int_equal(got, want);
		hits += want < len - at;
		if (at >= len)
			break;
		{
			const char *nl = memchr(s + at, '\n', len - at);
			at = nl ? (size_t)(nl - s) + 1 : len;
		}
	}
	return hits;
}

/* Each excerpt, then quiet filler: long stretches without a candidate,
 * as in a real build. */
static void
add_excerpt(const char *log, size_t len, size_t n, void *ctx)
{
	struct buf *all = ctx;
	size_t f;

	(void)buf_add(all, log, len);
	if (len && log[len - 1] != '\n')
		(void)buf_addch(all, '\n');
	for (f = 0; f < n % 97 * 11; f++)
		(void)buf_addf(all,
		    "2024-10-18T23:27:40.1234567Z [%zu/9000] 0123 4567 "
		    "89 / 0x%zx\n",
		    f, f * 7919);
}

static void
test_corpus_agrees(void **state)
{
	struct heal_rules rules = HEAL_RULES_INIT;
	struct buf all = BUF_INIT(0);
	size_t n;
	(void)state;

	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	heal_rules_automaton(&rules);
	n = corpus_each(add_excerpt, &all);
	assert_true(n >= 60);
	/* every excerpt has some pattern in it */
	assert_true(agree_everywhere(rules.ac, all.data, all.len) >= n);
	buf_release(&all);
	heal_rules_release(&rules);
}

static const char *const frags[] = { "he", "she", "HERS", "hi", "s", "x",
	"connection re", "Connection refused", "econn", "\xc3\xa9t\xc3",
	"ENOSPC", "e4", "0", "retry-af", "##[group]Run ", "\x1b[31m", "\r",
	"  ", "compil", "error TS", "\n", "\n", "\n", "-- ",
	"tests:", ".go:", "\xff", "zZ" };

static void
random_text(struct buf *b, size_t len, unsigned dense)
{
	buf_reset(b);
	while (b->len < len) {
		uint32_t r = next_rand();
		if (r % 100 < dense) {
			const char *f = frags[r / 100 % ARRAY_SIZE(frags)];
			(void)buf_add(b, f, strlen(f));
		} else {
			char c = (char)(r % 4 == 0 ? 32 + r / 4 % 95
			                           : (r & 8 ? 'q' : '7'));
			(void)buf_addch(b, c);
		}
	}
	b->len = len;
}

static void
test_random_agrees(void **state)
{
	const char *pats[] = { "he", "she", "his", "hers", "x", "E4",
		"\xc3\xa9t\xc3\xa9", "ConnECTion refused", "a", "zz", "",
		"##[group]", "\xff\xfe", "tests:", " failed", "q7q7q7q7q7q7q" };
	static const unsigned dense[] = { 0, 1, 3, 10, 40, 90 };
	struct heal_rules rules = HEAL_RULES_INIT;
	struct heal_ac *own = heal_ac_build(pats, ARRAY_SIZE(pats));
	struct buf b = BUF_INIT(0);
	size_t len, k, i;
	(void)state;

	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	heal_rules_automaton(&rules);
	/* every short length: the vector loop's tail */
	for (len = 0; len < 300; len++)
		for (k = 0; k < ARRAY_SIZE(dense); k++) {
			random_text(&b, len, dense[k]);
			(void)agree_everywhere(own, b.data, b.len);
			(void)agree_everywhere(rules.ac, b.data, b.len);
		}
	/* blocks as the relay sees them, sparse then dense and back */
	for (i = 0; i < 60; i++) {
		len = 1 + next_rand() % 70000;
		random_text(&b, len, dense[i % ARRAY_SIZE(dense)]);
		heal_ac_filter_again(own);
		assert_int_equal(heal_ac_first_lines(own, b.data, b.len),
		    heal_ac_first(own, b.data, b.len));
		heal_ac_filter_again(rules.ac);
		assert_int_equal(heal_ac_first_lines(rules.ac, b.data, b.len),
		    heal_ac_first(rules.ac, b.data, b.len));
		if (i % 10 == 0) {
			(void)agree_everywhere(own, b.data, b.len);
			(void)agree_everywhere(rules.ac, b.data, b.len);
		}
	}
	/* a hit after a long dense stretch (the switch to the lanes) and
	 * at the very last byte */
	buf_reset(&b);
	while (b.len < 50000)
		(void)buf_add(&b, "q7q7q7q7q7q7 q7q7q7q7q7 Q7Q7Q7Q7Q7Q7\n", 37);
	(void)buf_add(&b, "\nzz", 3);
	(void)agree_everywhere(own, b.data, b.len);
	heal_ac_filter_again(own);
	assert_int_equal(heal_ac_first_lines(own, b.data, b.len), b.len - 1);
	buf_release(&b);
	heal_ac_free(own);
	heal_rules_release(&rules);
}

static int
starts_here(const char *const *pats, size_t n, const char *s, size_t len)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		size_t pl = strlen(pats[i]);
		if (pl == 0 || pl > len)
			continue;
		for (j = 0; j < pl; j++) {
			unsigned char a = (unsigned char)s[j];
			unsigned char p = (unsigned char)pats[i][j];
			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a + 32);
			if (p >= 'A' && p <= 'Z')
				p = (unsigned char)(p + 32);
			if (a != p)
				break;
		}
		if (j == pl)
			return 1;
	}
	return 0;
}

static void
test_marks_cover_starts(void **state)
{
	const char *pats[] = { "he", "she", "his", "HERS", "x", "E4",
		"\xc3\xa9t\xc3\xa9", "connection refused", "econnreset", "zz",
		"", "tests:", "\xff\xfe", "compilation failure", "0",
		"q7q7q7q7q7q7q", "error TS2345: argument" };
	/* all at least four bytes: the second stage (window hashes) on */
	const char *longer[] = { "HERS", "\xc3\xa9t\xc3\xa9",
		"connection refused", "econnreset",
		"tests:", "compilation failure", "q7q7q7q7q7q7q",
		"error TS2345: argument", "[_@]^", "zz zz" };
	const struct {
		const char *const *v;
		size_t n;
	} sets[] = { { pats, ARRAY_SIZE(pats) },
		{ longer, ARRAY_SIZE(longer) } };
	struct buf b = BUF_INIT(0);
	uint32_t bits[(4096 + 31) / 32];
	unsigned char *mark = NULL;
	size_t set, round, at, n, i, j, lead, starts = 0, far = 0;
	(void)state;

	for (set = 0; set < ARRAY_SIZE(sets); set++) {
		struct heal_pf *pf = heal_pf_build(sets[set].v, sets[set].n);

		if (pf == NULL) {
			/* no AVX2, or BULWARK_NO_SIMD: the lanes run instead */
			free(mark);
			buf_release(&b);
			skip();
		}
		lead = heal_pf_lead(pf);
		for (round = 0; round < 200; round++) {
			random_text(
			    &b, 1 + next_rand() % 9000, (unsigned)round % 50);
			if (round % 7 == 0)
				(void)buf_add(&b, "[_@]^ ZZ ZZ", 11);
			mark = xrealloc(mark, b.len + 1);
			for (at = 0; at < b.len; at += n) {
				n = 1 + next_rand() % 4096;
				if (n > b.len - at)
					n = b.len - at;
				heal_pf_mark(pf, b.data, b.len, at, n, bits);
				for (i = 0; i < n; i++)
					mark[at + i] =
					    (bits[i / 32] >> (i % 32)) & 1;
				/* bits past n are clear */
				if (n % 32)
					assert_int_equal(
					    bits[n / 32] >> (n % 32), 0);
			}
			/* a mark within lead bytes after every start */
			for (i = 0; i < b.len; i++) {
				if (!starts_here(sets[set].v, sets[set].n,
				        b.data + i, b.len - i))
					continue;
				starts++;
				for (j = i;
				     j < b.len && j <= i + lead && !mark[j];
				     j++)
					;
				assert_true(j < b.len && j <= i + lead);
				far += j > i;
			}
		}
		/* some windows were taken inside their pattern */
		assert_true(lead > 0 && far > 0);
		heal_pf_free(pf);
	}
	assert_true(starts > 0);
	free(mark);
	buf_release(&b);
}

/* A build's output: the catalogue's windows mark few of its positions,
 * though "compil" begins every line and digests are full of "e4". */
static void
test_build_log_is_quiet(void **state)
{
	struct heal_rules rules = HEAL_RULES_INIT;
	const char *pats[HEAL_MAX_RULES + HEAL_NHINT];
	struct heal_pf *pf;
	struct buf b = BUF_INIT(0);
	uint32_t bits[(4096 + 31) / 32];
	size_t i, k, np = 0, at, n, marks = 0, lines = 20000;
	(void)state;

	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	for (i = 0; i < rules.nr; i++)
		pats[np++] = rules.v[i].contains ? rules.v[i].contains : "";
	for (i = 0; i < HEAL_NHINT; i++)
		pats[np++] = heal_hint_keys[i];
	pf = heal_pf_build(pats, np);
	if (pf == NULL) {
		heal_rules_release(&rules);
		skip();
	}
	for (i = 0; i < lines; i++) {
		(void)buf_addf(
		    &b, "%s unit %zu ", i % 3 ? "compiling" : "Compiling", i);
		for (k = 0; k < 8; k++)
			(void)buf_addf(&b, "%08x", next_rand());
		(void)buf_addch(&b, '\n');
	}
	for (at = 0; at < b.len; at += n) {
		n = b.len - at < 4096 ? b.len - at : 4096;
		heal_pf_mark(pf, b.data, b.len, at, n, bits);
		for (i = 0; i < (n + 31) / 32; i++)
			marks += (size_t)__builtin_popcount(bits[i]);
	}
	/* pattern starts as windows marked 1.8 per line here */
	assert_true(marks * 20 < lines);
	buf_release(&b);
	heal_pf_free(pf);
	heal_rules_release(&rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_agrees),
		cmocka_unit_test(test_random_agrees),
		cmocka_unit_test(test_marks_cover_starts),
		cmocka_unit_test(test_build_log_is_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
