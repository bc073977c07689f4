/* The direct writer of a single append (entry_write) must produce the
 * bytes of the cJSON reference (entry_build + entry_encode) and fail
 * exactly when it fails. Input: NUL-separated event, time, data (empty:
 * none), GITHUB_REF value, then --field arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/strlist.h"
#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry_opts eo = { NULL, NULL, NULL, NULL, false };
	struct buf a = BUF_INIT(SIZE_MAX), b = BUF_INIT(SIZE_MAX);
	struct strlist parts = STRLIST_INIT, fields = STRLIST_INIT;
	cJSON *obj = NULL;
	char *s, *p;
	size_t i;
	int ra = -1, rb;

	log_set_sink(log_discard, NULL);
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = 0;
	for (p = s; p <= s + size; p += strlen(p) + 1)
		strlist_push(&parts, p);
	eo.event = parts.nr > 0 ? parts.items[0] : "fuzz";
	eo.time = parts.nr > 1 && *parts.items[1] ? parts.items[1]
	                                          : "2026-01-01T00:00:00Z";
	eo.data = parts.nr > 2 && *parts.items[2] ? parts.items[2] : NULL;
	if (parts.nr > 3)
		setenv("GITHUB_REF", parts.items[3], 1);
	else
		unsetenv("GITHUB_REF");
	for (i = 4; i < parts.nr; i++)
		strlist_push(&fields, parts.items[i]);
	eo.fields = &fields;
	if (entry_build(&eo, &obj) == 0 && entry_encode(obj, &a) == 0)
		ra = 0;
	rb = entry_write(&eo, &b);
	if (ra != rb || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	cJSON_Delete(obj);
	buf_release(&a);
	buf_release(&b);
	strlist_release(&parts);
	strlist_release(&fields);
	free(s);
	return 0;
}
