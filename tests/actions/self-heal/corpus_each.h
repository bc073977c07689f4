#ifndef HEAL_CORPUS_EACH_H
#define HEAL_CORPUS_EACH_H
/*
 * The labelled log corpus (tests/actions/self-heal/logs/index.tsv), one
 * excerpt at a time: fn gets the excerpt, its length and its position.
 * Returns how many there were. For the CMocka tests that need every
 * excerpt (test_corpus.c, test_prefilter.c); asserts on a missing file.
 */
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "tmpdir.h"

typedef void corpus_fn(const char *log, size_t len, size_t n, void *ctx);

static inline size_t
corpus_each(corpus_fn *fn, void *ctx)
{
	char *dir, *index, *text, *line, *save = NULL;
	size_t n = 0;

	dir =
	    xasprintf("%s/tests/actions/self-heal/logs", getenv("BULWARK_SRC"));
	index = tmpdir_path(dir, "index.tsv");
	text = tmpdir_read(index, NULL);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *p = line, *path, *log;
		size_t len;

		if (*line == '#')
			continue;
		path = tmpdir_path(dir, strsep(&p, "\t"));
		log = tmpdir_read(path, &len);
		assert_non_null(log);
		fn(log, len, n++, ctx);
		free(log);
		free(path);
	}
	free(text);
	free(index);
	free(dir);
	return n;
}
#endif
