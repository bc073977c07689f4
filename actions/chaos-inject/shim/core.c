/* The shim defines read/open/... itself, so fortify's inline versions of
 * them must not be in scope. */
#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

/*
 * State and decisions of libbulwark-chaos.so. Every fault is a pure
 * function of (seed, lineage, rule, n): n counts the calls a rule matched
 * in this process, lineage names the process by its place in the fork/exec
 * tree (not by pid), so a rerun with the same seed replays the same faults
 * in every process. The log is written with raw syscalls so that logging
 * never re-enters a wrapper.
 */
uint32_t shim_mask;
SHIM_TLS int shim_busy;

struct chaos_rules shim_rules;
uint64_t shim_own;
static uint64_t seed;
static char *env_slot; /* the 16 hex digits of BULWARK_CHAOS_LINEAGE */
static uint64_t forks, pending_child;
static uint64_t matches[CHAOS_MAX_RULES], fired[CHAOS_MAX_RULES];
uint64_t shim_fdbits[CHAOS_MAX_RULES][SHIM_MAX_FD / 64];
uint64_t shim_sockbits[SHIM_MAX_FD / 64];
int shim_log_fd = -1;
static int64_t deadline_ms;

extern char **environ;

void *
shim_real(const char *name)
{
	void *p;

	shim_busy++;
	p = dlsym(RTLD_NEXT, name);
	shim_busy--;
	return p;
}

static int
parse_hex16(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = (v << 4) | d;
	}
	if (s[16] != '\0')
		return -1;
	*out = v;
	return 0;
}

static void find_env_slot(void);

uint64_t
shim_own_lineage(void)
{
	return shim_own;
}

uint64_t
shim_next_image(uint64_t x)
{
	return chaos_mix64(x ^ 0x65786563ULL);
}

uint64_t
shim_next_child(void)
{
	uint64_t idx = __atomic_add_fetch(&forks, 1, __ATOMIC_RELAXED);

	return chaos_mix64(shim_own ^ chaos_mix64(idx ^ 0x666f726bULL));
}

void
shim_after_fork_child(uint64_t child)
{
	shim_own = child;
	forks = 0;
	memset(matches, 0, sizeof(matches));
	memset(fired, 0, sizeof(fired));
	/* the program may have replaced environ since we started */
	find_env_slot();
	if (env_slot != NULL)
		shim_hex16(env_slot, shim_next_image(shim_own));
}

static void
atfork_prepare(void)
{
	if (shim_on(SHIM_ON))
		pending_child = shim_next_child();
}

static void
atfork_child(void)
{
	if (shim_on(SHIM_ON))
		shim_after_fork_child(pending_child);
}

/*
 * Copies envp into out (at most max-1 entries + NULL) with the lineage
 * variable replaced by next_image, formatted into slot. Returns 0, or -1
 * if envp is too long (the caller then passes envp unchanged).
 */
int
shim_env_with_lineage(char *const envp[], uint64_t next_image, char **out,
    size_t max, char *slot, size_t slotlen)
{
	static const char key[] = "BULWARK_CHAOS_LINEAGE=";
	size_t i, n = 0;
	bool found = false;

	if (slotlen < sizeof(key) + 16)
		return -1;
	memcpy(slot, key, sizeof(key) - 1);
	shim_hex16(slot + sizeof(key) - 1, next_image);
	slot[sizeof(key) - 1 + 16] = '\0';
	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (n + 2 >= max)
			return -1;
		if (strncmp(envp[i], key, sizeof(key) - 1) == 0) {
			out[n++] = slot;
			found = true;
		} else {
			out[n++] = envp[i];
		}
	}
	if (!found)
		out[n++] = slot;
	out[n] = NULL;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ns(uint64_t ns)
{
	struct timespec ts, rem;

	ts.tv_sec = (time_t)(ns / 1000000000ULL);
	ts.tv_nsec = (long)(ns % 1000000000ULL);
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem) == EINTR)
		ts = rem;
}

