#include "common/compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chaos.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "rules.h"

/*
 * The eight scenarios of the weekly chaos plan, each mapped to real
 * mechanisms (chaos.md §11). Every mechanism here works unprivileged; the
 * root-only ones (netem, cgroups) are not used, so nothing needs a probe.
 */
const char *const chaos_scenarios[] = {
	"network-latency",
	"resource-exhaustion",
	"dependency-failure",
	"timeout",
	"artifact-corruption",
	"flaky-tests",
	"parallel-failure",
	"cache-invalidation",
	"custom",
	NULL,
};

void
chaos_run_opts_init(struct chaos_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	strlist_init(&o->rules);
	strlist_init(&o->toxics);
	strlist_init(&o->dns_fail);
	strlist_init(&o->files);
	strlist_init(&o->cache_dirs);
	strlist_init(&o->allow_roots);
	o->cpu_load = 100;
	o->mem_floor = (uint64_t)256 << 20;
}

void
chaos_run_opts_release(struct chaos_run_opts *o)
{
	strlist_release(&o->rules);
	strlist_release(&o->toxics);
	strlist_release(&o->dns_fail);
	strlist_release(&o->files);
	strlist_release(&o->cache_dirs);
	strlist_release(&o->allow_roots);
}

void
chaos_plan_init(struct chaos_plan *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->rules, 64 << 10);
	strlist_init(&p->mutate);
	strlist_init(&p->aside);
	strlist_init(&p->roots);
	strlist_init(&p->notes);
	strlist_init(&p->fallbacks);
	buf_init(&p->cgroup_mount, 0);
	buf_init(&p->cgroup_path, 0);
	p->proxy_opts.ready_fd = -1;
}

void
chaos_plan_release(struct chaos_plan *p)
{
	buf_release(&p->rules);
	strlist_release(&p->mutate);
	strlist_release(&p->aside);
	strlist_release(&p->roots);
	strlist_release(&p->notes);
	strlist_release(&p->fallbacks);
	buf_release(&p->cgroup_mount);
	buf_release(&p->cgroup_path);
}

#define add_rule chaos_plan_add_rule

void
chaos_plan_add_rule(struct chaos_plan *p, const char *fmt, ...)
{
	va_list ap;

	if (p->rules.len > 0)
		buf_addch(&p->rules, ';');
	va_start(ap, fmt);
	buf_vaddf(&p->rules, fmt, ap);
	va_end(ap);
}

/* host=..,port=.. for --target; the caller has checked it is set. */
static int
target_fields(const char *target, char *out, size_t len)
{
	char host[256];
	int port;

	if (chaos_parse_hostport(target, host, sizeof(host), &port) != 0)
		return -1;
	if (port == 0)
		snprintf(out, len, "host=%s", host);
	else
		snprintf(out, len, "host=%s,port=%d", host, port);
	return 0;
}

static int
add_proxy(const struct chaos_run_opts *o, uint64_t seed, struct chaos_plan *p,
    const char *auto_toxic)
{
	size_t i;

	if (o->proxy_upstream == NULL)
		return 0;
	p->proxy = true;
	p->proxy_opts.listen =
	    o->proxy_listen ? o->proxy_listen : "127.0.0.1:0";
	p->proxy_opts.upstream = o->proxy_upstream;
	p->proxy_opts.seed = seed;
	p->proxy_opts.allow_nonlocal = o->allow_nonlocal;
	if (o->toxics.nr == 0 && auto_toxic != NULL &&
	    chaos_toxic_parse(auto_toxic,
	        &p->proxy_opts.toxics[p->proxy_opts.ntoxics++]) != 0)
		return -1;
	for (i = 0; i < o->toxics.nr; i++) {
		if (p->proxy_opts.ntoxics == CHAOS_MAX_TOXICS)
			return error_msg(
			    "too many toxics (max %d)", CHAOS_MAX_TOXICS);
		if (chaos_toxic_parse(o->toxics.items[i],
		        &p->proxy_opts.toxics[p->proxy_opts.ntoxics++]) != 0)
			return -1;
	}
	strlist_push_owned(&p->notes,
	    xasprintf(
	        "TCP proxy %s -> %s with %zu toxic(s); BULWARK_CHAOS_PROXY names it",
	        p->proxy_opts.listen, o->proxy_upstream,
	        p->proxy_opts.ntoxics));
	return 0;
}

