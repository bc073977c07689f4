#ifndef CHAOS_H
#define CHAOS_H

#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/compat.h"
#include "common/strlist.h"

/*
 * chaos-inject internals, one section per file. Every change chaos-inject
 * makes outside the command's own process (a mutated file, a directory
 * moved aside, a fill file, a stressor or proxy process, the command's
 * process group) is first recorded in a write-ahead undo journal, so that
 * it can be undone by the controller on exit, by its watchdog when the
 * controller is SIGKILLed, or by the next start / `chaos-inject rollback`.
 */

/* ---- journal.c: the undo journal and its watchdog ---- */

/*
 * One journal per controller: <state>/undo-<pid>.log, text lines appended
 * with fsync, the file flocked by its owner for its lifetime. A journal
 * whose lock can be taken belongs to a dead controller and is rolled back.
 * Ownership: chaos_journal owns path and the fds; chaos_journal_release
 * closes them without rolling back (use chaos_journal_finish for that).
 */
struct chaos_journal {
	char *path;
	int lock_fd;
	int watchdog_fd; /* write end of the pipe the watchdog blocks on */
	pid_t watchdog;
};
#define CHAOS_JOURNAL_INIT                                                     \
	{                                                                      \
		NULL, -1, -1, -1                                               \
	}

/* --state-dir, else $RUNNER_TEMP/bulwark-chaos, else
 * ${TMPDIR:-/tmp}/bulwark-chaos-<uid>. Created 0700. */
int chaos_state_dir(const char *override, struct buf *out);
int chaos_journal_open(struct chaos_journal *j, const char *state_dir);
/* Records one undo step; a and b are paths (stored hex-encoded). */
int chaos_journal_add(struct chaos_journal *j, const char *kind, const char *a,
    const char *b, const char *extra);
/* "pid" (a helper to SIGKILL) or "group" (the command's process group). */
int chaos_journal_add_pid(struct chaos_journal *j, const char *kind, pid_t pid);
/* Forks the watchdog: it rolls the journal back when we die. */
int chaos_journal_start_watchdog(struct chaos_journal *j);
/* Rolls back, removes the journal, releases the watchdog. */
int chaos_journal_finish(struct chaos_journal *j, struct buf *report);
void chaos_journal_release(struct chaos_journal *j);

/*
 * Undoes every step of the journal at path, newest first; each step is
 * idempotent. wait_lock: block for the lock (watchdog) instead of
 * returning 1 when a live controller holds it. report (may be NULL) gets
 * one line per step. Returns 0 when all steps succeeded (the journal is
 * then removed), -1 if one failed (it is kept for a later retry).
 */
int chaos_rollback_path(const char *path, bool wait_lock, struct buf *report);
/* The same, for the owner that already holds the lock on lock_fd. */
int chaos_rollback_locked(const char *path, int lock_fd, struct buf *report);
/* Rolls back every stale journal in state_dir; returns how many or -1. */
int chaos_rollback_stale(const char *state_dir, struct buf *report);

/* Start time of a process (clock ticks since boot), 0 if it is gone. */
uint64_t chaos_proc_start(pid_t pid);
int chaos_hex_encode(struct buf *out, const char *s);
int chaos_hex_decode(struct buf *out, const char *hex);

/* ---- stress.c: resource stressors, each a child with PDEATHSIG ---- */
struct chaos_stress {
	long cpu_workers;    /* spinning processes */
	long cpu_load;       /* duty cycle in percent, 1..100 */
	uint64_t mem_bytes;  /* balloon size */
	uint64_t mem_floor;  /* keep this much MemAvailable */
	int64_t deadline_ms; /* CLOCK_REALTIME ms; workers exit by then */
};
/* Starts the workers, journaling each pid first. */
int chaos_stress_start(const struct chaos_stress *s, struct chaos_journal *j,
    pid_t *pids, size_t max, size_t *npids);
/* Fills dir's filesystem with a journaled file: fill_bytes if set, else up
 * to leaving keep_free bytes available. Never below floor_bytes free. */
int chaos_disk_fill(const char *dir, uint64_t fill_bytes, uint64_t keep_free,
    struct chaos_journal *j, struct buf *fill_path, uint64_t *filled);
uint64_t chaos_mem_available(void);

/* ---- confine.c: the blast-radius guard ---- */

/* Allowed roots, each a real path: extra (--allow-root; a system directory
 * there is an error), then $GITHUB_WORKSPACE, $RUNNER_TEMP, $HOME,
 * ${TMPDIR:-/tmp} and the working directory (skipped when unset, missing
 * or a system directory). Appends to roots (owned by the caller). */
int chaos_roots_init(struct strlist *roots, const struct strlist *extra);
/* "/" and the trees /etc /usr /bin /sbin /lib* /boot /proc /sys /dev
 * /var/lib; real must already be resolved. */
