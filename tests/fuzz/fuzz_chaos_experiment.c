/*
 * Experiment files come from the repository under test: any bytes must
 * give a loaded experiment or one error, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "actions/chaos-inject/experiment.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chaos_experiment e;
	struct config_doc doc = CONFIG_DOC_INIT;

	log_set_sink(log_discard, NULL);
	chaos_experiment_init(&e);
	(void)chaos_experiment_load(
	    &e, &doc, "fuzz.yml", (const char *)data, size);
	chaos_experiment_release(&e);
	config_release(&doc);
	return 0;
}
