#include "common/compat.h"

#include <string.h>

#include "checksums.h"

int
checksums_format(const struct digest_item *items, size_t n, struct buf *out)
{
	char hex[2 * HASH_SHA256_LEN + 1];
	const char *p;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = items[i].path;
		bool esc = strpbrk(name, "\n\\") != NULL;

		hash_hex(items[i].sha256, HASH_SHA256_LEN, hex);
		if (buf_addf(out, "%s%s  ", esc ? "\\" : "", hex) < 0)
			return -1;
		for (p = name; *p; p++) {
			int r;

			if (esc && *p == '\n')
				r = buf_adds(out, "\\n");
			else if (esc && *p == '\\')
				r = buf_adds(out, "\\\\");
			else
				r = buf_addch(out, *p);
			if (r < 0)
				return -1;
		}
		if (buf_addch(out, '\n') < 0)
			return -1;
	}
	return 0;
}
