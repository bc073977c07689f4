#include "common/compat.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/strlist.h"
#include "common/xalloc.h"
#include "idmap.h"
#include "junit.h"

#define CHUNK ((size_t)1 << 20)
#define MAX_CASES ((size_t)10 << 20)

struct jcase {
	char *file, *classname, *name;
	int64_t us;
	unsigned flags;
};

struct suite {
	char *file, *name;
	size_t depth, ncases;
	bool own_file;
};

struct jstate {
	XML_Parser p;
	const char *root;
	struct suite *suites;
	size_t nsuites, suites_alloc;
	struct jcase *cases;
	size_t ncases, cases_alloc;
	char *doc_file; /* from an empty suite with file= (mocha) */
	struct jcase cur;
	size_t depth, case_depth;
	bool in_case, in_time, time_attr;
	bool hard_fail, flaky;
	struct buf text;
	int err;
};

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

static void
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

static void
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

static int
deliver(struct jstate *s, tcase_fn *fn, void *ctx, struct junit_stats *st)
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

static int
feed(struct jstate *s, const char *what, const char *data, size_t len,
    bool final)
{
	if (XML_Parse(s->p, data, (int)len, final) == XML_STATUS_OK)
		return 0;
	if (s->err)
		return -1;
	return error_msg("'%s': not well-formed JUnit XML at line %lu: %s",
	    what, (unsigned long)XML_GetCurrentLineNumber(s->p),
	    XML_ErrorString(XML_GetErrorCode(s->p)));
}

static int
feed_pieces(struct jstate *s, const char *what, const char *data, size_t len)
{
	while (len > CHUNK) {
		if (feed(s, what, data, CHUNK, false) < 0)
			return -1;
		data += CHUNK;
		len -= CHUNK;
	}
	return len ? feed(s, what, data, len, false) : 0;
}

static int
feed_newlines(struct jstate *s, const char *what, size_t k)
{
	char nl[256];

	memset(nl, '\n', sizeof(nl));
	for (; k > sizeof(nl); k -= sizeof(nl))
		if (feed(s, what, nl, sizeof(nl), false) < 0)
			return -1;
	return k ? feed(s, what, nl, k, false) : 0;
}

static size_t
find(const char *d, size_t from, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const char *e;

	if (from > len)
		return SIZE_MAX;
	e = memmem(d + from, len - from, needle, n);
	return e ? (size_t)(e - d) : SIZE_MAX;
}

static bool
at(const char *d, size_t i, size_t len, const char *lit)
{
	size_t n = strlen(lit);

	return len - i >= n && !memcmp(d + i, lit, n);
}

/*
 * Failure reports are mostly CDATA stack traces, and expat spends most of
 * its time tokenising them although only a <time> element's text matters.
 * So the document is scanned for CDATA sections in content (not inside
 * comments, processing instructions or tags; a DOCTYPE turns the skipping
 * off) and each is replaced by its newlines (error line numbers stay
 * right) unless expat, fed everything before it, is inside <time>.
 */
static int
feed_skipping(struct jstate *s, const char *what, const char *d, size_t len)
{
	size_t seg = 0, i = 0, j, e, k;

	while (i < len) {
		const char *lt = memchr(d + i, '<', len - i);
		char q = 0;

		if (!lt)
			break;
		j = (size_t)(lt - d);
		if (at(d, j, len, "<!--") || at(d, j, len, "<?")) {
			bool pi = d[j + 1] == '?';

			e = find(d, j + 2, len, pi ? "?>" : "-->");
			if (e == SIZE_MAX)
				break;
			i = e + (pi ? 2 : 3);
			continue;
		}
		if (at(d, j, len, "<!DOCTYPE"))
			break;
		if (at(d, j, len, "<![CDATA[")) {
			e = find(d, j + 9, len, "]]>");
			if (e == SIZE_MAX)
				break;
			i = e + 3;
			if (feed_pieces(s, what, d + seg, j - seg) < 0)
				return -1;
			seg = j;
			if (s->in_time)
				continue;
			for (k = 0, seg = j; seg < i; k++) {
				const char *n = memchr(d + seg, '\n', i - seg);

				if (!n)
					break;
				seg = (size_t)(n - d) + 1;
			}
			if (feed_newlines(s, what, k) < 0)
				return -1;
			seg = i;
			continue;
		}
		for (i = j + 1; i < len; i++) {
			if (q) {
				if (d[i] == q)
					q = 0;
			} else if (d[i] == '"' || d[i] == '\'') {
				q = d[i];
			} else if (d[i] == '>') {
				break;
			}
		}
		i++;
	}
	return feed_pieces(s, what, d + seg, len - seg);
}

int
junit_parse_mem(const char *data, size_t len, const char *what,
    const char *root, tcase_fn *fn, void *ctx, struct junit_stats *st)
{
	struct jstate s;
	int ret = -1;

	jstate_init(&s, root);
	if (feed_skipping(&s, what, data, len) < 0 ||
	    feed(&s, what, "", 0, true) < 0)
		goto out;
	ret = deliver(&s, fn, ctx, st);
	if (st) {
		st->files++;
		st->bytes += len;
	}
out:
	jstate_release(&s);
	return ret;
}

int
junit_parse_file(const char *path, const char *root, tcase_fn *fn, void *ctx,
    struct junit_stats *st)
{
	struct jstate s;
	int fd, ret = -1;
	uint64_t total = 0;
	char *chunk = NULL;
	struct stat sb;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (uint64_t)sb.st_size < ((uint64_t)1 << 40)) {
		/* a file: mapped whole, so CDATA can be skipped (above) */
		void *m = mmap(
		    NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			ret = junit_parse_mem(
			    m, (size_t)sb.st_size, path, root, fn, ctx, st);
			munmap(m, (size_t)sb.st_size);
			if (fd > 0)
				close(fd);
			return ret;
		}
	}
	jstate_init(&s, root);
	for (;;) {
		/* read straight into expat's buffer: no copy per chunk */
		ssize_t n;

		chunk = XML_GetBuffer(s.p, (int)CHUNK);
		if (!chunk)
			die(125, "out of memory");
		n = read(fd, chunk, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_errno("cannot read '%s'", path);
			goto out;
		}
		total += (uint64_t)n;
		if (XML_ParseBuffer(s.p, (int)n, n == 0) != XML_STATUS_OK) {
			if (!s.err)
				error_msg("'%s': not well-formed JUnit XML at "
				          "line %lu: %s",
				    path,
				    (unsigned long)XML_GetCurrentLineNumber(
				        s.p),
				    XML_ErrorString(XML_GetErrorCode(s.p)));
			goto out;
		}
		if (n == 0)
			break;
	}
	ret = deliver(&s, fn, ctx, st);
	if (st) {
		st->files++;
		st->bytes += total;
	}
out:
	if (fd > 0)
		close(fd);
	jstate_release(&s);
	return ret;
}
