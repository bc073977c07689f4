#include "common/compat.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "rules.h"

/*
 * Call classes, the errnos each call really returns, and the seeded draw.
 * Shared by the CLI and the preload shim; no allocation, no stdio.
 */

static const struct {
	const char *name;
	uint32_t bit;
} call_names[] = {
	{ "open", CHAOS_OPEN },
	{ "read", CHAOS_READ },
	{ "write", CHAOS_WRITE },
	{ "fsync", CHAOS_FSYNC },
	{ "connect", CHAOS_CONNECT },
	{ "send", CHAOS_SEND },
	{ "recv", CHAOS_RECV },
	{ "dns", CHAOS_DNS },
	{ "malloc", CHAOS_MALLOC },
	{ "fork", CHAOS_FORK },
};

#define E(x)                                                                   \
	{                                                                      \
#x, x                                                          \
	}
static const struct {
	const char *name;
	int value;
} errno_names[] = {
	E(ENOENT),
	E(EACCES),
	E(EPERM),
	E(EIO),
	E(EMFILE),
	E(ENFILE),
	E(ENOSPC),
	E(EROFS),
	E(EINTR),
	E(ENOMEM),
	E(EDQUOT),
	E(ETXTBSY),
	E(EAGAIN),
	E(EFBIG),
	E(EPIPE),
	E(ECONNREFUSED),
	E(ETIMEDOUT),
	E(ENETUNREACH),
	E(EHOSTUNREACH),
	E(ECONNRESET),
	E(EADDRNOTAVAIL),
	E(ENOBUFS),
	E(ECONNABORTED),
	E(EAI_AGAIN),
	E(EAI_NONAME),
	E(EAI_FAIL),
	E(EAI_NODATA),
	E(EAI_MEMORY),
};
#undef E

/* Errnos a real kernel/libc returns for each call in a CI job (not the
 * man page's full list: EFAULT or EISDIR on a read make no sense). */
static const int ok_open[] = { ENOENT, EACCES, EPERM, EIO, EMFILE, ENFILE,
	ENOSPC, EROFS, EINTR, ENOMEM, EDQUOT, ETXTBSY, 0 };
static const int ok_read[] = { EIO, EINTR, EAGAIN, ECONNRESET, ENOMEM, 0 };
static const int ok_write[] = { EIO, EINTR, EAGAIN, ENOSPC, EDQUOT, EFBIG,
	EPIPE, 0 };
static const int ok_fsync[] = { EIO, ENOSPC, EDQUOT, EINTR, 0 };
static const int ok_connect[] = { ECONNREFUSED, ETIMEDOUT, ENETUNREACH,
	EHOSTUNREACH, ECONNRESET, EADDRNOTAVAIL, EAGAIN, EINTR, EACCES,
	ECONNABORTED, 0 };
static const int ok_send[] = { EPIPE, ECONNRESET, EAGAIN, EINTR, ENOBUFS,
	ETIMEDOUT, 0 };
static const int ok_recv[] = { ECONNRESET, EAGAIN, EINTR, ETIMEDOUT, 0 };
static const int ok_dns[] = { EAI_AGAIN, EAI_NONAME, EAI_FAIL, EAI_NODATA,
	EAI_MEMORY, 0 };
static const int ok_malloc[] = { ENOMEM, 0 };
static const int ok_fork[] = { EAGAIN, ENOMEM, 0 };

static const int *
errno_list(uint32_t call)
{
	switch (call) {
	case CHAOS_OPEN:
		return ok_open;
	case CHAOS_READ:
		return ok_read;
	case CHAOS_WRITE:
		return ok_write;
	case CHAOS_FSYNC:
		return ok_fsync;
	case CHAOS_CONNECT:
		return ok_connect;
	case CHAOS_SEND:
		return ok_send;
	case CHAOS_RECV:
		return ok_recv;
	case CHAOS_DNS:
		return ok_dns;
	case CHAOS_MALLOC:
		return ok_malloc;
	case CHAOS_FORK:
		return ok_fork;
	default:
		return NULL;
	}
}

const char *
chaos_call_name(uint32_t call)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(call_names); i++)
		if (call_names[i].bit == call)
			return call_names[i].name;
	return NULL;
}

const char *
chaos_errno_name(int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].value == err)
			return errno_names[i].name;
	return "E?";
}

int
chaos_errno_parse(const char *name, size_t len, int *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++) {
		if (strlen(errno_names[i].name) == len &&
		    memcmp(errno_names[i].name, name, len) == 0) {
			*out = errno_names[i].value;
			return 0;
		}
	}
	return -1;
}

int
chaos_default_errno(uint32_t call)
{
	switch (call) {
	case CHAOS_OPEN:
	case CHAOS_READ:
	case CHAOS_FSYNC:
		return EIO;
	case CHAOS_WRITE:
		return ENOSPC;
	case CHAOS_CONNECT:
		return ECONNREFUSED;
	case CHAOS_SEND:
	case CHAOS_RECV:
		return ECONNRESET;
	case CHAOS_DNS:
		return EAI_AGAIN;
	case CHAOS_MALLOC:
		return ENOMEM;
	case CHAOS_FORK:
		return EAGAIN;
	default:
		return EIO;
	}
}

bool
chaos_rule_errno_ok(uint32_t call, int err)
{
	const int *l = errno_list(call);

	if (l == NULL)
		return false;
	for (; *l != 0; l++)
		if (*l == err)
			return true;
	return false;
}

uint64_t
chaos_mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t
chaos_draw(uint64_t seed, uint64_t lineage, uint64_t rule, uint64_t n)
{
	return chaos_mix64(
	    chaos_mix64(chaos_mix64(seed ^ 0x6368616f73ULL) ^ lineage) ^
	    chaos_mix64((rule << 48) ^ n));
}

int
chaos_call_parse(const char *s, size_t len, uint32_t *bit)
{
	size_t k;

	for (k = 0; k < ARRAY_SIZE(call_names); k++) {
		if (strlen(call_names[k].name) == len &&
		    memcmp(call_names[k].name, s, len) == 0) {
			*bit = call_names[k].bit;
			return 0;
		}
	}
	return -1;
}
