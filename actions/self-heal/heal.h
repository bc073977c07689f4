#ifndef SELF_HEAL_HEAL_H
#define SELF_HEAL_HEAL_H

#include <regex.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/compat.h"
#include "common/proc.h"
#include "common/strlist.h"

/*
 * self-heal: classify a failure from its output, exit code and signal, then
 * act by class (research/self-heal.md §6, §10).
 *
 * Classes are ordered by priority: when several rules match one log, the
 * match of the highest-priority class wins, and among equals the earliest
 * line. Deterministic outranks everything, so a Go "SECURITY ERROR" next to
 * an "i/o timeout" is never retried.
 *
 * Files: catalogue.c (built-in rules), rules.c (YAML rules), ac.c
 * (automaton), classify.c (streaming scan), relay.c + retry.c + cleanup.c +
 * backoff.c (`run`), remediate.c + issue.c + pr.c + zip.c (`remediate`),
 * flaky.c, md.c (Markdown for untrusted text), cmd_*.c (option tables).
 */
enum heal_class {
	HEAL_NONE = 0, /* nothing matched */
	HEAL_DETERMINISTIC,
	HEAL_DEPENDENCY,
	HEAL_DISK_FULL,
	HEAL_CACHE_CORRUPT,
	HEAL_RATE_LIMIT,
	HEAL_OOM,
	HEAL_INFRA,
	HEAL_NETWORK,
	HEAL_FLAKY_TEST,
	HEAL_TIMEOUT,
	HEAL_UNKNOWN,
	HEAL_CLASS_MAX
};

const char *heal_class_name(enum heal_class c);
/* -1 with a message naming s if it is no class. */
int heal_class_parse(const char *s, enum heal_class *out);
int heal_class_priority(enum heal_class c);
/* The classes `--retry-on transient` retries. */
bool heal_class_transient(enum heal_class c);

#define HEAL_MAX_NEAR 8
#define HEAL_MAX_WINDOW 10
#define HEAL_EVIDENCE_MAX 300
#define HEAL_MAX_RULES 1000
#define HEAL_MAX_PATTERN 256

/*
 * One rule. Text matchers (contains: case-insensitive substring; regex:
 * POSIX ERE, case-insensitive, no back-references, at most
 * HEAL_MAX_PATTERN bytes) must both match one line when both are given.
 * exit_code/signal/job_name/step_name are extra conditions checked when
 * the result is asked for. A rule with no text matcher matches on its
 * conditions alone. near: one of these regexes must match within
 * `window` lines before or after the matching line.
 *
 * The struct owns every string; heal_rules_release frees them.
 */
struct heal_rule {
	char *id;
	enum heal_class cls;
	char *contains; /* lowercased */
	char *regex;
	long exit_code; /* -1: any */
	int signal;     /* 0: any */
	char *job_name; /* lowercased substring */
	char *step_name;
	struct strlist near;
	int window;
	struct strlist clean; /* paths deleted for cache_corrupt/disk_full */
	bool disabled;
	bool builtin; /* known good: regexes compiled on first use */

	/* compiled */
	bool prepared;
	bool has_re;
	regex_t re;
	size_t nnear;
	regex_t near_re[HEAL_MAX_NEAR];
};

/* Keywords that announce a wait ("retry-after: 30"); matched by the same
 * automaton after the rules' literals. */
#define HEAL_NHINT 5
extern const char *const heal_hint_keys[HEAL_NHINT];

struct heal_ac; /* Aho-Corasick automaton over the `contains` literals */

struct heal_rules {
	struct heal_rule *v;
	size_t nr, alloc;
	int limit[HEAL_CLASS_MAX]; /* retries of a class per run, 0: no cap */
	long max_run_attempts;     /* remediate loop guard */
	struct heal_ac *ac;        /* built by heal_rules_compile */
	bool compiled;
	bool any_near;
	bool any_regex_only;
	bool deferred; /* built-in catalogue not loaded yet */
};
#define HEAL_RULES_INIT                                                        \
	{                                                                      \
		NULL, 0, 0, { 0 }, 3, NULL, false, false, false, false         \
	}

