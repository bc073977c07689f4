/* The run-log zip reader: list and extract every entry of arbitrary
 * bytes with a small cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "heal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct heal_zip z;
	size_t i;

	log_set_sink(log_discard, NULL);
	if (heal_zip_list(data, size, &z) < 0)
		return 0;
	for (i = 0; i < z.nr; i++) {
		struct buf out = BUF_INIT(0);
		if (heal_zip_extract(data, size, &z.v[i], 1 << 20, &out) == 0 &&
		    out.len > (1 << 20))
			abort();
		buf_release(&out);
	}
	heal_zip_release(&z);
	return 0;
}
