/* Entry parser: batch lines / --data go through json_parse,
 * entry_complete and the canonical encoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry_opts eo = { "fuzz", "2026-01-01T00:00:00Z", NULL, NULL,
		true };
	struct buf out = BUF_INIT(0), again = BUF_INIT(0);
	cJSON *obj = NULL, *back = NULL;
	int64_t t;
	char *s;

	log_set_sink(log_discard, NULL);
	if (json_parse((const char *)data, size, "fuzz", &obj) == 0 &&
	    entry_complete(obj, &eo) == 0 && entry_encode(obj, &out) == 0) {
		/* Canonical output must re-parse to the same bytes. */
		if (json_parse(out.data, out.len, "fuzz", &back) != 0 ||
		    entry_encode(back, &again) != 0 || again.len != out.len ||
		    memcmp(again.data, out.data, out.len) != 0 ||
		    memchr(out.data, '\n', out.len) != NULL)
			abort();
	}
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	(void)entry_parse_time(s, &t);
	(void)entry_event_valid(s);
	free(s);
	cJSON_Delete(obj);
	cJSON_Delete(back);
	buf_release(&out);
	buf_release(&again);
	return 0;
}
