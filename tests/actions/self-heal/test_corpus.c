/*
 * The labelled corpus (logs/index.tsv, excerpts in GitHub's log format
 * built from research/self-heal.md §4-§6): precision of "transient" must
 * be at least 0.98 and recall at least 0.85, and no deterministic,
 * dependency or unknown log may be classified as retryable at all.
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

static bool
label_transient(const char *label)
{
	enum heal_class c;
	if (!strcmp(label, "unknown"))
		return false;
	assert_int_equal(heal_class_parse(label, &c), 0);
	return heal_class_transient(c);
}

static long
count_lines(const char *s, size_t len)
{
	long n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len && s[len - 1] != '\n');
}

static void
test_corpus(void **state)
{
	const char *src = getenv("BULWARK_SRC");
	char *dir, *index, *text, *line, *save = NULL;
	struct heal_rules rules = HEAL_RULES_INIT;
	unsigned tp = 0, fp = 0, fn = 0, tn = 0, exact = 0, n = 0;
	double precision, recall;
	(void)state;

	assert_non_null(src);
	dir = xasprintf("%s/tests/actions/self-heal/logs", src);
	index = tmpdir_path(dir, "index.tsv");
	text = tmpdir_read(index, NULL);
	assert_non_null(text);
	assert_int_equal(heal_rules_setup(&rules, NULL), 0);

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file, *label, *p = line, *path, *log;
		struct heal_scan s;
		struct heal_match m;
		size_t len;
		bool want, got;
		const char *got_name;

		if (*line == '#')
			continue;
		file = strsep(&p, "\t");
		label = strsep(&p, "\t");
		assert_non_null(label);
		path = tmpdir_path(dir, file);
		log = tmpdir_read(path, &len);
		assert_non_null(log);
		heal_scan_init(&s, &rules);
		heal_scan_feed(&s, log, len);
		heal_scan_result(&s, -1, 0, &m);
		heal_scan_release(&s);

		want = label_transient(label);
		got = heal_class_transient(m.cls);
		got_name =
		    m.cls == HEAL_NONE ? "unknown" : heal_class_name(m.cls);
		if (!strcmp(got_name, label))
			exact++;
		else
			print_message("  %-28s want %-14s got %-14s (%s: %s)\n",
			    file, label, got_name, m.rule_id ? m.rule_id : "-",
			    m.evidence);
		if (want && got)
			tp++;
		else if (!want && got)
			fp++;
		else if (want && !got)
			fn++;
		else
			tn++;
		n++;
		free(log);
		free(path);
	}
	precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
	recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
	print_message("corpus: %u logs, tp %u fp %u fn %u tn %u, precision "
	              "%.3f recall %.3f, exact class %u/%u\n",
	    n, tp, fp, fn, tn, precision, recall, exact, n);
	assert_true(n >= 60);
	assert_true(tn >= 20); /* enough negatives to mean something */
	assert_int_equal(fp, 0);
	assert_true(precision >= 0.98);
	assert_true(recall >= 0.85);

	heal_rules_release(&rules);
	free(text);
	free(index);
	free(dir);
}

/* Reference: every line through heal_scan_line, no block path. */
static void
by_lines(
    struct heal_rules *rules, const char *log, size_t len, struct heal_match *m)
{
	struct heal_scan s;
	const char *p = log, *end = log + len;

	heal_scan_init(&s, rules);
	s.now_s = 1700000000;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		heal_scan_line(&s, p, n);
		p += n + (nl ? 1 : 0);
	}
	heal_scan_result(&s, -1, 0, m);
	assert_int_equal(s.lineno, count_lines(log, len));
	heal_scan_release(&s);
}

static void
by_chunks(struct heal_rules *rules, const char *log, size_t len, size_t step,
    struct heal_match *m)
{
	struct heal_scan s;
	size_t off;

	heal_scan_init(&s, rules);
	s.now_s = 1700000000;
	for (off = 0; off < len; off += step)
		heal_scan_feed(
		    &s, log + off, len - off < step ? len - off : step);
	heal_scan_result(&s, -1, 0, m);
	assert_int_equal(s.lineno, count_lines(log, len));
	heal_scan_release(&s);
}

