/* Proof files (tlog-proof and witness-style consistency) and the
 * verification of whatever they contain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "merkle.h"
#include "proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proof p;
	struct buf out = BUF_INIT(0);
	merkle_hash leaf, root;

	log_set_sink(log_discard, NULL);
	proof_init(&p);
	if (proof_parse("fuzz", (const char *)data, size, &p) == 0) {
		/* Round trip: formatting a parsed proof gives the input back
		 * (the formats have a single spelling). */
		if (proof_format(&p, &out) != 0 || out.len != size ||
		    memcmp(out.data, data, size) != 0)
			abort();
		memset(leaf, 0x11, sizeof(leaf));
		memset(root, 0x22, sizeof(root));
		(void)merkle_leaf_hash(p.extra.data, p.extra.len, leaf);
		if (p.len > 0) {
			(void)merkle_verify_inclusion(
			    p.n, p.n + 1 + p.len, leaf, p.path[0], p.len, root);
			(void)merkle_verify_consistency(
			    p.n, p.n + p.len, leaf, root, p.path[0], p.len);
		}
	}
	proof_release(&p);
	buf_release(&out);
	return 0;
}
