/* json_parse + json_canonical on arbitrary bytes: no crash, no leak, and a
 * canonical form, parsed again, canonicalises to itself. */
#include "common/compat.h"

#include "common/json.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *v = NULL, *w = NULL;
	struct buf a = BUF_INIT(1 << 20), b = BUF_INIT(1 << 20);

	log_set_sink(log_discard, NULL);
	if (json_parse((const char *)data, size, "fuzz", &v) < 0)
		goto out;
	if (json_canonical(v, &a) < 0)
		goto out;
	if (json_parse(a.data, a.len, "canonical", &w) < 0)
		abort();
	if (json_canonical(w, &b) < 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		abort();
out:
	cJSON_Delete(v);
	cJSON_Delete(w);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
