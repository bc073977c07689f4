#include "common/compat.h"

#include <expat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exitcode.h"
#include "common/gha.h"
#include "common/github.h"
#include "common/glob.h"
#include "common/json.h"
#include "common/log.h"
#include "common/opt.h"
#include "common/xalloc.h"
#include "heal.h"

/*
 * `self-heal flaky`: a test that failed in one attempt and passed in a
 * later one of the same commit is flaky (research §7); so is one that
 * surefire marked <flakyFailure>/<flakyError> within an attempt. JUnit
 * files are read with expat, entity declarations refused (no billion
 * laughs, no external entities).
 */
#define MAX_RESULTS 1000000
#define MAX_KEY 512
#define MAX_XML ((size_t)256 << 20)

enum tres {
	T_PASS,
	T_FAIL,
	T_SKIP,
	T_FLAKY
};

struct result {
	char *key;
	long attempt;
	enum tres r;
};

struct results {
	struct result *v;
	size_t nr, alloc;
	bool overflow;
};

struct parse {
	XML_Parser p;
	struct results *rs;
	long attempt;
	int depth_case; /* >0 inside <testcase> */
	char *key;
	enum tres r;
};

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parse *ps = ud;
	const char *cls = "", *tn = "";
	size_t i;

	if (!strcmp(name, "testcase")) {
		for (i = 0; atts[i]; i += 2) {
			if (!strcmp(atts[i], "classname"))
				cls = atts[i + 1];
			else if (!strcmp(atts[i], "name"))
				tn = atts[i + 1];
		}
		free(ps->key);
		ps->key =
		    xasprintf("%.200s%s%.300s", cls, *cls ? "::" : "", tn);
		ps->r = T_PASS;
		ps->depth_case = 1;
		return;
	}
	if (!ps->depth_case)
		return;
	ps->depth_case++;
	if (!strcmp(name, "failure") || !strcmp(name, "error"))
		ps->r = T_FAIL;
	else if (!strcmp(name, "skipped") && ps->r == T_PASS)
		ps->r = T_SKIP;
	else if ((!strcmp(name, "flakyFailure") ||
	             !strcmp(name, "flakyError")) &&
	         ps->r != T_FAIL)
		ps->r = T_FLAKY;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct parse *ps = ud;
	struct results *rs = ps->rs;

	if (!ps->depth_case)
		return;
	if (--ps->depth_case || strcmp(name, "testcase"))
		return;
	if (rs->nr >= MAX_RESULTS) {
		rs->overflow = true;
		return;
	}
	xgrow((void **)&rs->v, &rs->alloc, rs->nr + 1, sizeof(*rs->v));
	rs->v[rs->nr].key = ps->key;
	rs->v[rs->nr].attempt = ps->attempt;
	rs->v[rs->nr].r = ps->r;
	rs->nr++;
	ps->key = NULL;
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int pe, const XML_Char *value,
    int vlen, const XML_Char *base, const XML_Char *sys, const XML_Char *pub,
    const XML_Char *notation)
{
	struct parse *ps = ud;
	(void)name, (void)pe, (void)value, (void)vlen, (void)base, (void)sys,
	    (void)pub, (void)notation;
	XML_StopParser(ps->p, XML_FALSE);
}

static int
parse_file(const char *path, long attempt, struct results *rs)
{
	struct parse ps;
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t total = 0;
	ssize_t n;
	int ret = -1;

	if (fd < 0)
		return error_errno("cannot open '%s'", path);
	memset(&ps, 0, sizeof(ps));
	ps.rs = rs;
	ps.attempt = attempt;
	ps.p = XML_ParserCreate(NULL);
	XML_SetUserData(ps.p, &ps);
	XML_SetElementHandler(ps.p, on_start, on_end);
	XML_SetEntityDeclHandler(ps.p, on_entity);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			error_errno("cannot read '%s'", path);
			goto out;
		}
		total += (size_t)n;
		if (total > MAX_XML) {
			error_msg("'%s': larger than %zu bytes", path, MAX_XML);
			goto out;
		}
		if (XML_Parse(ps.p, chunk, (int)n, n == 0) != XML_STATUS_OK) {
			error_msg("'%s':%lu: %s", path,
			    (unsigned long)XML_GetCurrentLineNumber(ps.p),
			    XML_GetErrorCode(ps.p) == XML_ERROR_ABORTED
			        ? "entity declarations are not accepted"
			        : XML_ErrorString(XML_GetErrorCode(ps.p)));
			goto out;
		}
		if (n == 0)
			break;
	}
	ret = 0;
out:
	free(ps.key);
	XML_ParserFree(ps.p);
	close(fd);
	return ret;
}

/* "attempt-2/..." or ".../attempt_3/..." gives the attempt number. */
static long
attempt_of(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "attempt")) != NULL) {
		const char *q = p + 7;
		bool seg = p == path || p[-1] == '/';
		if (*q == '-' || *q == '_')
			q++;
		if (seg && *q >= '0' && *q <= '9') {
			char *e;
			long v = strtol(q, &e, 10);
			if ((*e == '/' || *e == '\0') && v > 0 && v < 1000)
				return v;
		}
		p += 7;
	}
	return 0;
}

static int
cmp_result(const void *a, const void *b)
{
	const struct result *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return (x->attempt > y->attempt) - (x->attempt < y->attempt);
}