/* The compiled-in catalogue (catalogue.c). */
void heal_rules_builtin(struct heal_rules *rs);
/*
 * A user YAML file extends the rules: a rule with an existing id replaces
 * it in place, a new id is appended, `disabled: true` removes one.
 * -1 with "file:line:col" on a bad file; rs is then unchanged in meaning
 * (it may hold the rules read before the error).
 */
int heal_rules_load(struct heal_rules *rs, const char *path);
int heal_rules_load_mem(
    struct heal_rules *rs, const char *name, const char *data, size_t len);
/* Adds a rule (taking ownership of r's strings). */
int heal_rules_add(struct heal_rules *rs, struct heal_rule *r);
/* The same for an id known not to be in rs yet (no duplicate search). */
int heal_rules_add_new(struct heal_rules *rs, struct heal_rule *r);
/*
 * Compiles user rules' regexes (so a bad one is reported before anything
 * runs) and marks the set ready. Built-in rules and the automaton are
 * prepared on first use: a `run` that succeeds quietly pays nothing.
 * heal_rules_check compiles everything at once (tests).
 */
int heal_rules_compile(struct heal_rules *rs);
int heal_rules_check(struct heal_rules *rs);
/* Compiles one rule's regexes if not done yet; -1 if they are bad. */
int heal_rule_prepare(struct heal_rule *r);
/* Builds the automaton if not done yet. */
void heal_rules_automaton(struct heal_rules *rs);
void heal_rules_release(struct heal_rules *rs);
void heal_rule_release(struct heal_rule *r);

/* Automaton (ac.c). Patterns are lowercase; matching folds ASCII case. */
struct heal_ac *heal_ac_build(const char *const *pats, size_t n);
/* Calls fn(pattern index) for every occurrence; fn returns nonzero to
 * stop. */
typedef int heal_ac_fn(size_t pat, void *ctx);
void heal_ac_scan(const struct heal_ac *ac, const char *s, size_t len,
    heal_ac_fn *fn, void *ctx);
/* Offset of the byte that ends the first occurrence of any pattern,
 * scanning from the start state; len if there is none. */
size_t heal_ac_first(const struct heal_ac *ac, const char *s, size_t len);
/* The same for a block of complete lines (the automaton restarts at each
 * '\n'): behind the SIMD prefilter when there is one, else in eight
 * lanes at once, 16 KiB at a time. */
size_t heal_ac_first_lines(const struct heal_ac *ac, const char *s, size_t len);
/* Has the next heal_ac_first_lines try the prefilter whatever the
 * blocks before were like (tests compare both paths). */
void heal_ac_filter_again(const struct heal_ac *ac);
void heal_ac_free(struct heal_ac *ac);

/* SIMD prefilter (prefilter.c) for heal_ac_first_lines: NULL without
 * AVX2 or with BULWARK_NO_SIMD set. heal_pf_mark sets bit i % 32 of
 * bits[i / 32] for each position at + i (i < n, at + n <= len) where the
 * window of some pattern may start (a superset), and clears the others.
 * Every occurrence of a pattern inside s[0..len) starting at q has a mark
 * in q..q + heal_pf_lead(). */
struct heal_pf *heal_pf_build(const char *const *pats, size_t n);
void heal_pf_mark(const struct heal_pf *pf, const char *s, size_t len,
    size_t at, size_t n, uint32_t *bits);
size_t heal_pf_lead(const struct heal_pf *pf);
/* Where candidates were too dense, heal_pf_rest has the next MiB or so
 * skip the filter: heal_pf_resting(len) says whether to, counting len. */
bool heal_pf_resting(struct heal_pf *pf, size_t len);
void heal_pf_rest(struct heal_pf *pf);
void heal_pf_free(struct heal_pf *pf);

