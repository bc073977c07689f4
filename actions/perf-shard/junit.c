#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "idmap.h"
#include "junit_int.h"

/*
 * The expat handlers: suites and cases as they open and close, their
 * times, files and outcomes, then subtests collapsed into their parent
 * and every case handed to the caller (junit_feed.c drives the parser).
 */

static const char *
local_name(const char *n)
{
	const char *c = strrchr(n, ':');

	return c ? c + 1 : n;
}

static const char *
attr(const char **atts, const char *key)
{
	size_t i;

	for (i = 0; atts[i]; i += 2)
		if (strcmp(local_name(atts[i]), key) == 0)
			return atts[i + 1];
	return NULL;
}

static char *
path_attr(struct jstate *s, const char **atts)
{
	const char *f = attr(atts, "file");
	char *p;

	if (!f || !*f)
		f = attr(atts, "filepath");
	if (!f || !*f)
		return NULL;
	p = xstrdup(f);
	tcase_normalize_path(p, s->root);
	return p;
}

static void
start_suite(struct jstate *s, const char **atts)
{
	struct suite *su;
	const char *name = attr(atts, "name");

	xgrow((void **)&s->suites, &s->suites_alloc, s->nsuites + 1,
	    sizeof(*s->suites));
	su = &s->suites[s->nsuites];
	su->file = path_attr(s, atts);
	su->own_file = su->file != NULL;
	if (!su->file && s->nsuites && s->suites[s->nsuites - 1].file)
		su->file = xstrdup(s->suites[s->nsuites - 1].file);
	su->name = name ? xstrdup(name) : NULL;
	su->depth = s->depth;
	su->ncases = 0;
	s->nsuites++;
}

static void
end_suite(struct jstate *s)
{
	struct suite *su = &s->suites[--s->nsuites];

	if (su->ncases == 0 && su->own_file && !s->doc_file) {
		s->doc_file = su->file;
		su->file = NULL;
	}
	if (s->nsuites)
		s->suites[s->nsuites - 1].ncases += su->ncases;
	free(su->file);
	free(su->name);
}

static void
start_case(struct jstate *s, const char **atts)
{
	const char *n = attr(atts, "name"), *c = attr(atts, "classname");
	const char *t = attr(atts, "time");
	struct suite *su = s->nsuites ? &s->suites[s->nsuites - 1] : NULL;

	s->in_case = true;
	s->case_depth = s->depth;
	s->hard_fail = s->flaky = false;
	s->cur.name = xstrdup(n ? n : "");
	if (c && *c)
		s->cur.classname = xstrdup(c);
	else
		s->cur.classname = su && su->name ? xstrdup(su->name) : NULL;
	s->cur.file = path_attr(s, atts);
	if (!s->cur.file && su && su->file)
		s->cur.file = xstrdup(su->file);
	s->cur.us = TC_UNKNOWN;
	s->cur.flags = 0;
	s->time_attr = t && tcase_parse_seconds(t, strlen(t), &s->cur.us) == 0;
}

static void
end_case(struct jstate *s)
{
	if (s->hard_fail)
		s->cur.flags |= TC_FAILED;
	else if (s->flaky)
		s->cur.flags |= TC_FLAKY;
	if (s->ncases >= MAX_CASES) {
		s->err = error_msg(
		    "more than %zu test cases in one file", MAX_CASES);
		XML_StopParser(s->p, XML_FALSE);
		free(s->cur.file);
		free(s->cur.classname);
		free(s->cur.name);
	} else {
		xgrow((void **)&s->cases, &s->cases_alloc, s->ncases + 1,
		    sizeof(*s->cases));
		s->cases[s->ncases++] = s->cur;
		if (s->nsuites)
			s->suites[s->nsuites - 1].ncases++;
	}
	memset(&s->cur, 0, sizeof(s->cur));
	s->in_case = false;
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len);

static void XMLCALL
on_start(void *ud, const XML_Char *el, const XML_Char **atts)
{
	struct jstate *s = ud;
	const char *n = local_name(el);

	s->depth++;
	if (s->in_case) {
		if (s->depth != s->case_depth + 1)
			return;
		if (!strcmp(n, "failure") || !strcmp(n, "error") ||
		    !strcmp(n, "rerunFailure") || !strcmp(n, "rerunError"))
			s->hard_fail = true;
		else if (!strcmp(n, "flakyFailure") || !strcmp(n, "flakyError"))
			s->flaky = true;
		else if (!strcmp(n, "skipped"))
			s->cur.flags |= TC_SKIPPED;
		else if (!strcmp(n, "time") && !s->time_attr) {
			s->in_time = true;
			buf_reset(&s->text);
			/* text is only wanted here: expat skips it elsewhere */
			XML_SetCharacterDataHandler(s->p, on_text);
		}
		return;
	}
	if (!strcmp(n, "testsuite"))
		start_suite(s, atts);
	else if (!strcmp(n, "testcase"))
		start_case(s, atts);
}

