#ifndef CHAOS_SHIM_H
#define CHAOS_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

#include "rules.h"

/*
 * Internals of libbulwark-chaos.so shared by its source files. Nothing here
 * is exported: the library is built with -fvisibility=hidden and only the
 * wrapped libc names (marked SHIM_EXPORT) are visible.
 *
 * Environment read by the constructor (set by `chaos-inject run`):
 *   BULWARK_CHAOS_RULES     rule text (rules.h)
 *   BULWARK_CHAOS_SEED      master seed, decimal
 *   BULWARK_CHAOS_LINEAGE   16 hex digits, rewritten in place on fork/exec
 *   BULWARK_CHAOS_LOG       JSON-lines fault log, opened O_APPEND
 *   BULWARK_CHAOS_DEADLINE  unix time in ms after which no fault fires
 */
#define SHIM_EXPORT __attribute__((visibility("default")))
#define SHIM_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#define SHIM_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* slow paths out of line: the fast path keeps no frame, canary or probe */
#define SHIM_SLOW __attribute__((noinline, cold))
/* Resolves real_<name> (the next definition of name) on first use. */
#define SHIM_LOAD(name)                                                        \
	do {                                                                   \
		if (SHIM_UNLIKELY(real_##name == NULL)) {                      \
			void *p_ = shim_real(#name);                           \
			memcpy(&real_##name, &p_, sizeof(p_));                 \
		}                                                              \
	} while (0)

/* Extra bits in shim_mask beside enum chaos_call: calls that must look at
 * their arguments to keep fd tracking right, without injecting. */
enum {
	SHIM_TRACK_OPEN = 1u << 16,
	SHIM_TRACK_CONNECT = 1u << 17,
	SHIM_TRACK_CLOSE = 1u << 18,
	SHIM_TRACK_DNS = 1u << 19,
	SHIM_ON = 1u << 20, /* any rule at all: fork/exec keep lineage */
};

#define SHIM_MAX_FD 4096

extern uint32_t shim_mask; /* read with __atomic_load_n(..., RELAXED) */
extern SHIM_TLS int shim_busy;

static inline uint32_t
shim_on(uint32_t bits)
{
	return __atomic_load_n(&shim_mask, __ATOMIC_RELAXED) & bits;
}

/* What a wrapper knows about the call it is deciding on. */
struct shim_target {
	const char *fn;   /* the libc name, for the log */
	const char *path; /* absolute, or NULL */
	int fd;           /* -1 if none */
	const struct sockaddr *sa;
	const char *host; /* dns node */
};

struct shim_fire {
	int rule;
	enum chaos_action action;
	int err;
	uint64_t n;
	uint64_t draw;
};

/* Returns 1 and fills *f when a rule fires (after sleeping its delay),
 * 0 otherwise. Logs the fault. */
int shim_decide(
    uint32_t call, const struct shim_target *t, struct shim_fire *f);
/*
 * Shared slow path of the data calls (read/write and send/recv families):
 * 1 when the call must fail now (errno set), else 0 with *count maybe
 * halved (a short transfer) and *corrupt set when the data read must get
 * a flipped bit, which shim_flip then applies to the bytes got.
 */
int shim_io_before(
    const char *fn, uint32_t call, int fd, size_t *count, uint64_t *corrupt);
void shim_flip(void *buf, ssize_t got, uint64_t corrupt);
/* A data call takes its slow path: a rule for it, and not inside ours. */
#define SHIM_IO_SLOW(bit) (SHIM_UNLIKELY(shim_on(bit)) && !shim_busy)

/* Tracking: called after a successful open/connect, and on close. */
void shim_track_open(int fd, const char *abspath);
void shim_track_connect(int fd, const struct sockaddr *sa);
void shim_track_close(int fd);
void shim_track_dup(int oldfd, int newfd);
void shim_track_dns(const char *node, const struct addrinfo *res);
bool shim_is_tracked_sock(int fd);
/* Makes path absolute relative to dirfd (AT_FDCWD for cwd) into buf. */
const char *shim_abspath(int dirfd, const char *path, char *buf, size_t len);

/* Lineage handling for fork/spawn/exec. */
uint64_t shim_next_child(void);
int shim_env_with_lineage(char *const envp[], uint64_t next_image, char **out,
    size_t max, char *slot, size_t slotlen);
uint64_t shim_next_image(uint64_t own);
uint64_t shim_own_lineage(void);
void shim_after_fork_child(uint64_t own);

/* State shared by core.c, match.c and log.c (hidden in the .so). */
extern struct chaos_rules shim_rules;
extern uint64_t shim_own;
extern uint64_t shim_fdbits[CHAOS_MAX_RULES][SHIM_MAX_FD / 64];
extern uint64_t shim_sockbits[SHIM_MAX_FD / 64];
extern int shim_log_fd;

/* match.c */
bool shim_has_net(const struct chaos_rule *r);
bool shim_targets(const struct chaos_rule *r, size_t i, uint32_t call,
    const struct shim_target *t);
/* log.c */
void shim_hex16(char *out, uint64_t v);
void shim_log_event(const struct shim_target *t, uint32_t call,
    const struct shim_fire *f, uint64_t delay_ns);
void shim_complain(const char *msg, const char *detail);

/* Resolve the real function behind a wrapper; never returns NULL for a
 * libc function. */
void *shim_real(const char *name);

#endif
