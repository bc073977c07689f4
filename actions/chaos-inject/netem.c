#include "common/compat.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "chaos.h"
#include "common/log.h"

/*
 * Kernel netem on loopback through raw rtnetlink (root only). The probe
 * adds the qdisc inside a throwaway network namespace, so it changes
 * nothing; the real qdisc on the host's lo carries our own handle, which
 * is journaled first, and the undo deletes by that handle only, so a
 * qdisc somebody else put there is never removed.
 */
#define NETEM_HANDLE 0xb0c00000u /* "b0c0:" */

struct nlreq {
	struct nlmsghdr n;
	struct tcmsg t;
	char attrs[256];
};

static void
add_attr(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a =
	    (struct rtattr *)((char *)r + NLMSG_ALIGN(r->n.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

/* Sends one request and returns 0 or -errno from the kernel's ack. */
static int
nl_talk(struct nlreq *r)
{
	struct sockaddr_nl sa;
	char buf[4096];
	ssize_t k;
	int fd, rc = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&sa,
	        sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	k = recv(fd, buf, sizeof(buf), 0);
	if (k >= (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (h->nlmsg_type == NLMSG_ERROR)
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	}
out:
	close(fd);
	return rc;
}

static void
req_init(struct nlreq *r, unsigned short type, unsigned short flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->n.nlmsg_seq = 1;
	r->t.tcm_family = AF_UNSPEC;
	r->t.tcm_ifindex = (int)if_nametoindex("lo");
	r->t.tcm_parent = TC_H_ROOT;
	r->t.tcm_handle = NETEM_HANDLE;
}

/* Adds a root qdisc of kind ("netem", or "tbf" to test the path) on lo
 * with delay_ns +- jitter_ns per packet. Returns 0 or -errno. */
static int
qdisc_add(const char *kind, uint64_t delay_ns, uint64_t jitter_ns)
{
	struct nlreq r;
	char opt[128];
	size_t olen = 0;

	req_init(&r, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	if (r.t.tcm_ifindex == 0)
		return -ENODEV;
	add_attr(&r, TCA_KIND, kind, strlen(kind) + 1);
	memset(opt, 0, sizeof(opt));
	if (strcmp(kind, "netem") == 0) {
		struct tc_netem_qopt q;
		struct rtattr *a;
		int64_t v;

		memset(&q, 0, sizeof(q));
		q.limit = 10000;
		memcpy(opt, &q, sizeof(q));
		olen = RTA_ALIGN(sizeof(q));
		/* the 64-bit ns attributes override the tick fields */
		a = (struct rtattr *)(opt + olen);
		a->rta_type = TCA_NETEM_LATENCY64;
		a->rta_len = (unsigned short)RTA_LENGTH(sizeof(v));
		v = (int64_t)delay_ns;
		memcpy(RTA_DATA(a), &v, sizeof(v));
		olen += RTA_ALIGN(a->rta_len);
		a = (struct rtattr *)(opt + olen);
		a->rta_type = TCA_NETEM_JITTER64;
		a->rta_len = (unsigned short)RTA_LENGTH(sizeof(v));
		v = (int64_t)jitter_ns;
		memcpy(RTA_DATA(a), &v, sizeof(v));
		olen += RTA_ALIGN(a->rta_len);
	} else {
		struct tc_tbf_qopt q;
		struct rtattr *a;

		memset(&q, 0, sizeof(q));
		q.rate.rate = 1u << 30;
		q.limit = 1u << 20;
		q.buffer = 1u << 20;
		a = (struct rtattr *)opt;
		a->rta_type = TCA_TBF_PARMS;
		a->rta_len = (unsigned short)RTA_LENGTH(sizeof(q));
		memcpy(RTA_DATA(a), &q, sizeof(q));
		olen = RTA_ALIGN(a->rta_len);
	}
	add_attr(&r, TCA_OPTIONS, opt, olen);
	return nl_talk(&r);
}

int
chaos_netem_probe(const char *kind, struct buf *why)
{
	int st = 0, err;
	pid_t pid;

	buf_reset(why);
	if (geteuid() != 0) {
		buf_adds(why, "needs root");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		buf_addf(why, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWNET) != 0)
			_exit(200);
		err = qdisc_add(kind, 1000000, 0);
		_exit(err == 0 ? 0 : (-err & 0xff));
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (!WIFEXITED(st))
		buf_adds(why, "probe process died");
	else if (WEXITSTATUS(st) == 200)
		buf_adds(why, "cannot create a network namespace to probe in");
	else if (WEXITSTATUS(st) == ENOENT)
		buf_addf(why, "the kernel has no sch_%s", kind);
	else
		buf_addf(why, "%s", strerror(WEXITSTATUS(st)));
	return -1;
}

int
chaos_netem_apply(struct chaos_journal *j, const char *kind, uint64_t delay_ns,
    uint64_t jitter_ns)
{
	int err;

	if (chaos_journal_add(j, "qdisc", "lo", NULL, NULL) != 0)
		return -1;
	err = qdisc_add(kind, delay_ns, jitter_ns);
	if (err != 0)
		return error_msg(
		    "cannot add %s on 'lo': %s", kind, strerror(-err));
	return 0;
}

int
chaos_netem_undo(const char *dev, struct buf *rep)
{
	struct nlreq r;
	int err;

	if (strcmp(dev, "lo") != 0)
		return error_msg("journal: refusing qdisc on '%s'", dev);
	req_init(&r, RTM_DELQDISC, 0);
	err = nl_talk(&r);
	/* gone already, or not ours (another handle): nothing to undo */
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err != 0)
		return error_msg(
		    "cannot remove qdisc b0c0: from 'lo': %s", strerror(-err));
	if (rep != NULL)
		buf_adds(rep, "removed qdisc b0c0: from 'lo'\n");
	return 0;
}
