/* DSSE PAE decoder, in-toto subject check and JWT claims decoder. */
#include "common/compat.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/log.h"
#include "dsse.h"
#include "keyless.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t, *body;
	size_t tl, bl;
	struct buf again = BUF_INIT(0);
	uint8_t zero[32] = { 0 };
	cJSON *claims = NULL;
	char *s;

	log_set_sink(log_discard, NULL);
	if (dsse_pae_parse(data, size, &t, &tl, &body, &bl) == 0) {
		/* Round trip: re-encoding must give the same bytes. */
		char *type = strndup(t, tl);

		if (dsse_pae(&again, type, body, bl) != 0 ||
		    again.len != size || memcmp(again.data, data, size) != 0)
			abort();
		free(type);
		(void)statement_has_subject(body, bl, zero);
	}
	buf_release(&again);
	s = strndup((const char *)data, size);
	if (jwt_decode_claims(s, &claims) == 0)
		cJSON_Delete(claims);
	free(s);
	return 0;
}
