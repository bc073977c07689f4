/*
 * Escaping must round-trip through the runner's unescape (ActionCommand.cs:
 * %0D, %0A, (%3A, %2C,) then %25 last) and never leave a CR or LF, and a
 * command line built from the input must parse back to the same command,
 * property and message.
 */
#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/gha.h"
#include "common/log.h"

static void
replace_all(struct buf *b, const char *from, char to)
{
	size_t n = strlen(from), i, o = 0;

	for (i = 0; i < b->len;) {
		if (i + n <= b->len && memcmp(b->data + i, from, n) == 0) {
			b->data[o++] = to;
			i += n;
		} else {
			b->data[o++] = b->data[i++];
		}
	}
	buf_truncate(b, o);
}

static void
runner_unescape(struct buf *b, bool prop)
{
	replace_all(b, "%0D", '\r');
	replace_all(b, "%0A", '\n');
	if (prop) {
		replace_all(b, "%3A", ':');
		replace_all(b, "%2C", ',');
	}
	replace_all(b, "%25", '%');
}

static void
check(const char *s, bool prop)
{
	struct buf b = BUF_INIT(0);

	if ((prop ? gha_escape_prop(&b, s) : gha_escape_data(&b, s)) < 0)
		abort();
	if (memchr(b.data, '\r', b.len) || memchr(b.data, '\n', b.len))
		abort();
	if (prop && (memchr(b.data, ':', b.len) || memchr(b.data, ',', b.len)))
		abort();
	runner_unescape(&b, prop);
	if (strcmp(b.data, s) != 0)
		abort();
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct buf line = BUF_INIT(0);
	const char *sep, *val, *msg;
	struct buf v = BUF_INIT(0), m = BUF_INIT(0);

	log_set_sink(log_discard, NULL);
	memcpy(s, data, size);
	s[size] = '\0'; /* C strings: stop at the first NUL */
	check(s, false);
	check(s, true);

	/* "::warning title=<s>::<s>" splits where the runner splits it. */
	if (gha_command_line(&line, "warning", "title", s, s) < 0)
		abort();
	sep = strstr(line.data + 2, "::");
	val = strchr(line.data, '=');
	if (sep == NULL || val == NULL || val > sep)
		abort();
	buf_add(&v, val + 1, (size_t)(sep - val - 1));
	msg = sep + 2;
	buf_adds(&m, msg);
	runner_unescape(&v, true);
	runner_unescape(&m, false);
	if (strcmp(v.data, s) != 0 || strcmp(m.data, s) != 0)
		abort();
	buf_release(&v);
	buf_release(&m);
	buf_release(&line);
	free(s);
	return 0;
}