static void XMLCALL
on_end(void *ud, const XML_Char *el)
{
	struct jstate *s = ud;

	if (s->in_time && s->depth == s->case_depth + 1) {
		int64_t us;

		if (tcase_parse_seconds(s->text.data, s->text.len, &us) == 0)
			s->cur.us = us;
		s->in_time = false;
		XML_SetCharacterDataHandler(s->p, NULL);
	}
	if (s->in_case && s->depth == s->case_depth)
		end_case(s);
	else if (!s->in_case && s->nsuites &&
	         s->suites[s->nsuites - 1].depth == s->depth &&
	         !strcmp(local_name(el), "testsuite"))
		end_suite(s);
	s->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *t, int len)
{
	struct jstate *s = ud;

	/* A <time> value is short; anything longer is not a time. */
	if (s->in_time && len > 0 && s->text.len + (size_t)len < 256)
		buf_add(&s->text, t, (size_t)len);
}

void
jstate_init(struct jstate *s, const char *root)
{
	memset(s, 0, sizeof(*s));
	s->root = root;
	buf_init(&s->text, 512);
	s->p = XML_ParserCreate(NULL);
	if (!s->p)
		die(125, "out of memory");
	XML_SetUserData(s->p, s);
	XML_SetElementHandler(s->p, on_start, on_end);
}

static void
free_case(struct jcase *c)
{
	free(c->file);
	free(c->classname);
	free(c->name);
}

void
jstate_release(struct jstate *s)
{
	size_t i;

	while (s->nsuites)
		end_suite(s);
	free(s->suites);
	for (i = 0; i < s->ncases; i++)
		free_case(&s->cases[i]);
	free(s->cases);
	free_case(&s->cur);
	free(s->doc_file);
	buf_release(&s->text);
	if (s->p)
		XML_ParserFree(s->p);
}

static char *
class_key(const char *classname, const char *name, size_t nlen)
{
	return xasprintf(
	    "%s\x1f%.*s", classname ? classname : "", (int)nlen, name);
}

/* Drops Go subtests whose parent is present, renames orphans to it. */
static void
collapse_subtests(struct jstate *s, struct junit_stats *st)
{
	struct idmap m = IDMAP_INIT;
	struct strlist keys = STRLIST_INIT;
	size_t i;

	for (i = 0; i < s->ncases; i++)
		if (strchr(s->cases[i].name, '/'))
			break;
	if (i == s->ncases)
		return; /* no subtest names: nothing to fold */
	for (i = 0; i < s->ncases; i++) {
		char *k = class_key(s->cases[i].classname, s->cases[i].name,
		    strlen(s->cases[i].name));

		strlist_push_owned(&keys, k);
		idmap_put(&m, k, i);
	}
	for (i = 0; i < s->ncases; i++) {
		struct jcase *c = &s->cases[i];
		const char *slash = strchr(c->name, '/');
		char *k;

		if (!slash || slash == c->name)
			continue;
		k = class_key(c->classname, c->name, (size_t)(slash - c->name));
		if (idmap_get(&m, k, NULL)) {
			c->flags |= 1u << 30; /* dropped */
			if (st)
				st->subtests++;
		} else {
			c->name[slash - c->name] = '\0';
		}
		free(k);
	}
	idmap_release(&m);
	strlist_release(&keys);
}

int
jstate_deliver(
    struct jstate *s, tcase_fn *fn, void *ctx, struct junit_stats *st)
{
	size_t i;

	collapse_subtests(s, st);
	for (i = 0; i < s->ncases; i++) {
		struct jcase *c = &s->cases[i];
		struct tcase tc;

		if (c->flags & (1u << 30))
			continue;
		tc.id = NULL;
		tc.file = c->file ? c->file : s->doc_file;
		tc.classname = c->classname;
		tc.name = c->name;
		tc.us = c->us;
		tc.flags = c->flags;
		if (st) {
			st->cases++;
			if (c->us == TC_UNKNOWN)
				st->no_time++;
		}
		if (fn(&tc, ctx) < 0)
			return -1;
	}
	return 0;
}
