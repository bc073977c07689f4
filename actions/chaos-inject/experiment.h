#ifndef CHAOS_EXPERIMENT_H
#define CHAOS_EXPERIMENT_H

#include <stdint.h>

#include "common/compat.h"
#include "common/config.h"
#include "common/strlist.h"

/*
 * `run --experiment FILE.yml`: the Chaos Toolkit model (chaos.md §6) cut
 * down to what one CI job needs.
 *
 *   title: api survives 200 ms to postgres
 *   seed: 42                          # optional
 *   steady-state-hypothesis:
 *     probes:
 *       - name: health
 *         command: [curl, -sf, http://127.0.0.1:8080/health]
 *         expect-exit: 0              # default 0
 *         timeout: 10s                # default 60s
 *   method:
 *     scenario: network-latency
 *     args: [--target, 127.0.0.1:5432, --latency, 200ms]
 *     command: [npm, test]
 *     expect-exit: 0                  # optional: other statuses deviate
 *   rollbacks:
 *     - command: [./scripts/reset-db.sh]
 *
 * The probes run before the method (the steady state must hold, else the
 * experiment stops) and after it (the hypothesis); rollbacks always run.
 * Exit: 0 the hypothesis held, 1 it deviated, 2 a bad experiment.
 * Strings point into the config_doc, which must outlive the struct.
 */
#define CHAOS_MAX_PROBES 16
#define CHAOS_MAX_ROLLBACKS 8

struct chaos_probe {
	const char *name;
	struct strlist command;
	long expect;
	int64_t timeout_ms;
};

struct chaos_probes {
	struct chaos_probe p[CHAOS_MAX_PROBES];
	size_t n;
};

struct chaos_cmds {
	struct strlist c[CHAOS_MAX_ROLLBACKS];
	size_t n;
};

struct chaos_experiment {
	const char *title, *seed, *scenario;
	struct strlist args, command;
	long expect_exit; /* -1: any */
	struct chaos_probes probes;
	struct chaos_cmds rollbacks;
};

void chaos_experiment_init(struct chaos_experiment *e);
void chaos_experiment_release(struct chaos_experiment *e);
/* Parses and validates; -1 with one message naming the file and place. */
int chaos_experiment_load(struct chaos_experiment *e, struct config_doc *doc,
    const char *name, const char *data, size_t len);

/* Runs it; method(argc, argv) is `chaos-inject run`'s entry point.
 * allow_roots (may be NULL): the command line's --allow-root, passed on
 * to the method before the file's own args. */
typedef int chaos_method_fn(int argc, char **argv);
int chaos_experiment_main(const char *path, const char *journal,
    const char *state_dir, const struct strlist *allow_roots,
    chaos_method_fn *method);

#endif
