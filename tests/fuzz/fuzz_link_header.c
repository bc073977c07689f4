/*
 * github_link_next on arbitrary bytes: must not crash, and whatever it
 * returns must be a clean URL copied from between '<' and '>' of the input.
 */
#include "common/compat.h"

#include <stdlib.h>
#include <string.h>

#include "common/github.h"
#include "common/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char *next = github_link_next(s);

	if (next) {
		size_t i, n = strlen(next);
		const char *at = s;

		/* Some occurrence must be exactly "<next>". */
		while ((at = strstr(at, next)) != NULL &&
		       (at == s || at[-1] != '<' || at[n] != '>'))
			at++;
		if (n == 0 || at == NULL)
			abort();
		for (i = 0; next[i]; i++)
			if ((unsigned char)next[i] <= 0x20 || next[i] == '<' ||
			    next[i] == '>')
				abort();
	}
	free(next);
	free(s);
	return 0;
}
