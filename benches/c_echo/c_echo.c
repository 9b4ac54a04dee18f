// SPDX-License-Identifier: GPL-2.0
/*
 * c_echo: the C twin of nlecho.ko, for benchmarks only.
 *
 * The same paths as the Rust module where the benchmark measures them
 * (docs/PROTOCOL.md): classic type 0 echoed as NLMSG_DONE with no ACK after
 * it; ECHO, BROADCAST (as a NOTIFY with GROUP and DATA), STATS and
 * RESET_STATS; errors and ACKs from netlink_ack(); replies above the costly
 * order allocated with __GFP_NORETRY; the same size limit and atomic
 * counters. Not mirrored, as no benchmark row goes there: the extended ACK
 * messages, strict attribute checks and GET_GROUP. It serves the initial
 * network namespace only, unless loaded with netns=1: then it serves every
 * namespace through pernet operations, as nlecho does, which is what the
 * load/unload benchmark compares nlecho with (unregister_pernet_subsys()
 * waits for an RCU grace period and then runs rcu_barrier()).
 * It serves another protocol number (default 29), so both modules can be
 * loaded in one boot and measured side by side. Written the way a C module
 * author would, with the kernel's own helpers (nlmsg_new, nlmsg_put,
 * nla_for_each_attr), so the comparison is against idiomatic C.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#define C_ECHO_CMD_ECHO		0x10
#define C_ECHO_CMD_BROADCAST	0x11
#define C_ECHO_CMD_STATS	0x12
#define C_ECHO_CMD_RESET_STATS	0x13
#define C_ECHO_CMD_NOTIFY	0x14
#define C_ECHO_A_GROUP		1
#define C_ECHO_A_DATA		2
#define C_ECHO_A_STAT_FIRST	3
#define C_ECHO_MAX_MSG_LEN	65536
#define C_ECHO_NSTATS		7

enum { S_RECEIVED, S_ECHOED, S_BROADCAST, S_DROPPED, S_MALFORMED, S_ERRORS, S_BYTES };

static unsigned int protocol = 29;
module_param(protocol, uint, 0444);
MODULE_PARM_DESC(protocol, "Netlink protocol number to serve (default 29)");

static unsigned int groups = 32;
module_param(groups, uint, 0444);
MODULE_PARM_DESC(groups, "Number of multicast groups (default 32)");

static bool netns;
module_param(netns, bool, 0444);
MODULE_PARM_DESC(netns, "1: serve every network namespace, through pernet operations as nlecho does (default 0: the initial one only)");

/* The initial namespace's socket when !netns; else each namespace's is in net_generic(). */
static struct sock *nl_sk;
static unsigned int c_echo_net_id;
static atomic64_t stats[C_ECHO_NSTATS];

static bool deliver(int err)
{
	if (err < 0)
		atomic64_inc(&stats[S_DROPPED]);
	return err >= 0;
}

/* As nlecho: no retries or compaction for a user's 64 KiB echo. */
static gfp_t reply_gfp(size_t payload)
{
	if (nlmsg_total_size(payload) + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) >
	    PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER)
		return GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	return GFP_KERNEL;
}

/* The kernel socket of the namespace a request came to is in->sk. */
static int reply(struct sk_buff *in, u16 type, u32 seq, const void *data, size_t len)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;

	skb = nlmsg_new(len, reply_gfp(len));
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, seq, type, len, 0);
	if (!nlh) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	memcpy(nlmsg_data(nlh), data, len);
	return nlmsg_unicast(in->sk, skb, NETLINK_CB(in).portid);
}

static int echo(struct sk_buff *in, const struct nlmsghdr *nlh, u16 type)
{
	int len = nlmsg_len(nlh);
	int err;

	err = reply(in, type, nlh->nlmsg_seq, nlmsg_data(nlh), len);
	if (err == -ENOMEM || err == -EMSGSIZE)
		return err;
	if (deliver(err)) {
		atomic64_inc(&stats[S_ECHOED]);
		atomic64_add(len, &stats[S_BYTES]);
	}
	return 0;
}

static int notify_group(struct sock *sk, const void *data, size_t len, u32 group)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;
	int err;

	if (group == 0 || group > groups)
		return -ERANGE;
	if (len > C_ECHO_MAX_MSG_LEN - NLMSG_HDRLEN - 2 * NLA_HDRLEN - sizeof(u32))
		return -EMSGSIZE;
	skb = nlmsg_new(nla_total_size(sizeof(u32)) + nla_total_size(len), reply_gfp(len));
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, 0, C_ECHO_CMD_NOTIFY, 0, 0);
	if (!nlh || nla_put_u32(skb, C_ECHO_A_GROUP, group) ||
	    nla_put(skb, C_ECHO_A_DATA, len, data)) {
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	nlmsg_end(skb, nlh);
	NETLINK_CB(skb).dst_group = group;
	err = netlink_broadcast(sk, skb, 0, group, GFP_KERNEL);
	if (err == -ENOBUFS)
		atomic64_inc(&stats[S_DROPPED]);
	else if (err < 0 && err != -ESRCH)
		return err;
	atomic64_inc(&stats[S_BROADCAST]);
	return 0;
}