/* The result of a scan. */
struct heal_match {
	enum heal_class cls;
	const char *rule_id; /* points into the rules, or a static string */
	long line;           /* 1-based; 0 when decided by status only */
	char evidence[HEAL_EVIDENCE_MAX + 1];
	bool have_wait; /* a retry-after / reset hint was seen */
	int64_t wait_ms;
};

/*
 * Streaming classifier: feed it lines (or raw chunks) as they arrive; the
 * memory used does not depend on the amount of input. GitHub's timestamp
 * prefixes and ANSI colour sequences are removed before matching.
 *
 * The scan borrows the compiled rules and job_name.
 */
struct heal_pending;
struct heal_scan {
	struct heal_rules *rules; /* prepared lazily, hence not const */
	const char *job_name;
	long lineno;
	uint64_t bytes;
	long *hit_line; /* per rule: first matching line, 0 = none */
	char (*hit_ev)[HEAL_EVIDENCE_MAX + 1];
	struct heal_pending *pend;
	size_t npend;
	char ring[HEAL_MAX_WINDOW][512];
	size_t ring_len[HEAL_MAX_WINDOW];
	char step_name[128];
	bool line_hint; /* a hint keyword is on the current line */
	bool have_wait;
	int64_t wait_ms;
	int64_t now_s;    /* for x-ratelimit-reset; 0: time(NULL) */
	struct buf carry; /* partial line between heal_scan_feed calls */
	struct buf work;  /* the cleaned current line */
};

void heal_scan_init(struct heal_scan *s, struct heal_rules *rules);
void heal_scan_line(struct heal_scan *s, const char *line, size_t len);
/* Raw bytes; lines are split on '\n'. heal_scan_end flushes the rest. */
void heal_scan_feed(struct heal_scan *s, const char *data, size_t len);
/*
 * Complete lines only (len 0, or data[len - 1] == '\n'), bypassing the
 * carry. Lines the automaton finds nothing in are only counted: the
 * whole block is scanned in one pass, and only a line with a hit (or a
 * block with ANSI escapes, CRs, step markers or regex-only rules) goes
 * through heal_scan_line.
 */
void heal_scan_lines(struct heal_scan *s, const char *data, size_t len);
/* Loads the rules and allocates the per-rule state on first use, so a
 * run that succeeds quietly does neither (classify.c, scan_block.c). */
void heal_scan_prepare(struct heal_scan *s);
/* exit_code -1 and signal 0 when unknown (a log file). */
void heal_scan_result(
    struct heal_scan *s, long exit_code, int signal, struct heal_match *out);
void heal_scan_release(struct heal_scan *s);

/* Line cleaning (clean.c). heal_clean_line removes
 * "YYYY-MM-DDTHH:MM:SS.fffffffZ " and ANSI escapes and appends the result
 * to out; heal_timestamp_len is the length of that prefix, 0 if none. */
void heal_clean_line(const char *line, size_t len, struct buf *out);
size_t heal_timestamp_len(const char *s, size_t len);
/* Copies a line into dst (cap bytes incl. NUL), control characters
 * replaced by '?', cut at a UTF-8 boundary. */
void heal_evidence_copy(char *dst, size_t cap, const char *s, size_t len);

/*
 * Live relay of a child's output (relay.c): heal_relay_chunk (a
 * proc_chunk_fn, ctx: the relay) writes each read's raw bytes to our
 * stdout/stderr at once, then scans the complete lines in it in one block
 * (heal_scan_lines); a partial last line waits in the stream's carry for
 * its end. After a read of a child that writes slower than we read, it
 * pauses up to 4 ms so that the next read takes several of its writes:
 * the child's pipes hold HEAL_RELAY_PIPE bytes and a read takes up to
 * HEAL_RELAY_READ (struct proc's pipe_size and read_size).
 * quiet: scan only. The relay owns the carries.
 */
