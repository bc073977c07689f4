#include "common/compat.h"

#include <string.h>

#include "log_store.h"
#include "log_tail.h"

/* An entry as append writes it: a JSON object in canonical form, which
 * escapes every control character. Zeros left by a lost write fail. */
static bool
plausible(const char *p, size_t len)
{
	size_t i;

	if (len < 2 || len > LOG_ENTRY_MAX || p[0] != '{' || p[len - 1] != '}')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20)
			return false;
	return true;
}

void
log_tail_scan(const char *p, size_t len, size_t *n, size_t *end)
{
	size_t pos = 0, count = 0, llen;
	const char *nl;

	*n = 0;
	*end = 0;
	while (pos < len) {
		nl = memchr(p + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		llen = (size_t)(nl - (p + pos));
		if (!plausible(p + pos, log_line_entry_len(p + pos, llen)))
			break;
		count++;
		pos += llen + 1;
		if (p[pos - 2] != ' ') {
			*n = count;
			*end = pos;
		}
	}
}
