// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: this release's kernel crate has no bindings for
 * struct pernet_operations or net_generic() (net/net_namespace.h and
 * net/netns/generic.h are not in its bindings_helper.h, and a module cannot
 * add to it), and sock_net(), skb_tailroom(), skb_shared() and skb_cloned()
 * are static inlines. This file is the table, the publication of each
 * namespace's state, and those accessors: what the state is and does is
 * nlecho_net_new() and the functions after it in ffi.rs.
 */
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

void *nlecho_net_new(void);
int nlecho_net_start(void *state, struct net *net);
void nlecho_net_stop(void *state);
void nlecho_net_exit(void *state);
void nlecho_net_free(void *state);

int nlecho_pernet_register(void);
void nlecho_pernet_unregister(void);
void *nlecho_net_state(const struct net *net);
struct net *nlecho_sock_net(const struct sock *sk);
unsigned int nlecho_skb_tailroom(const struct sk_buff *skb);
bool nlecho_skb_private(const struct sk_buff *skb);

static unsigned int nlecho_net_id;

/*
 * A namespace's slots: PUBLISHED is what lookups see, from before the
 * namespace's socket exists until pre_exit; OWNED keeps the state until
 * exit frees it.
 */
enum { PUBLISHED, OWNED, SLOTS };

static void **nlecho_net_slots(const struct net *net)
{
	void **slots;

	/* net->gen is RCU-protected; our slots live until the net is freed. */
	rcu_read_lock();
	slots = net_generic(net, nlecho_net_id);
	rcu_read_unlock();
	return slots;
}

static int __net_init nlecho_pernet_init(struct net *net)
{
	void **slots = nlecho_net_slots(net);
	void *state = nlecho_net_new();
	int err;

	if (!state)
		return -ENOMEM;
	slots[OWNED] = state;
	/* Before the socket exists, so that its first request finds it. */
	smp_store_release(&slots[PUBLISHED], state);
	err = nlecho_net_start(state, net);
	if (err) {
		WRITE_ONCE(slots[PUBLISHED], NULL);
		/* A helper may have looked it up meanwhile. */
		synchronize_rcu();
		nlecho_net_free(state);
	}
	return err;
}

static void __net_exit nlecho_pernet_pre_exit(struct net *net)
{
	void **slots = nlecho_net_slots(net);

	WRITE_ONCE(slots[PUBLISHED], NULL);
	nlecho_net_stop(slots[OWNED]);
}

/* The netns core runs synchronize_rcu() between pre_exit and exit. */
static void __net_exit nlecho_pernet_exit(struct net *net)
{
	nlecho_net_exit(nlecho_net_slots(net)[OWNED]);
}

static struct pernet_operations nlecho_net_ops = {
	.init = nlecho_pernet_init,
	.pre_exit = nlecho_pernet_pre_exit,
	.exit = nlecho_pernet_exit,
	.id = &nlecho_net_id,
	.size = SLOTS * sizeof(void *),
};

/* Calls nlecho_pernet_init() for every namespace, the initial one first. */
int nlecho_pernet_register(void)
{
	return register_pernet_subsys(&nlecho_net_ops);
}

void nlecho_pernet_unregister(void)
{
	unregister_pernet_subsys(&nlecho_net_ops);
}

/*
 * The state of net's service, or NULL once it is going. The caller holds
 * rcu_read_lock(), or something that keeps pre_exit from running for net:
 * a socket of net on nlecho's protocol.
 */
void *nlecho_net_state(const struct net *net)
{
	void **slots = nlecho_net_slots(net);

	return slots ? READ_ONCE(slots[PUBLISHED]) : NULL;
}

struct net *nlecho_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

unsigned int nlecho_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}

/*
 * Whether the caller's reference is the only one to skb and its data is
 * linear and shared with no other skb: what writing the data in place
 * needs (netlink.rs, Request::reply_in_place).
 */
bool nlecho_skb_private(const struct sk_buff *skb)
{
	return !skb_shared(skb) && !skb_cloned(skb) && !skb_is_nonlinear(skb);
}
