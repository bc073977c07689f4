/* The rules parser: arbitrary YAML through config + rule validation +
 * regex compilation, then one classification with whatever loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "heal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "npm error code ECONNRESET\nboom 12\nctx\n";
	struct heal_rules rs = HEAL_RULES_INIT;

	log_set_sink(log_discard, NULL);
	heal_rules_builtin(&rs);
	if (heal_rules_load_mem(&rs, "fuzz.yml", (const char *)data, size) ==
	        0 &&
	    heal_rules_compile(&rs) == 0) {
		struct heal_scan s;
		struct heal_match m;
		heal_scan_init(&s, &rs);
		heal_scan_feed(&s, text, sizeof(text) - 1);
		heal_scan_result(&s, 1, 0, &m);
		heal_scan_release(&s);
	}
	heal_rules_release(&rs);
	return 0;
}