int
heal_cmd_flaky(int argc, char **argv)
{
	static const char *const usage[] = {
		"self-heal flaky --junit GLOB [--junit GLOB...] [--json] [--issues --repo OWNER/REPO [--dry-run]]",
		NULL,
	};
	struct strlist pats = STRLIST_INIT;
	struct results rs;
	const char *repo = NULL, *label = "self-heal";
	bool json = false, issues = false, dry_run = false;
	struct github gh = GITHUB_INIT;
	cJSON *arr = cJSON_CreateArray();
	struct gha_untrusted u;
	size_t i, j, nflaky = 0;
	int rc = RC_USAGE, idx;
	const struct opt opts[] = {
		OPT_LIST(0, "junit", &pats, "GLOB",
		    "JUnit XML files; 'attempt-N/' in the path gives the attempt, else the option's position"),
		OPT__JSON(&json),
		OPT_BOOL(0, "issues", &issues,
		    "file or update one issue per flaky test"),
		OPT_STRING_ENV(0, "repo", &repo, "OWNER/REPO",
		    "GITHUB_REPOSITORY", "repository for --issues"),
		OPT_STRING(0, "label", &label, "NAME",
		    "issue label (default self-heal)"),
		OPT__DRY_RUN(&dry_run),
		OPT__VERBOSE,
		OPT__QUIET,
		OPT_END(),
	};

	memset(&rs, 0, sizeof(rs));
	idx = opt_parse(argc, argv, opts, usage);
	if (idx == OPT_DONE) {
		rc = RC_OK;
		goto out;
	}
	if (idx < 0)
		goto out;
	if (!pats.nr) {
		error_msg("flaky: no --junit given");
		goto out;
	}
	rc = RC_FAIL;
	for (i = 0; i < pats.nr; i++) {
		struct strlist files = STRLIST_INIT;
		if (glob_expand(pats.items[i], &files, 0) < 0) {
			strlist_release(&files);
			goto out;
		}
		for (j = 0; j < files.nr; j++) {
			long a = attempt_of(files.items[j]);
			if (parse_file(
			        files.items[j], a ? a : (long)i + 1, &rs) < 0) {
				strlist_release(&files);
				goto out;
			}
		}
		strlist_release(&files);
	}
	if (rs.overflow)
		warn_msg("more than %d test results: the rest were ignored",
		    MAX_RESULTS);
	if (rs.nr)
		qsort(rs.v, rs.nr, sizeof(*rs.v), cmp_result);
	if (issues) {
		if (github_init(&gh) < 0 || github_require_token(&gh) < 0 ||
		    !repo) {
			if (!repo)
				error_msg(
				    "--issues needs --repo or GITHUB_REPOSITORY");
			rc = RC_USAGE;
			goto out;
		}
	}

	if (!json)
		gha_untrusted_begin(&u, stdout);
	for (i = 0; i < rs.nr; i = j) {
		long failed_in = 0, passed_in = 0;
		bool flaky = false;
		for (j = i; j < rs.nr && !strcmp(rs.v[j].key, rs.v[i].key);
		     j++) {
			if (rs.v[j].r == T_FLAKY) {
				flaky = true;
				failed_in = passed_in = rs.v[j].attempt;
			} else if (rs.v[j].r == T_FAIL && !failed_in) {
				failed_in = rs.v[j].attempt;
			} else if (rs.v[j].r == T_PASS && failed_in &&
			           rs.v[j].attempt > failed_in && !flaky) {
				flaky = true;
				passed_in = rs.v[j].attempt;
			}
		}
		if (!flaky)
			continue;
		nflaky++;
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "test", rs.v[i].key);
			cJSON_AddNumberToObject(
			    o, "failed_attempt", (double)failed_in);
			cJSON_AddNumberToObject(
			    o, "passed_attempt", (double)passed_in);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf(
			    "flaky: %s (failed in attempt %ld, passed in attempt %ld)\n",
			    rs.v[i].key, failed_in, passed_in);
		}
		if (issues) {
			struct buf body = BUF_INIT(1 << 16);
			char *key = xasprintf("flaky_test\n%s", rs.v[i].key);
			char *title = xasprintf(
			    "self-heal: flaky test %.120s", rs.v[i].key);
			long num;
			const char *action;
			(void)buf_adds(&body,
			    "self-heal saw this test fail and then pass on the same commit:\n\n");
			(void)heal_md_fence(&body, rs.v[i].key);
			(void)buf_addf(&body,
			    "\nfailed in attempt %ld, passed in attempt %ld.\n",
			    failed_in, passed_in);
			if (heal_issue_upsert(&gh, repo, label, key, title,
			        body.data, dry_run, &num, &action) == 0 &&
			    !json)
				printf("  issue #%ld %s%s\n", num, action,
				    dry_run ? " (dry run)" : "");
			buf_release(&body);
			free(key);
			free(title);
		}
	}
	if (json) {
		char *s = json_print(arr);
		puts(s);
		free(s);
	} else {
		printf("%zu flaky test%s among %zu results\n", nflaky,
		    nflaky == 1 ? "" : "s", rs.nr);
		gha_untrusted_end(&u, stdout);
	}
	{
		char num[24];
		snprintf(num, sizeof(num), "%zu", nflaky);
		(void)gha_set_output("flaky-count", num);
	}
	rc = RC_OK;
out:
	for (i = 0; i < rs.nr; i++)
		free(rs.v[i].key);
	free(rs.v);
	cJSON_Delete(arr);
	strlist_release(&pats);
	github_release(&gh);
	return rc;
}
