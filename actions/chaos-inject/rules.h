#ifndef CHAOS_RULES_H
#define CHAOS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/*
 * Fault rules, shared by the CLI (which validates and prints them) and the
 * preload shim (which parses them again from BULWARK_CHAOS_RULES in its
 * constructor). The parser allocates nothing and calls nothing that the
 * shim wraps, so it is safe before main() and inside a malloc wrapper.
 *
 * Text: rules separated by ';' or newlines; each rule is comma-separated
 * key=value pairs. The first field may be a bare call list.
 *
 *   open|read,path=/work/cache/,p=0.2,errno=EIO
 *   connect,host=127.0.0.1,port=5432,errno=ECONNREFUSED
 *   send,host=127.0.0.1,port=8080,delay=200ms,jitter=20ms
 *   dns,host=registry.npmjs.org,errno=EAI_AGAIN,after=2
 *
 * Keys: call (open read write fsync connect send recv dns malloc fork, '|'
 * separated), path (prefix of the absolute path), host (IP literal,
 * "localhost", or a name: dns rules match it, socket rules match the
 * addresses it resolved to), port, p (0..1 or N%), nth (only the Nth
 * matching call), after (every call after the first N), times (at most N
 * faults per process), delay/jitter (sleep before the call; "200ms"),
 * errno (a name sensible for every listed call; see chaos_rule_errno_ok),
 * action (fail, delay, short = halve the byte count, corrupt = flip one
 * bit of the data read).
 *
 * Without errno or action a rule with a delay only delays; one without a
 * delay fails with the call's default errno (chaos_default_errno).
 */
#define CHAOS_MAX_RULES 16
#define CHAOS_MAX_PATH 256
#define CHAOS_MAX_HOST 128
#define CHAOS_MAX_ADDRS 8

enum chaos_call {
	CHAOS_OPEN = 1u << 0,
	CHAOS_READ = 1u << 1,
	CHAOS_WRITE = 1u << 2,
	CHAOS_FSYNC = 1u << 3,
	CHAOS_CONNECT = 1u << 4,
	CHAOS_SEND = 1u << 5,
	CHAOS_RECV = 1u << 6,
	CHAOS_DNS = 1u << 7,
	CHAOS_MALLOC = 1u << 8,
	CHAOS_FORK = 1u << 9,
	CHAOS_CALL_ALL = (1u << 10) - 1,
};

enum chaos_action {
	CHAOS_ACT_FAIL = 0,
	CHAOS_ACT_DELAY,
	CHAOS_ACT_SHORT,
	CHAOS_ACT_CORRUPT,
};

struct chaos_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

struct chaos_rule {
	uint32_t calls;
	char path[CHAOS_MAX_PATH]; /* "" = any */
	size_t path_len;
	char host[CHAOS_MAX_HOST]; /* "" = any */
	bool host_is_name;         /* not an IP literal */
	struct chaos_addr addrs[CHAOS_MAX_ADDRS];
	size_t naddrs;
	int port;             /* 0 = any */
	uint64_t p_threshold; /* fire if draw < threshold */
	bool p_always;
	uint64_t nth, after, times; /* 0 = unset */
	uint64_t delay_ns, jitter_ns;
	int err; /* errno, or an EAI_* code for dns; 0 = default */
	enum chaos_action action;
};

struct chaos_rules {
	struct chaos_rule r[CHAOS_MAX_RULES];
	size_t n;
};

/*
 * Parses text into rs (which is cleared first). On error returns -1 and
 * writes one lowercase line naming the rule and the reason into err.
 */
int chaos_rules_parse(
    struct chaos_rules *rs, const char *text, char *err, size_t errlen);

/* Bitmask of every call any rule needs (fault or fd tracking). */
uint32_t chaos_rules_calls(const struct chaos_rules *rs);

/* "open", "read", ... for one bit; NULL for anything else. */
int chaos_call_parse(const char *s, size_t len, uint32_t *bit);
const char *chaos_call_name(uint32_t call);
/* errno (or EAI_*) name, e.g. "ECONNREFUSED"; "E?" if unknown. */
const char *chaos_errno_name(int err);
int chaos_errno_parse(const char *name, size_t len, int *out);
int chaos_default_errno(uint32_t call);
bool chaos_rule_errno_ok(uint32_t call, int err);

/* Durations: "200ms", "1.5s", "500us", "2m", bare = ms. */
int chaos_parse_duration_ns(const char *s, size_t len, uint64_t *ns);

/* Counter-based random stream: the same inputs give the same draw. */
uint64_t chaos_mix64(uint64_t x);
uint64_t chaos_draw(uint64_t seed, uint64_t lineage, uint64_t rule, uint64_t n);

#endif