static int
plan_network(const struct chaos_run_opts *o, uint64_t seed,
    struct chaos_plan *p, const char *tf)
{
	char tox[96];
	int64_t lat = o->latency_ms > 0 ? o->latency_ms : 200;

	if (o->target == NULL && o->proxy_upstream == NULL)
		return error_msg(
		    "network-latency needs --target HOST:PORT (shim) or --proxy-upstream HOST:PORT");
	if (p->netem)
		return add_proxy(o, seed, p, NULL);
	if (o->target != NULL) {
		add_rule(p, "connect|send,%s,delay=%lldms,jitter=%lldms", tf,
		    (long long)lat, (long long)o->jitter_ms);
		strlist_push_owned(&p->notes,
		    xasprintf(
		        "shim: +%lld ms (±%lld) on connect and each send to %s",
		        (long long)lat, (long long)o->jitter_ms, o->target));
	}
	snprintf(tox, sizeof(tox), "latency:latency=%lldms,jitter=%lldms",
	    (long long)lat, (long long)o->jitter_ms);
	return add_proxy(o, seed, p, tox);
}

/* Flags for chaos_path_allowed from the options. */
static unsigned
guard_flags(const struct chaos_run_opts *o, unsigned flags)
{
	return flags | (o->dry_run ? CHAOS_PATH_DRY_RUN : 0);
}

static int
plan_resources(
    const struct chaos_run_opts *o, struct chaos_plan *p, bool required)
{
	/* the fill file goes inside the directory: it may be a root */
	if (o->fill_dir != NULL &&
	    chaos_path_allowed(o->fill_dir, &p->roots, "--fill-dir",
	        guard_flags(o, CHAOS_PATH_INSIDE)) != 0)
		return -1;
	p->stress.cpu_workers = o->cpu;
	p->stress.cpu_load = o->cpu_load;
	p->stress.mem_bytes = o->memory;
	p->stress.mem_floor = o->mem_floor;
	p->fill_dir = o->fill_dir;
	p->fill_size = o->fill_size;
	p->keep_free = o->keep_free;
	p->limit_nofile = o->limit_nofile;
	p->limit_as = o->limit_as;
	p->limit_fsize = o->limit_fsize;
	if (o->cpu > 0)
		strlist_push_owned(&p->notes,
		    xasprintf("%ld CPU spinner(s) at %ld%% duty cycle", o->cpu,
		        o->cpu_load));
	if (o->memory > 0)
		strlist_push_owned(&p->notes,
		    xasprintf(
		        "memory balloon of %llu bytes, keeping %llu available",
		        (unsigned long long)o->memory,
		        (unsigned long long)o->mem_floor));
	if (o->fill_dir != NULL)
		strlist_push_owned(&p->notes,
		    o->fill_size > 0
		        ? xasprintf("fill %llu bytes in '%s'",
		              (unsigned long long)o->fill_size, o->fill_dir)
		        : xasprintf("fill '%s' until %llu bytes are free",
		              o->fill_dir, (unsigned long long)o->keep_free));
	if (o->limit_nofile > 0 || o->limit_as > 0 || o->limit_fsize > 0)
		strlist_push_owned(&p->notes,
		    xasprintf(
		        "rlimits on the command: nofile=%ld as=%llu fsize=%llu",
		        o->limit_nofile, (unsigned long long)o->limit_as,
		        (unsigned long long)o->limit_fsize));
	if (o->malloc_fail != NULL) {
		add_rule(p, "malloc,p=%s", o->malloc_fail);
		strlist_push_owned(&p->notes,
		    xasprintf("shim: malloc returns NULL/ENOMEM with p=%s",
		        o->malloc_fail));
	}
	if (required && p->notes.nr == 0 && o->rules.nr == 0 &&
	    o->cgroup.cpu_pct == 0 && o->cgroup.memory == 0 &&
	    o->cgroup.pids == 0)
		return error_msg(
		    "resource-exhaustion needs --cpu, --memory, --fill-dir, --limit-*, --cgroup-* or --malloc-fail");
	return 0;
}

