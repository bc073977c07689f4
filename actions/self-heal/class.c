#include "common/compat.h"

#include <string.h>

#include "common/log.h"
#include "heal.h"

/* The failure classes: names, priority (a deterministic signature anywhere
 * outranks any transient one) and whether a retry can fix them. */
static const struct {
	const char *name;
	int prio;
	bool transient;
} classes[HEAL_CLASS_MAX] = {
	[HEAL_NONE] = { "none", 0, false },
	[HEAL_DETERMINISTIC] = { "deterministic", 100, false },
	[HEAL_DEPENDENCY] = { "dependency", 90, false },
	[HEAL_DISK_FULL] = { "disk_full", 60, true },
	[HEAL_CACHE_CORRUPT] = { "cache_corrupt", 50, true },
	[HEAL_RATE_LIMIT] = { "rate_limit", 40, true },
	[HEAL_OOM] = { "oom", 35, true },
	[HEAL_INFRA] = { "infra", 30, true },
	[HEAL_NETWORK] = { "network", 20, true },
	[HEAL_FLAKY_TEST] = { "flaky_test", 10, true },
	[HEAL_TIMEOUT] = { "timeout", 5, false },
	[HEAL_UNKNOWN] = { "unknown", 1, false },
};

const char *
heal_class_name(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX ? classes[c].name : "unknown";
}

int
heal_class_parse(const char *s, enum heal_class *out)
{
	size_t i;

	for (i = 1; i < HEAL_CLASS_MAX; i++)
		if (!strcmp(s, classes[i].name)) {
			*out = (enum heal_class)i;
			return 0;
		}
	return error_msg("unknown class '%s'", s);
}

int
heal_class_priority(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX ? classes[c].prio : 0;
}

bool
heal_class_transient(enum heal_class c)
{
	return (unsigned)c < HEAL_CLASS_MAX && classes[c].transient;
}