int
shim_decide(uint32_t call, const struct shim_target *t, struct shim_fire *f)
{
	int saved = errno, ret = 0;
	size_t i;

	if (shim_busy)
		return 0;
	shim_busy++;
	if (deadline_ms > 0 && now_ms() > deadline_ms) {
		/* faults expire on their shim_own; tracking is moot now */
		__atomic_store_n(&shim_mask, SHIM_ON, __ATOMIC_RELAXED);
		goto out;
	}
	for (i = 0; i < shim_rules.n; i++) {
		const struct chaos_rule *r = &shim_rules.r[i];
		uint64_t n, delay = 0;

		if (!shim_targets(r, i, call, t))
			continue;
		n = __atomic_add_fetch(&matches[i], 1, __ATOMIC_RELAXED);
		if (r->nth != 0 && n != r->nth)
			continue;
		if (r->after != 0 && n <= r->after)
			continue;
		if (r->times != 0 &&
		    __atomic_load_n(&fired[i], __ATOMIC_RELAXED) >= r->times)
			continue;
		f->draw = chaos_draw(seed, shim_own, i, n);
		if (!r->p_always && f->draw >= r->p_threshold)
			continue;
		__atomic_add_fetch(&fired[i], 1, __ATOMIC_RELAXED);
		f->rule = (int)i;
		f->n = n;
		f->action = r->action;
		f->err = r->err != 0 ? r->err : chaos_default_errno(call);
		delay = r->delay_ns;
		if (r->jitter_ns > 0) {
			uint64_t j = chaos_draw(seed, shim_own, i + 0x100, n) %
			             (2 * r->jitter_ns + 1);
			delay = delay + j >= r->jitter_ns
			            ? delay + j - r->jitter_ns
			            : 0;
		}
		shim_log_event(t, call, f, delay);
		if (delay > 0)
			sleep_ns(delay);
		ret = 1;
		break;
	}
out:
	shim_busy--;
	errno = saved;
	return ret;
}

int
shim_io_before(
    const char *fn, uint32_t call, int fd, size_t *count, uint64_t *corrupt)
{
	struct shim_target t = { fn, NULL, fd, NULL, NULL };
	struct shim_fire f;

	if (!shim_decide(call, &t, &f))
		return 0;
	switch (f.action) {
	case CHAOS_ACT_FAIL:
		errno = f.err;
		return 1;
	case CHAOS_ACT_SHORT:
		if (count != NULL && *count > 1)
			*count /= 2;
		return 0;
	case CHAOS_ACT_CORRUPT:
		*corrupt = f.draw | 1;
		return 0;
	default:
		return 0;
	}
}

void
shim_flip(void *buf, ssize_t got, uint64_t corrupt)
{
	unsigned char *b = buf;

	if (corrupt == 0 || got <= 0)
		return;
	b[(corrupt >> 8) % (uint64_t)got] ^=
	    (unsigned char)(1u << ((corrupt >> 3) & 7));
}

/* ---- constructor ---- */

static void
find_env_slot(void)
{
	static const char key[] = "BULWARK_CHAOS_LINEAGE=";
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, key, sizeof(key) - 1) == 0 &&
		    strlen(*e) == sizeof(key) - 1 + 16) {
			env_slot = *e + sizeof(key) - 1;
			return;
		}
	}
}

__attribute__((constructor)) static void
shim_init(void)
{
	const char *text = getenv("BULWARK_CHAOS_RULES");
	const char *s;
	char err[160];
	uint32_t mask;
	size_t i;

	if (text == NULL || *text == '\0')
		return;
	if (chaos_rules_parse(&shim_rules, text, err, sizeof(err)) != 0) {
		shim_complain("shim_rules ignored: ", err);
		shim_rules.n = 0;
		return;
	}
	s = getenv("BULWARK_CHAOS_SEED");
	for (; s != NULL && *s >= '0' && *s <= '9'; s++)
		seed = seed * 10 + (uint64_t)(*s - '0');
	s = getenv("BULWARK_CHAOS_DEADLINE");
	for (; s != NULL && *s >= '0' && *s <= '9'; s++)
		deadline_ms = deadline_ms * 10 + (*s - '0');
	find_env_slot();
	if (env_slot == NULL) {
		/* started by hand: this process is a root */
		shim_busy++;
		setenv("BULWARK_CHAOS_LINEAGE", "0000000000000000", 1);
		shim_busy--;
		find_env_slot();
	}
	if (env_slot == NULL || parse_hex16(env_slot, &shim_own) != 0)
		shim_own = 0;
	if (env_slot != NULL)
		shim_hex16(env_slot, shim_next_image(shim_own));
	s = getenv("BULWARK_CHAOS_LOG");
	if (s != NULL && *s != '\0')
		shim_log_fd = (int)syscall(SYS_openat, AT_FDCWD, s,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	pthread_atfork(atfork_prepare, NULL, atfork_child);

	mask = chaos_rules_calls(&shim_rules) | SHIM_ON;
	for (i = 0; i < shim_rules.n; i++) {
		const struct chaos_rule *r = &shim_rules.r[i];

		if (r->path_len > 0 &&
		    (r->calls & (CHAOS_READ | CHAOS_WRITE | CHAOS_FSYNC)))
			mask |= SHIM_TRACK_OPEN | SHIM_TRACK_CLOSE;
		if (shim_has_net(r) && (r->calls & (CHAOS_SEND | CHAOS_RECV)))
			mask |= SHIM_TRACK_CONNECT | SHIM_TRACK_CLOSE |
			        CHAOS_READ | CHAOS_WRITE;
		if (r->host_is_name &&
		    (r->calls & (CHAOS_CONNECT | CHAOS_SEND | CHAOS_RECV)))
			mask |= SHIM_TRACK_DNS;
	}
	__atomic_store_n(&shim_mask, mask, __ATOMIC_RELEASE);
}
