#include "common/compat.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chaos_report.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "rules.h"

/*
 * Static and Go binaries make syscalls without libc, so LD_PRELOAD cannot
 * reach them (chaos.md §2). strace can (ptrace, ~50 µs per traced call),
 * but it has no probability and no path/host filter per rule: only rules
 * that fire on every call or on a call number (nth/after -> when=) are
 * rewritten; the others are reported as not applied.
 */

static bool
find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/') != NULL) {
		snprintf(out, len, "%s", name);
		return access(out, X_OK) == 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p != '\0';) {
		size_t n = strcspn(p, ":");

		snprintf(out, len, "%.*s/%s", (int)n, p, name);
		if (access(out, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/* 1 if the ELF has no PT_INTERP (static) or carries a Go build ID. */
static int
bypasses_libc(const char *file)
{
	unsigned char buf[65536];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	ssize_t n;
	size_t i;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	bool interp = false;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < (ssize_t)sizeof(Elf64_Ehdr) ||
	    memcmp(buf, ELFMAG, SELFMAG) != 0 || buf[EI_CLASS] != ELFCLASS64)
		return 0; /* scripts and others: their interpreter uses libc */
	for (i = 0; i < eh->e_phnum; i++) {
		size_t off = (size_t)eh->e_phoff + i * eh->e_phentsize;
		Elf64_Phdr ph;

		if (off + sizeof(ph) > (size_t)n)
			break;
		memcpy(&ph, buf + off, sizeof(ph));
		if (ph.p_type == PT_INTERP)
			interp = true;
	}
	if (!interp)
		return 1;
	return memmem(buf, (size_t)n, "Go build ID", 11) != NULL ? 1 : 0;
}

static const char *
syscalls_for(uint32_t call)
{
	switch (call) {
	case CHAOS_OPEN:
		return "open,openat";
	case CHAOS_READ:
		return "read,pread64,readv";
	case CHAOS_WRITE:
		return "write,pwrite64,writev";
	case CHAOS_FSYNC:
		return "fsync,fdatasync";
	case CHAOS_CONNECT:
		return "connect";
	case CHAOS_SEND:
		return "sendto,sendmsg";
	case CHAOS_RECV:
		return "recvfrom,recvmsg";
	case CHAOS_FORK:
		return "fork,vfork";
	default:
		return NULL;
	}
}

bool
chaos_fallback_check(
    struct chaos_plan *p, struct strlist *argv, const char *shim)
{
	struct chaos_rules *rs;
	struct strlist pre = STRLIST_INIT;
	char file[PATH_MAX], strace[PATH_MAX], err[200];
	size_t i, k;
	bool used = false;

	if (p->rules.len == 0 || shim == NULL || argv->nr == 0 ||
	    !find_in_path(argv->items[0], file, sizeof(file)) ||
	    !bypasses_libc(file))
		return false;
	if (!find_in_path("strace", strace, sizeof(strace))) {
		warn_msg(
		    "'%s' is static or a Go binary: it bypasses libc, so the shim's faults cannot reach it (install strace for a partial fallback)",
		    argv->items[0]);
		return false;
	}
	rs = xmalloc(sizeof(*rs));
	if (chaos_rules_parse(rs, p->rules.data, err, sizeof(err)) != 0)
		goto out;
	strlist_push(&pre, strace);
	strlist_push(&pre, "-f");
	strlist_push(&pre, "-qq");
	strlist_push(&pre, "-o");
	strlist_push(&pre, "/dev/null");
	for (i = 0; i < rs->n; i++) {
		const struct chaos_rule *r = &rs->r[i];
		uint32_t bit;

		if (!r->p_always || r->path_len > 0 || r->host[0] != '\0' ||
		    r->port != 0 || r->action > CHAOS_ACT_DELAY) {
			warn_msg(
			    "strace fallback: rule %zu not applied (strace has no probability, path/host filter or short/corrupt)",
			    i + 1);
			continue;
		}
		for (bit = 1; bit & CHAOS_CALL_ALL; bit <<= 1) {
			const char *sc =
			    (r->calls & bit) ? syscalls_for(bit) : NULL;
			char when[64] = "";

			if (sc == NULL)
				continue;
			if (r->nth > 0)
				snprintf(when, sizeof(when), ":when=%llu",
				    (unsigned long long)r->nth);
			else if (r->after > 0)
				snprintf(when, sizeof(when), ":when=%llu+",
				    (unsigned long long)r->after + 1);
			strlist_push(&pre, "-e");
			if (r->action == CHAOS_ACT_DELAY)
				strlist_push_owned(&pre,
				    xasprintf("inject=%s:delay_enter=%lluus%s",
				        sc,
				        (unsigned long long)(r->delay_ns /
				                             1000),
				        when));
			else
				strlist_push_owned(&pre,
				    xasprintf("inject=%s:error=%s%s", sc,
				        chaos_errno_name(
				            r->err ? r->err
				                   : chaos_default_errno(bit)),
				        when));
		}
	}
	strlist_push(&pre, "--");
	for (k = 0; k < argv->nr; k++)
		strlist_push(&pre, argv->items[k]);
	warn_msg(
	    "'%s' is static or a Go binary: the shim cannot reach it; using 'strace --inject' instead (~50 us per traced syscall)",
	    argv->items[0]);
	strlist_push_owned(
	    &p->notes, xasprintf("fallback: strace --inject for static/Go '%s'",
	                   argv->items[0]));
	strlist_release(argv);
	*argv = pre;
	strlist_init(&pre);
	used = true;
out:
	strlist_release(&pre);
	free(rs);
	return used;
}
