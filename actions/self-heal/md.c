#include "common/compat.h"

#include <string.h>

#include "heal.h"

/*
 * Markdown for text we do not control (log lines, job names): an inline
 * code span or a fenced block whose backtick run is longer than any run
 * inside, so the text cannot close it, start HTML, or mention anyone.
 */
static size_t
longest_run(const char *s, char ch)
{
	size_t best = 0, cur = 0;

	for (; *s; s++) {
		cur = *s == ch ? cur + 1 : 0;
		if (cur > best)
			best = cur;
	}
	return best;
}

int
heal_md_code(struct buf *out, const char *s)
{
	size_t n = longest_run(s, '`') + 1, i;
	const char *p;

	if (!*s)
		return buf_adds(out, "-");
	for (i = 0; i < n; i++)
		(void)buf_addch(out, '`');
	(void)buf_addch(out, ' ');
	for (p = s; *p; p++) {
		/* a table cell ends at '|' and at a newline even in code */
		if (*p == '|')
			(void)buf_adds(out, "\\|");
		else if (*p == '\n' || *p == '\r')
			(void)buf_addch(out, ' ');
		else
			(void)buf_addch(out, *p);
	}
	(void)buf_addch(out, ' ');
	for (i = 0; i < n; i++)
		(void)buf_addch(out, '`');
	return 0;
}

int
heal_md_fence(struct buf *out, const char *s)
{
	size_t n = longest_run(s, '`') + 1, i;

	if (n < 3)
		n = 3;
	for (i = 0; i < n; i++)
		(void)buf_addch(out, '`');
	(void)buf_addf(out, "text\n%s\n", s);
	for (i = 0; i < n; i++)
		(void)buf_addch(out, '`');
	return buf_addch(out, '\n');
}
