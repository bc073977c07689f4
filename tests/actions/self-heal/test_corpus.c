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

#include "common/xalloc.h"
#include "heal.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