bool chaos_path_is_system(const char *real);
/* The change is made inside path (disk fill): path may be a root itself. */
#define CHAOS_PATH_INSIDE 1u
/* Say "would refuse": nothing is changed under --dry-run anyway. */
#define CHAOS_PATH_DRY_RUN 2u
/*
 * 0 if path resolves (symlinks followed, `..` collapsed) strictly below
 * one of roots (real paths) and not into a system directory, else -1 with
 * one message naming path and opt (the option it came from).
 */
int chaos_path_allowed(const char *path, const struct strlist *roots,
    const char *opt, unsigned flags);

/* ---- mutate.c: seeded file mutators with journaled backups ---- */
enum chaos_mutation {
	CHAOS_MUT_FLIP,
	CHAOS_MUT_TRUNCATE,
	CHAOS_MUT_ZERO,
	CHAOS_MUT_DELETE,
};
int chaos_mutation_parse(const char *s, enum chaos_mutation *out);
const char *chaos_mutation_name(enum chaos_mutation m);
struct chaos_mut_result {
	char before[65], after[65]; /* sha256 hex; after "" if deleted */
	char desc[96];              /* "flip byte 17 bit 3" */
};
/* Mutates one regular file after backing it up into state_dir; which byte
 * or range is a function of (seed, idx). */
int chaos_mutate_file(struct chaos_journal *j, const char *state_dir,
    const char *path, enum chaos_mutation m, uint64_t seed, uint64_t idx,
    struct chaos_mut_result *res);
/* Moves dir aside (journaled) and leaves an empty dir in its place. */
int chaos_move_aside(struct chaos_journal *j, const char *dir, uint64_t seed);

/* ---- proxy*.c: TCP fault proxy with Toxiproxy's toxics ---- */
#define CHAOS_MAX_TOXICS 8
enum chaos_toxic_type {
	CHAOS_TOX_LATENCY,
	CHAOS_TOX_BANDWIDTH,
	CHAOS_TOX_SLICER,
	CHAOS_TOX_SLOW_CLOSE,
	CHAOS_TOX_TIMEOUT,
	CHAOS_TOX_RESET_PEER,
	CHAOS_TOX_LIMIT_DATA,
};
struct chaos_toxic {
	enum chaos_toxic_type type;
	bool upstream;   /* client->server; default downstream */
	double toxicity; /* per-connection probability, 0..1 */
	uint64_t latency_ms, jitter_ms;
	uint64_t rate_kbps;                    /* bandwidth, KB/s */
	uint64_t avg_size, size_var, delay_us; /* slicer */
	uint64_t delay_ms;                     /* slow_close */
	uint64_t timeout_ms;                   /* timeout, reset_peer */
	uint64_t bytes;                        /* limit_data */
};
struct chaos_proxy_opts {
	const char *listen;   /* host:port; port 0 = ephemeral */
	const char *upstream; /* host:port */
	struct chaos_toxic toxics[CHAOS_MAX_TOXICS];
	size_t ntoxics;
	uint64_t seed;
	int64_t deadline_ms; /* CLOCK_REALTIME ms, 0 = none */
	int ready_fd;        /* gets "host:port\n" once listening, or -1 */
	bool allow_nonlocal;
};
/* "latency:latency=200ms,jitter=10ms,stream=upstream,toxicity=0.5" */
int chaos_toxic_parse(const char *spec, struct chaos_toxic *t);
/* Runs until SIGINT/SIGTERM or the deadline; 0 or -1. */
int chaos_proxy_run(const struct chaos_proxy_opts *o);
/* Forks the proxy (PDEATHSIG, journaled); *addr gets the listen address. */
int chaos_proxy_spawn(const struct chaos_proxy_opts *o, struct chaos_journal *j,
    pid_t *pid, struct buf *addr);
int chaos_parse_hostport(const char *s, char *host, size_t hostlen, int *port);

/* ---- cgroup.c: cgroup v2 limits for the command (root) ---- */
struct chaos_cgroup {
	long cpu_pct;    /* cpu.max quota, percent of one CPU; 0 = none */
	uint64_t memory; /* memory.max (and memory.swap.max 0) */
	long pids;       /* pids.max */
};
/*
 * Read-only probe: root, a writable cgroup2 mount (into mount) and which
 * of the asked controllers it offers. use gets the limits that can be
 * set; why names what cannot ("" if all can). -1 (why set) when cgroup
 * v2 cannot be used at all.
 */
int chaos_cgroup_probe(const struct chaos_cgroup *want,
    struct chaos_cgroup *use, struct buf *mount, struct buf *why);
/* <mount>/bulwark-chaos-<our pid> */
void chaos_cgroup_path(const char *mount, struct buf *path);
/* Journals, then creates the cgroup at path with c's limits. */
int chaos_cgroup_create(struct chaos_journal *j, const char *mount,
    const struct chaos_cgroup *c, const char *path);
/* Moves the calling process into the cgroup at path. */
int chaos_cgroup_join(const char *path);
/* Kills what is left inside and removes it; idempotent. */
int chaos_cgroup_undo(const char *path, struct buf *rep);

