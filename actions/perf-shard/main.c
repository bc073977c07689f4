#include "common/compat.h"

#include "common/log.h"
#include "common/opt.h"
#include "cmd.h"

static const struct subcmd cmds[] = {
	{ "ingest", cmd_ingest, "merge JUnit/durations reports into timings" },
	{ "plan", cmd_plan, "split tests over N shards (or pick N)" },
	{ "split", cmd_split, "print one shard's tests" },
	{ "run", cmd_run, "run one shard's tests: run --index I -- CMD {}" },
	{ "report", cmd_report, "predicted vs actual after the shards ran" },
	{ "queue-clean", cmd_queue_clean, "delete a queue's claim refs" },
	{ NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
	log_init("perf-shard");
	return opt_dispatch(argc, argv, cmds,
	    "Split a test suite over parallel CI jobs by measured timings.");
}