#define HEAL_RELAY_PIPE ((size_t)1 << 20)
#define HEAL_RELAY_READ ((size_t)256 << 10)
struct heal_relay {
	struct heal_scan *scan;
	bool quiet;
	bool unterminated[2]; /* stdout/stderr last written without '\n' */
	struct buf carry[2];  /* stdout/stderr: start of an unfinished line */
	long nap_us;          /* coalescing pause after a small read */
	bool napped;          /* the last read was followed by a pause */
};
void heal_relay_start(struct heal_relay *r, struct heal_scan *scan, bool quiet);
void heal_relay_chunk(
    enum proc_stream s, const char *data, size_t len, void *ctx);
/* Scans the unfinished lines, ends a line left open on stdout/stderr and
 * frees the carries. */
void heal_relay_stop(struct heal_relay *r);

/* Backoff: wait before retry number `retry` (1 = after the first failure).
 * rnd in [0,1) supplies the jitter. */
enum heal_backoff {
	HEAL_BACKOFF_EXPONENTIAL,
	HEAL_BACKOFF_CONSTANT
};
int64_t heal_backoff_ms(enum heal_backoff kind, int64_t base_ms, int64_t max_ms,
    double jitter, unsigned retry, double rnd);

/* Test hooks: sleeping and the clock. */
typedef void heal_sleep_fn(int64_t ms, void *ctx);
void heal_set_sleep(heal_sleep_fn *fn, void *ctx);
void heal_sleep(int64_t ms);

/* `self-heal run`. */
struct heal_run_opts {
	long max_attempts;
	int64_t timeout_ms;
	int64_t grace_ms;
	enum heal_backoff backoff;
	int64_t wait_ms, max_wait_ms;
	double jitter;
	bool retry_any;
	bool retry_on[HEAL_CLASS_MAX];
	const char *on_retry;
	bool shell;
	bool quiet_child;       /* do not echo child output (tests) */
	struct strlist cleanup; /* extra disk_full paths */
	struct strlist cache_paths;
	bool default_cleanup; /* runner defaults for disk_full */
	bool dry_run_cleanup;
	char *const *argv;
};
void heal_run_opts_init(struct heal_run_opts *o);
void heal_run_opts_release(struct heal_run_opts *o);

struct heal_run_result {
	long attempts;
	int exit_code;
	struct heal_match last;
	int64_t slept_ms;
	unsigned sleeps;
};
/* Runs and retries; returns the exit status to pass through (0..255),
 * or 125 after printing why self-heal itself failed. */
int heal_run(const struct heal_run_opts *o, struct heal_rules *rules,
    struct heal_run_result *res);
/* Sets the outputs and writes the summary for a finished run. */
int heal_run_report(
    const struct heal_run_opts *o, const struct heal_run_result *res);

/* Cleanup (cleanup.c): deletes paths (rm -rf, no shell), reports freed
 * bytes on the file system of each path. */
int heal_cleanup_paths(const struct strlist *paths, bool use_sudo, bool dry_run,
    struct buf *report);
int heal_disk_cleanup(const struct heal_run_opts *o, struct buf *report);
int heal_cache_cleanup(const struct heal_run_opts *o,
    const struct heal_rule *rule, struct buf *report);
/* "~/x" -> "$HOME/x"; caller frees. */
char *heal_expand_home(const char *p);

/* Sub-commands (run.c, classify_cmd.c, remediate.c, flaky.c). */
int heal_cmd_run(int argc, char **argv);
int heal_cmd_classify(int argc, char **argv);
int heal_cmd_remediate(int argc, char **argv);
int heal_cmd_flaky(int argc, char **argv);

/* Loads builtin + optional user rules and compiles them; -1 on error. */
int heal_rules_setup(struct heal_rules *rs, const char *user_file);
/*
 * `run` without --rules: the catalogue is loaded only when it is needed
 * (the first line of output, or a failure), so a quiet success never
 * builds it. heal_rules_ready does the deferred work; the scan calls it.
 */
void heal_rules_defer(struct heal_rules *rs);
int heal_rules_ready(struct heal_rules *rs);

/*
 * A minimal, bounded zip reader for the run-level log archive (stored and
 * deflate entries, no zip64, no encryption). Entries point into the
 * caller's data; names are owned by the list.
 */