static int broadcast(struct sk_buff *in, const struct nlmsghdr *nlh)
{
	const struct nlattr *nla, *group = NULL, *data = NULL;
	int rem;

	if (!netlink_net_capable(in, CAP_NET_ADMIN))
		return -EPERM;
	nla_for_each_attr(nla, nlmsg_data(nlh), nlmsg_len(nlh), rem) {
		switch (nla_type(nla)) {
		case C_ECHO_A_GROUP:
			if (nla_len(nla) != sizeof(u32))
				return -EINVAL;
			group = nla;
			break;
		case C_ECHO_A_DATA:
			data = nla;
			break;
		}
	}
	if (rem > 0 || !group || !data)
		return -EINVAL;
	return notify_group(in->sk, nla_data(data), nla_len(data), nla_get_u32(group));
}

static int stats_reply(struct sk_buff *in, const struct nlmsghdr *req)
{
	struct sk_buff *skb;
	struct nlmsghdr *nlh;
	int i;

	skb = nlmsg_new(C_ECHO_NSTATS * nla_total_size_64bit(8), GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	nlh = nlmsg_put(skb, 0, req->nlmsg_seq, C_ECHO_CMD_STATS, 0, 0);
	for (i = 0; i < C_ECHO_NSTATS; i++)
		nla_put_u64_64bit(skb, C_ECHO_A_STAT_FIRST + i,
				  atomic64_read(&stats[i]), 0);
	nlmsg_end(skb, nlh);
	deliver(nlmsg_unicast(in->sk, skb, NETLINK_CB(in).portid));
	return 0;
}

static void handle(struct sk_buff *in, const struct nlmsghdr *nlh)
{
	bool is_request = nlh->nlmsg_flags & NLM_F_REQUEST;
	int err = 0, i;

	if (nlh->nlmsg_type != 0 &&
	    (!is_request || nlh->nlmsg_type < NLMSG_MIN_TYPE))
		err = 0;
	else if (nlmsg_len(nlh) > C_ECHO_MAX_MSG_LEN - NLMSG_HDRLEN)
		err = -EMSGSIZE;
	else if (nlh->nlmsg_type == 0)
		err = echo(in, nlh, NLMSG_DONE);
	else if (nlh->nlmsg_type == C_ECHO_CMD_ECHO)
		err = echo(in, nlh, C_ECHO_CMD_ECHO);
	else if (nlh->nlmsg_type == C_ECHO_CMD_BROADCAST)
		err = broadcast(in, nlh);
	else if (nlh->nlmsg_type == C_ECHO_CMD_STATS)
		err = stats_reply(in, nlh);
	else if (nlh->nlmsg_type == C_ECHO_CMD_RESET_STATS) {
		if (netlink_net_capable(in, CAP_NET_ADMIN))
			for (i = 0; i < C_ECHO_NSTATS; i++)
				atomic64_set(&stats[i], 0);
		else
			err = -EPERM;
	} else
		err = -EOPNOTSUPP;

	/* A classic echo ends with NLMSG_DONE, which is final: no ACK. */
	if (err) {
		atomic64_inc(&stats[S_ERRORS]);
		netlink_ack(in, (struct nlmsghdr *)nlh, err, NULL);
	} else if (nlh->nlmsg_flags & NLM_F_ACK && nlh->nlmsg_type != 0) {
		netlink_ack(in, (struct nlmsghdr *)nlh, 0, NULL);
	}
}

static void input(struct sk_buff *skb)
{
	const struct nlmsghdr *nlh;
	int rem = skb_headlen(skb);

	for (nlh = (const struct nlmsghdr *)skb->data; rem > 0;
	     nlh = nlmsg_next(nlh, &rem)) {
		if (!nlmsg_ok(nlh, rem)) {
			atomic64_inc(&stats[S_MALFORMED]);
			return;
		}
		atomic64_inc(&stats[S_RECEIVED]);
		handle(skb, nlh);
	}
}

static struct sock *create(struct net *net)
{
	struct netlink_kernel_cfg cfg = {
		.groups = groups,
		.input = input,
	};
	struct sock *sk = netlink_kernel_create(net, protocol, &cfg);

	if (!sk)
		pr_err("c_echo: cannot register netlink protocol %u\n", protocol);
	return sk;
}

static int __net_init c_echo_net_init(struct net *net)
{
	struct sock **sk = net_generic(net, c_echo_net_id);

	*sk = create(net);
	return *sk ? 0 : -EINVAL;
}

static void __net_exit c_echo_net_exit(struct net *net)
{
	netlink_kernel_release(*(struct sock **)net_generic(net, c_echo_net_id));
}

static struct pernet_operations c_echo_net_ops = {
	.init = c_echo_net_init,
	.exit = c_echo_net_exit,
	.id = &c_echo_net_id,
	.size = sizeof(struct sock *),
};

static int __init c_echo_init(void)
{
	if (netns) {
		int err = register_pernet_subsys(&c_echo_net_ops);

		if (err)
			return err;
	} else {
		nl_sk = create(&init_net);
		if (!nl_sk)
			return -EINVAL;
	}
	pr_info("c_echo: serving netlink protocol %u%s\n", protocol,
		netns ? " in every network namespace" : "");
	return 0;
}

static void __exit c_echo_exit(void)
{
	if (netns)
		unregister_pernet_subsys(&c_echo_net_ops);
	else
		netlink_kernel_release(nl_sk);
}

module_init(c_echo_init);
module_exit(c_echo_exit);
MODULE_DESCRIPTION("C twin of nlecho for benchmarks");
MODULE_LICENSE("GPL");
