/* The torn-tail scanner on arbitrary bytes past a log's index. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_tail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t n, end, n2, end2;

	log_tail_scan(p, size, &n, &end);
	if (end > size || (n == 0) != (end == 0))
		abort();
	/* What it keeps ends a commit: "}\n", and rescans to itself. */
	if (end > 0 && (p[end - 1] != '\n' || p[end - 2] != '}'))
		abort();
	log_tail_scan(p, end, &n2, &end2);
	if (n2 != n || end2 != end)
		abort();
	return 0;
}
