#undef _FORTIFY_SOURCE
#include "common/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

/*
 * The fault log: one JSON line per fault, built on the stack and written
 * with a raw write(2) on an O_APPEND fd, so logging never allocates and
 * never re-enters a wrapper; lines from many processes do not interleave.
 */
void
shim_hex16(char *out, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = digits[v & 15];
		v >>= 4;
	}
}

struct line {
	char b[1024];
	size_t n;
};

static void
add(struct line *l, const char *s)
{
	size_t k = strlen(s);

	if (k > sizeof(l->b) - 2 - l->n)
		k = sizeof(l->b) - 2 - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void
add_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	add(l, tmp + i);
}

static void
add_json(struct line *l, const char *s)
{
	char c[2] = { 0, 0 };
	size_t k;

	add(l, "\"");
	for (k = 0; s != NULL && s[k] != '\0' && k < 300; k++) {
		unsigned char u = (unsigned char)s[k];

		if (u == '"' || u == '\\') {
			add(l, "\\");
			c[0] = (char)u;
		} else if (u < 0x20 || u >= 0x7f) {
			c[0] = '?';
		} else {
			c[0] = (char)u;
		}
		add(l, c);
	}
	add(l, "\"");
}

void
shim_log_event(const struct shim_target *t, uint32_t call,
    const struct shim_fire *f, uint64_t delay_ns)
{
	static const char *acts[] = { "fail", "delay", "short", "corrupt" };
	struct line l = { .n = 0 };
	struct timespec ts;
	char hex[17], addr[INET6_ADDRSTRLEN + 8];

	if (shim_log_fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	shim_hex16(hex, shim_own);
	hex[16] = '\0';
	add(&l, "{\"pid\":");
	add_u64(&l, (uint64_t)getpid());
	add(&l, ",\"lineage\":\"");
	add(&l, hex);
	add(&l, "\",\"rule\":");
	add_u64(&l, (uint64_t)f->rule);
	add(&l, ",\"call\":\"");
	add(&l, chaos_call_name(call));
	add(&l, "\",\"fn\":\"");
	add(&l, t->fn);
	add(&l, "\",\"n\":");
	add_u64(&l, f->n);
	add(&l, ",\"action\":\"");
	add(&l, acts[f->action]);
	add(&l, "\"");
	if (f->action == CHAOS_ACT_FAIL) {
		add(&l, ",\"errno\":\"");
		add(&l, chaos_errno_name(f->err));
		add(&l, "\"");
	}
	add(&l, ",\"delay_ns\":");
	add_u64(&l, delay_ns);
	add(&l, ",\"t_ns\":");
	add_u64(&l, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	if (t->path != NULL) {
		add(&l, ",\"target\":");
		add_json(&l, t->path);
	} else if (t->host != NULL) {
		add(&l, ",\"target\":");
		add_json(&l, t->host);
	} else if (t->sa != NULL) {
		const struct sockaddr_in *in = (const void *)t->sa;
		const struct sockaddr_in6 *in6 = (const void *)t->sa;

		addr[0] = '\0';
		if (t->sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		else if (t->sa->sa_family == AF_INET6)
			inet_ntop(
			    AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		add(&l, ",\"target\":");
		add_json(&l, addr);
		add(&l, ",\"port\":");
		add_u64(&l, ntohs(t->sa->sa_family == AF_INET6 ? in6->sin6_port
		                                               : in->sin_port));
	} else if (t->fd >= 0) {
		add(&l, ",\"fd\":");
		add_u64(&l, (uint64_t)t->fd);
	}
	add(&l, "}\n");
	(void)syscall(SYS_write, shim_log_fd, l.b, l.n);
}

void
shim_complain(const char *msg, const char *detail)
{
	struct line l = { .n = 0 };

	add(&l, "libbulwark-chaos: ");
	add(&l, msg);
	add(&l, detail);
	add(&l, "\n");
	(void)syscall(SYS_write, 2, l.b, l.n);
}
