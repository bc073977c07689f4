#ifndef CHAOS_REPORT_H
#define CHAOS_REPORT_H

#include "common/json.h"
#include <stdint.h>
#include <sys/types.h>

#include "chaos.h"
#include "common/compat.h"

/*
 * The run journal (JSON, modelled on Chaos Toolkit's): seed, command, the
 * mechanisms planned, every fault the shim or the killer injected (pid,
 * lineage, rule, call number, time), the files mutated with their sha256
 * before and after, and the rollback. The struct owns its cJSON tree.
 */
struct chaos_report {
	cJSON *root;
	cJSON *faults, *actions;
	int64_t start_ms;
	uint64_t seed;
	size_t nfaults;
};

void chaos_report_init(struct chaos_report *r);
void chaos_report_release(struct chaos_report *r);
void chaos_report_begin(struct chaos_report *r, const struct chaos_run_opts *o,
    const struct chaos_plan *p, uint64_t seed, char **cmd);
void chaos_report_note(struct chaos_report *r, const char *fmt, ...)
    ATTR_PRINTF(2, 3);
void chaos_report_mutation(struct chaos_report *r, const char *path,
    const char *kind, const struct chaos_mut_result *res);
/* A fault the controller injected itself (a mutation, a cold cache, a disk
 * fill, a stressor, an rlimit): listed with the shim's and counted. call
 * names the mechanism, n counts it from 1, path may be NULL. */
void chaos_report_fault(struct chaos_report *r, pid_t pid, const char *call,
    size_t n, const char *action, const char *path);
/* Reads the shim's JSON-lines fault log (missing = no faults). */
void chaos_report_faults(struct chaos_report *r, const char *log);
void chaos_report_end(struct chaos_report *r, int exit_code, bool rolled_back,
    const char *rollback_steps);
/* Writes the journal (path, or <state>/chaos-journal-<pid>.json), the
 * step summary and the outputs; with json also prints it on stdout. */
int chaos_report_write(
    struct chaos_report *r, const char *path, const char *state, bool json);

/* --dry-run: what would be done, exactly. */
void chaos_print_plan(const struct chaos_run_opts *o,
    const struct chaos_plan *p, uint64_t seed, const struct strlist *argv,
    const char *shim, bool json);

/* killer.c: after delay_ms, SIGKILL one seeded-chosen process of the
 * command's process group; logs it to the fault log. */
int chaos_killer_start(pid_t pgid, int64_t delay_ms, uint64_t seed,
    const char *log, struct chaos_journal *j, pid_t *pid);

/* fallback.c: static or Go commands bypass libc; if strace exists the
 * rules it can express are rewritten as `strace --inject` (argv is
 * prefixed) and true is returned: the shim must then stay out of strace
 * itself. Else a warning says the shim cannot reach the command. */
bool chaos_fallback_check(
    struct chaos_plan *p, struct strlist *argv, const char *shim);

#endif
