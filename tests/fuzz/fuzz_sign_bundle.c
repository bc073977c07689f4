/* Sigstore bundle and Rekor response parsers of sign-artifact. */
#include "common/compat.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "common/log.h"
#include "keyless.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle b;
	struct tlog_entry e;

	log_set_sink(log_discard, NULL);
	bundle_init(&b);
	if (bundle_parse(&b, (const char *)data, size, "fuzz") == 0) {
		/* Whatever parsed must be internally consistent. */
		if (b.content != BUNDLE_MESSAGE && b.content != BUNDLE_DSSE)
			abort();
		if (b.tlog.nr_hashes > TLOG_MAX_PROOF_HASHES)
			abort();
		if (b.content == BUNDLE_DSSE && b.payload_type == NULL)
			abort();
	}
	bundle_release(&b);
	tlog_entry_init(&e);
	(void)rekor_parse_response((const char *)data, size, &e);
	tlog_entry_release(&e);
	return 0;
}