static void
assert_same(const struct heal_match *a, const struct heal_match *b)
{
	assert_int_equal(a->cls, b->cls);
	if (a->rule_id || b->rule_id)
		assert_string_equal(a->rule_id, b->rule_id);
	assert_int_equal(a->line, b->line);
	assert_string_equal(a->evidence, b->evidence);
	assert_int_equal(a->have_wait, b->have_wait);
	assert_int_equal(a->wait_ms, b->wait_ms);
}

/*
 * heal_scan_feed finds whole blocks of lines in one automaton pass and
 * only counts the lines without a hit; it must decide exactly as a scan
 * of every line would, however the input is cut: each log alone, and
 * all of them in one stream with filler between (near windows, step
 * markers and hits spread over block boundaries).
 */
static const struct {
	const char *log;
	enum heal_class want;
} synthetic[] = {
	{ "step one\nGet https://registry.example.com/v2/x\nfiller line\n"
	  "connect: Connection refused\nmore\n",
	    HEAL_NETWORK },
	{ "connect: Connection refused\nfiller\n", HEAL_NONE },
	{ "connect: Connection refused\nfiller\nfetch https://x.test/a\n",
	    HEAL_NETWORK },
	{ "2024-10-18T23:27:40.1Z \x1b[31mnpm ERR!\x1b[0m code "
	  "E\x1b[1mINTEGRITY\nok\n",
	    HEAL_CACHE_CORRUPT },
	{ "progress 10%\rprogress 100%\rError: ENOSPC: no space left on "
	  "device, write\nok\n",
	    HEAL_DISK_FULL },
	{ "##[group]Run npm ci\nfiller\nnpm ERR! code EINTEGRITY\n"
	  "##[endgroup]\n",
	    HEAL_CACHE_CORRUPT },
};

static const size_t steps[] = { 1, 7, 100, 4096, (size_t)1 << 20 };

struct agree {
	struct heal_rules *rules;
	struct buf all;
};

/* One excerpt: chunked scans agree with the per-line one; then it joins
 * the whole, with some filler. */
static void
agree_excerpt(const char *log, size_t len, size_t n, void *ctx)
{
	struct agree *a = ctx;
	struct heal_match ref, got;
	size_t k;
	int f;

	by_lines(a->rules, log, len, &ref);
	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		by_chunks(a->rules, log, len, steps[k], &got);
		assert_same(&ref, &got);
	}
	(void)buf_add(&a->all, log, len);
	if (len && log[len - 1] != '\n')
		(void)buf_addch(&a->all, '\n');
	for (f = 0; f < (int)(n % 13); f++)
		(void)buf_addf(&a->all,
		    "2024-10-18T23:27:40.1234567Z compiling unit %d "
		    "0123456789abcdef\n",
		    f);
}

static void
test_blocks_agree_with_lines(void **state)
{
	struct heal_rules rules = HEAL_RULES_INIT;
	struct agree a = { &rules, BUF_INIT(0) };
	struct heal_match ref, got;
	size_t k, n;
	(void)state;

	assert_int_equal(heal_rules_setup(&rules, NULL), 0);
	n = corpus_each(agree_excerpt, &a);
	/* context only on lines the block pass skips, escapes, CRs */
	for (k = 0; k < ARRAY_SIZE(synthetic); k++) {
		size_t len = strlen(synthetic[k].log), j;
		by_lines(&rules, synthetic[k].log, len, &ref);
		assert_int_equal(ref.cls, synthetic[k].want);
		for (j = 0; j < ARRAY_SIZE(steps); j++) {
			by_chunks(
			    &rules, synthetic[k].log, len, steps[j], &got);
			assert_same(&ref, &got);
		}
	}
	by_lines(&rules, a.all.data, a.all.len, &ref);
	assert_int_not_equal(ref.cls, HEAL_NONE);
	for (k = 0; k < ARRAY_SIZE(steps); k++) {
		by_chunks(&rules, a.all.data, a.all.len, steps[k], &got);
		assert_same(&ref, &got);
	}
	assert_true(n >= 60);
	buf_release(&a.all);
	heal_rules_release(&rules);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_blocks_agree_with_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
