#include "common/compat.h"

#include "common/log.h"
#include "common/opt.h"
#include "heal.h"

/* self-heal: thin dispatch; the logic lives in self_heal_lib. */
int
main(int argc, char **argv)
{
	static const struct subcmd cmds[] = {
		{ "run", heal_cmd_run,
		    "run a command, retry only what a retry can fix" },
		{ "classify", heal_cmd_classify,
		    "classify CI logs: class, rule, evidence line" },
		{ "remediate", heal_cmd_remediate,
		    "re-run or file an issue for a failed workflow run" },
		{ "flaky", heal_cmd_flaky,
		    "find flaky tests by comparing JUnit results of attempts" },
		{ NULL, NULL, NULL },
	};

	log_init("self-heal");
	return opt_dispatch(argc, argv, cmds,
	    "Classify CI failures, retry transient ones, remediate failed "
	    "runs and report flaky tests.");
}