static int
plan_files(
    const struct chaos_run_opts *o, struct chaos_plan *p, const char *kind)
{
	size_t i;

	if (chaos_mutation_parse(
	        o->mutation ? o->mutation : "flip", &p->mutation) != 0)
		return -1;
	for (i = 0; i < o->files.nr; i++) {
		if (chaos_path_allowed(o->files.items[i], &p->roots, "--file",
		        guard_flags(o, 0)) != 0)
			return -1;
		strlist_push(&p->mutate, o->files.items[i]);
		strlist_push_owned(&p->notes,
		    xasprintf("%s '%s' (%s), restored byte for byte afterwards",
		        chaos_mutation_name(p->mutation), o->files.items[i],
		        kind));
	}
	return 0;
}

static int
plan_cache(const struct chaos_run_opts *o, struct chaos_plan *p)
{
	const char *mode = o->cache_mode ? o->cache_mode : "aside";
	size_t i;

	if (o->cache_dirs.nr == 0)
		return error_msg("cache-invalidation needs --cache-dir DIR");
	for (i = 0; i < o->cache_dirs.nr; i++) {
		const char *d = o->cache_dirs.items[i];
		char real[4096];

		if (chaos_path_allowed(
		        d, &p->roots, "--cache-dir", guard_flags(o, 0)) != 0)
			return -1;
		if (strcmp(mode, "aside") == 0) {
			strlist_push(&p->aside, d);
			strlist_push_owned(&p->notes,
			    xasprintf(
			        "move '%s' aside (cold cache), move it back afterwards",
			        d));
		} else if (strcmp(mode, "enoent") == 0 ||
		           strcmp(mode, "eio") == 0) {
			if (realpath(d, real) == NULL)
				return error_errno("cannot resolve '%s'", d);
			add_rule(p, "open,path=%s,errno=%s", real,
			    mode[1] == 'n' ? "ENOENT" : "EIO");
			strlist_push_owned(&p->notes,
			    xasprintf("shim: opens under '%s' fail with %s", d,
			        mode[1] == 'n' ? "ENOENT" : "EIO"));
		} else {
			return error_msg(
			    "unknown --cache-mode '%s' (aside, enoent, eio; use artifact-corruption to corrupt entries)",
			    mode);
		}
	}
	return 0;
}

