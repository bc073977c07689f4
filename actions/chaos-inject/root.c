#include "common/compat.h"

#include <stdio.h>
#include <string.h>

#include "chaos.h"
#include "common/log.h"
#include "common/xalloc.h"

/*
 * The root-only mechanisms of chaos.md §11 (kernel netem on lo, cgroup v2
 * limits) are planned here: probe first, read-only, and when a mechanism
 * cannot be used, fall back to its unprivileged stand-in with exactly one
 * notice line saying what and why (plan->fallbacks).
 */

int
chaos_plan_netem(const struct chaos_run_opts *o, struct chaos_plan *p)
{
	struct buf why = BUF_INIT(0);
	int64_t lat = o->latency_ms > 0 ? o->latency_ms : 200;

	if (o->target == NULL && o->proxy_upstream == NULL) {
		buf_release(&why);
		return error_msg(
		    "--netem needs --target or --proxy-upstream to fall back on");
	}
	if (chaos_netem_probe("netem", &why) == 0) {
		p->netem = true;
		/* a round trip on lo crosses its egress twice */
		p->netem_delay_ns = (uint64_t)lat * 500000ULL;
		p->netem_jitter_ns = (uint64_t)o->jitter_ms * 500000ULL;
		strlist_push_owned(&p->notes,
		    xasprintf(
		        "kernel netem on 'lo': +%lld ms (±%lld) per round trip, all loopback traffic",
		        (long long)lat, (long long)o->jitter_ms));
	} else {
		strlist_push_owned(&p->fallbacks,
		    xasprintf("netem unavailable (%s); using the %s instead",
		        why.data, o->target != NULL ? "shim" : "proxy"));
	}
	buf_release(&why);
	return 0;
}

int
chaos_plan_cgroup(const struct chaos_run_opts *o, struct chaos_plan *p)
{
	const struct chaos_cgroup *w = &o->cgroup;
	struct chaos_cgroup use;
	struct buf why = BUF_INIT(0), alt = BUF_INIT(0);
	int rc;

	if (w->cpu_pct == 0 && w->memory == 0 && w->pids == 0)
		return 0;
	rc = chaos_cgroup_probe(w, &use, &p->cgroup_mount, &why);
	if (rc != 0)
		memset(&use, 0, sizeof(use));
	if (use.cpu_pct > 0 || use.memory > 0 || use.pids > 0) {
		p->use_cgroup = true;
		p->cgroup = use;
		chaos_cgroup_path(p->cgroup_mount.data, &p->cgroup_path);
		strlist_push_owned(&p->notes,
		    xasprintf(
		        "cgroup v2 '%s' for the command: cpu.max %ld%%, memory.max %llu, pids.max %ld (0 = unset)",
		        p->cgroup_path.data, use.cpu_pct,
		        (unsigned long long)use.memory, use.pids));
	}
	if (why.len == 0)
		goto out;
	/* the unprivileged stand-ins for what cgroup v2 cannot do here */
	if (w->memory > 0 && use.memory == 0) {
		if (p->limit_as == 0)
			p->limit_as = w->memory;
		buf_adds(&alt, "memory.max -> RLIMIT_AS");
	}
	if (w->pids > 0 && use.pids == 0) {
		chaos_plan_add_rule(
		    p, "fork,after=%ld,errno=EAGAIN", w->pids - 1);
		buf_addf(&alt, "%spids.max -> shim fork EAGAIN after %ld",
		    alt.len ? ", " : "", w->pids - 1);
	}
	if (w->cpu_pct > 0 && use.cpu_pct == 0)
		buf_addf(&alt, "%scpu.max -> none (use --cpu spinners)",
		    alt.len ? ", " : "");
	strlist_push_owned(&p->fallbacks,
	    xasprintf("cgroup v2 limits unavailable (%s); falling back: %s",
	        why.data, alt.data));
out:
	buf_release(&why);
	buf_release(&alt);
	return 0;
}