/* ---- netem.c: kernel netem on loopback via rtnetlink (root) ---- */
/* 0 if a root qdisc of kind can be added to lo (tried in a throwaway
 * network namespace), else -1 with the reason in why. */
int chaos_netem_probe(const char *kind, struct buf *why);
/* Journals, then adds a root qdisc of kind ("netem": delay +- jitter per
 * packet; "tbf" for tests) with our handle b0c0: on lo. */
int chaos_netem_apply(struct chaos_journal *j, const char *kind,
    uint64_t delay_ns, uint64_t jitter_ns);
/* Removes our qdisc (by its handle) from dev ("lo"); idempotent. */
int chaos_netem_undo(const char *dev, struct buf *rep);

/* ---- scenarios.c: the eight scenarios mapped to mechanisms ---- */

/* Options of `run`; strings point into argv (owned by the caller). */
struct chaos_run_opts {
	const char *scenario;
	const char *seed;
	int64_t
	    duration_ms;    /* faults expire after this; 0 = with the command */
	int64_t timeout_ms; /* command timeout; 0 = none */
	struct strlist rules; /* extra shim rules (--rule) */
	/* network, dependencies, timeouts */
	const char *target; /* host:port the shim rules aim at */
	int64_t latency_ms, jitter_ms, delay_ms;
	const char *proxy_listen, *proxy_upstream;
	struct strlist toxics;
	struct strlist dns_fail;
	const char *err; /* errno name for the scenario's rules */
	/* resources */
	long cpu, cpu_load;
	uint64_t memory, mem_floor;
	const char *fill_dir;
	uint64_t fill_size, keep_free;
	long limit_nofile;
	uint64_t limit_as, limit_fsize;
	const char *malloc_fail;
	struct chaos_cgroup cgroup; /* root: cgroup v2 limits */
	bool netem;                 /* root: kernel netem on lo */
	/* artifacts, caches, flakiness, parallelism */
	struct strlist files;
	const char *mutation;
	struct strlist cache_dirs;
	const char *cache_mode;
	const char *probability, *calls, *path;
	int64_t kill_after_ms;
	const char *fork_fail;
	/* output and safety */
	const char *journal, *state_dir;
	struct strlist allow_roots; /* --allow-root */
	bool dry_run, json, allow_nonlocal;
};
void chaos_run_opts_init(struct chaos_run_opts *o);
void chaos_run_opts_release(struct chaos_run_opts *o);

/* What a run will do, resolved from the options before anything changes. */
struct chaos_plan {
	struct buf rules; /* shim rule text, ';'-separated; "" = no shim */
	struct chaos_stress stress;
	const char *fill_dir;
	uint64_t fill_size, keep_free;
	long limit_nofile;
	uint64_t limit_as, limit_fsize;
	struct strlist mutate; /* files */
	enum chaos_mutation mutation;
	struct strlist aside; /* directories moved aside */
	struct strlist roots; /* blast-radius roots, real paths */
	bool proxy;
	struct chaos_proxy_opts proxy_opts;
	int64_t kill_after_ms;
	struct strlist notes; /* one human line per mechanism */
	/* root mechanisms, after their probes */
	bool use_cgroup;
	struct chaos_cgroup cgroup;
	struct buf cgroup_mount, cgroup_path;
	bool netem;
	uint64_t netem_delay_ns, netem_jitter_ns;
	struct strlist fallbacks; /* one notice line per mechanism not used */
};
void chaos_plan_init(struct chaos_plan *p);
void chaos_plan_release(struct chaos_plan *p);
/* Validates options against the scenario; -1 with a message (usage). */
int chaos_plan_build(
    const struct chaos_run_opts *o, uint64_t seed, struct chaos_plan *p);
extern const char *const chaos_scenarios[];
void chaos_plan_add_rule(struct chaos_plan *p, const char *fmt, ...)
    ATTR_PRINTF(2, 3);

/* ---- root.c: plan the root-only mechanisms, or their fallbacks ---- */
/* Probes netem (before the scenario is planned: it replaces the shim
 * latency rule and the proxy latency toxic). */
int chaos_plan_netem(const struct chaos_run_opts *o, struct chaos_plan *p);
/* Probes cgroup v2; what it cannot do falls back to rlimits/shim. */
int chaos_plan_cgroup(const struct chaos_run_opts *o, struct chaos_plan *p);

/* ---- run.c: `chaos-inject run` ---- */
/* Returns the exit code (command's status, 2 usage, 125 own failure). */
int chaos_run(struct chaos_run_opts *o, char **cmd);
/* The hidden `__exec` trampoline: applies rlimits, then execvp. */
int chaos_exec_main(int argc, char **argv);
/* Finds libbulwark-chaos.so: $BULWARK_CHAOS_LIB, then next to our binary. */
int chaos_find_shim(struct buf *out);

#endif