struct heal_zip_entry {
	char *name;
	uint64_t local_off, csize, usize;
	unsigned method;
};
struct heal_zip {
	struct heal_zip_entry *v;
	size_t nr;
};
#define HEAL_ZIP_MAX_ENTRIES 10000
int heal_zip_list(const unsigned char *data, size_t len, struct heal_zip *z);
/* Appends the entry's bytes to out; more than max bytes is an error. */
int heal_zip_extract(const unsigned char *data, size_t len,
    const struct heal_zip_entry *e, size_t max, struct buf *out);
void heal_zip_release(struct heal_zip *z);

/* `self-heal remediate` (remediate.c, issue.c, caches.c). */
struct github;
struct cJSON;
struct heal_remediate_opts {
	const char *repo;
	const char *run_id;
	long max_run_attempts;
	bool dry_run;
	bool json;    /* no text report on stdout */
	bool open_pr; /* npm ERESOLVE: open a PR with the documented fix */
	bool issue_on[HEAL_CLASS_MAX];
	const char *label;
	size_t max_log;
	int64_t max_wait_ms;
};
struct heal_job_verdict {
	int64_t id;
	char name[128];
	char conclusion[32];
	struct heal_match m;
	bool log_ok;
	char issue_action[16]; /* created, commented, pr-created, pr-exists */
	long issue_number;
};
/* An Actions cache handled before a cache_corrupt re-run (caches.c). */
struct heal_cache_done {
	int64_t id;
	int64_t size;
	char key[128];
	const char *action; /* "deleted", "already-gone", "would-delete" */
};
/* The result owns `jobs` and `caches`; heal_remediate_result_release
 * frees them. */
struct heal_remediate_result {
	const char *decision; /* "rerun", "issue", "none" */
	char reason[256];
	long run_attempt;
	struct heal_job_verdict *jobs;
	size_t njobs;
	char cache_ref[160]; /* set when caches were looked up */
	struct heal_cache_done *caches;
	size_t ncaches;
};
void heal_remediate_result_release(struct heal_remediate_result *r);
/* 0 when the decision was carried out (or only reported with dry_run),
 * -1 after an error message (API failure). */
int heal_remediate(const struct heal_remediate_opts *o, struct github *gh,
    struct heal_rules *rules, struct heal_remediate_result *res);
/*
 * cache_corrupt: lists the run's Actions caches (those of its head ref,
 * refs/pull/N/merge for a pull_request run) and deletes each one, or with
 * o->dry_run only records what it would delete. A 404 on delete means the
 * cache is already gone: fine. Any other failure is -1 after a message
 * (403: the token lacks `actions: write`); the caller must not re-run.
 */
int heal_delete_run_caches(struct github *gh,
    const struct heal_remediate_opts *o, const struct cJSON *run,
    struct heal_remediate_result *res);
/* Adds the cache lines of res to a Markdown summary / the text report. */
void heal_caches_md(
    const struct heal_remediate_result *res, bool dry_run, struct buf *md);

/* Creates or comments on the issue for `key` (deduplicated by label and
 * a hidden marker); *action gets "created" or "commented". */
int heal_issue_upsert(struct github *gh, const char *repo, const char *label,
    const char *key, const char *title, const char *body, bool dry_run,
    long *number, const char **action);

/* 32 hex digits identifying a failure key (issue markers, PR branches). */
void heal_key_hash(const char *key, char out[33]);
/*
 * npm ERESOLVE: branch self-heal/dependency/<hash> + .npmrc with
 * legacy-peer-deps=true + PR (pr.c). *action: "pr-created" or "pr-exists".
 * -1 when any step fails: the caller files an issue instead.
 */
int heal_dependency_pr(struct github *gh, const char *repo, const char *key,
    const char *evidence, bool dry_run, long *number, const char **action);

/* Markdown helpers: inline code span / fenced block that untrusted text
 * cannot break out of. */
int heal_md_code(struct buf *out, const char *s);
int heal_md_fence(struct buf *out, const char *s);

#endif