int
chaos_plan_build(
    const struct chaos_run_opts *o, uint64_t seed, struct chaos_plan *p)
{
	const char *s = o->scenario ? o->scenario : "custom";
	char tf[320] = "";
	size_t i;

	/* declared cache dirs are not roots: they are checked like --file */
	if (chaos_roots_init(&p->roots, &o->allow_roots) != 0)
		return -1;
	if (o->target != NULL && target_fields(o->target, tf, sizeof(tf)) != 0)
		return -1;
	if (o->netem && strcmp(s, "network-latency") != 0)
		return error_msg("--netem needs --scenario network-latency");
	if (o->netem && chaos_plan_netem(o, p) != 0)
		return -1;

	if (strcmp(s, "network-latency") == 0) {
		if (plan_network(o, seed, p, tf) != 0)
			return -1;
	} else if (strcmp(s, "resource-exhaustion") == 0) {
		if (plan_resources(o, p, true) != 0)
			return -1;
	} else if (strcmp(s, "dependency-failure") == 0) {
		if (o->target == NULL && o->dns_fail.nr == 0 &&
		    o->proxy_upstream == NULL)
			return error_msg(
			    "dependency-failure needs --target, --dns-fail or --proxy-upstream");
		if (o->target != NULL) {
			add_rule(p, "connect,%s,errno=%s", tf,
			    o->err ? o->err : "ECONNREFUSED");
			strlist_push_owned(&p->notes,
			    xasprintf("shim: connect to %s fails with %s",
			        o->target, o->err ? o->err : "ECONNREFUSED"));
		}
		for (i = 0; i < o->dns_fail.nr; i++) {
			add_rule(p, "dns,host=%s,errno=EAI_NONAME",
			    o->dns_fail.items[i]);
			strlist_push_owned(&p->notes,
			    xasprintf("shim: resolving '%s' fails (EAI_NONAME)",
			        o->dns_fail.items[i]));
		}
		if (add_proxy(o, seed, p, "reset_peer:timeout=0") != 0)
			return -1;
	} else if (strcmp(s, "timeout") == 0) {
		int64_t d = o->delay_ms > 0 ? o->delay_ms : 5000;
		if (o->target == NULL && o->proxy_upstream == NULL)
			return error_msg(
			    "timeout needs --target HOST:PORT or --proxy-upstream HOST:PORT");
		if (o->target != NULL) {
			add_rule(p, "connect,%s,delay=%lldms,errno=ETIMEDOUT",
			    tf, (long long)d);
			strlist_push_owned(&p->notes,
			    xasprintf(
			        "shim: connect to %s hangs %lld ms, then ETIMEDOUT",
			        o->target, (long long)d));
		}
		if (add_proxy(o, seed, p, "timeout:timeout=0") != 0)
			return -1;
	} else if (strcmp(s, "artifact-corruption") == 0) {
		if (o->files.nr == 0 && o->rules.nr == 0)
			return error_msg(
			    "artifact-corruption needs --file PATH");
		if (plan_files(o, p, "artifact") != 0)
			return -1;
	} else if (strcmp(s, "flaky-tests") == 0) {
		const char *prob = o->probability ? o->probability : "0.05";
		const char *calls = o->calls ? o->calls : "read|write";
		char pathf[4200] = "";

		if (o->path != NULL)
			snprintf(pathf, sizeof(pathf), ",path=%s", o->path);
		add_rule(p, "%s%s,p=%s,errno=%s", calls, pathf, prob,
		    o->err ? o->err : "EIO");
		strlist_push_owned(&p->notes,
		    xasprintf("shim: %s fail with %s, p=%s per call, seeded",
		        calls, o->err ? o->err : "EIO", prob));
	} else if (strcmp(s, "parallel-failure") == 0) {
		if (o->kill_after_ms <= 0 && o->fork_fail == NULL)
			return error_msg(
			    "parallel-failure needs --kill-after DURATION or --fork-fail P");
		p->kill_after_ms = o->kill_after_ms;
		if (o->kill_after_ms > 0)
			strlist_push_owned(&p->notes,
			    xasprintf(
			        "SIGKILL one seeded-chosen worker of the command after %lld ms",
			        (long long)o->kill_after_ms));
		if (o->fork_fail != NULL) {
			add_rule(p, "fork,p=%s,errno=EAGAIN", o->fork_fail);
			strlist_push_owned(&p->notes,
			    xasprintf(
			        "shim: fork/posix_spawn fail with EAGAIN, p=%s",
			        o->fork_fail));
		}
	} else if (strcmp(s, "cache-invalidation") == 0) {
		if (plan_cache(o, p) != 0)
			return -1;
	} else if (strcmp(s, "custom") == 0) {
		if (o->rules.nr == 0)
			return error_msg("scenario 'custom' needs --rule");
	} else {
		return error_msg(
		    "unknown scenario '%s'; try 'chaos-inject scenarios'", s);
	}
	/* mechanisms compose: any scenario takes the others' options too */
	if (strcmp(s, "resource-exhaustion") != 0 &&
	    plan_resources(o, p, false) != 0)
		return -1;
	if (strcmp(s, "artifact-corruption") != 0 && o->files.nr > 0 &&
	    plan_files(o, p, "artifact") != 0)
		return -1;
	if (chaos_plan_cgroup(o, p) != 0)
		return -1;
	if (!p->proxy && add_proxy(o, seed, p, NULL) != 0)
		return -1;
	for (i = 0; i < o->rules.nr; i++)
		add_rule(p, "%s", o->rules.items[i]);
	if (p->rules.len > 0) {
		struct chaos_rules *rs = xmalloc(sizeof(*rs));
		char err[200];
		int rc = chaos_rules_parse(rs, p->rules.data, err, sizeof(err));

		free(rs);
		if (rc != 0)
			return error_msg("bad fault rules: %s", err);
	}
	p->stress.deadline_ms = 0;
	return 0;
}
