/*
 * The shim parses BULWARK_CHAOS_RULES in every process it is loaded into,
 * before main(): it must never crash, read out of bounds or loop, whatever
 * the text. Also feeds the same bytes to the proxy's toxic parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "actions/chaos-inject/chaos.h"
#include "actions/chaos-inject/rules.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct chaos_rules rs;
	struct chaos_toxic t;
	char err[160];
	char *text = malloc(size + 1);
	size_t i;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	log_set_sink(log_discard, NULL);
	if (chaos_rules_parse(&rs, text, err, sizeof(err)) == 0) {
		/* every accepted rule is self-consistent */
		for (i = 0; i < rs.n; i++) {
			if (rs.r[i].calls == 0 ||
			    rs.r[i].path_len >= CHAOS_MAX_PATH)
				abort();
			if (rs.r[i].err != 0 && (rs.r[i].calls & CHAOS_OPEN) &&
			    !chaos_rule_errno_ok(CHAOS_OPEN, rs.r[i].err))
				abort();
		}
	} else if (strnlen(err, sizeof(err)) == sizeof(err)) {
		abort(); /* message must be terminated */
	}
	(void)chaos_toxic_parse(text, &t);
	free(text);
	return 0;
}
