// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: this release's kernel crate has no bindings for
 * struct pernet_operations or net_generic() (net/net_namespace.h and
 * net/netns/generic.h are not in its bindings_helper.h, and a module cannot
 * add to it), and sock_net() and skb_tailroom() are static inlines. This
 * file is the table and those accessors, nothing else: what happens when a
 * namespace comes and goes is nlecho_net_init(), nlecho_net_pre_exit() and
 * nlecho_net_exit() in ffi.rs.
 */
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/sock.h>

int nlecho_net_init(struct net *net, void **state);
void nlecho_net_pre_exit(void *state);
void nlecho_net_exit(void *state);

int nlecho_pernet_register(void);
void nlecho_pernet_unregister(void);
void *nlecho_net_state(const struct net *net);
struct net *nlecho_sock_net(const struct sock *sk);
unsigned int nlecho_skb_tailroom(const struct sk_buff *skb);

static unsigned int nlecho_net_id;

/* The namespace's slot: a pointer to the state nlecho_net_init() made. */
static void **nlecho_net_slot(const struct net *net)
{
	void **slot;

	/* net->gen is RCU-protected; the slot itself lives as long as net. */
	rcu_read_lock();
	slot = net_generic(net, nlecho_net_id);
	rcu_read_unlock();
	return slot;
}

static int __net_init nlecho_pernet_init(struct net *net)
{
	return nlecho_net_init(net, nlecho_net_slot(net));
}

static void __net_exit nlecho_pernet_pre_exit(struct net *net)
{
	nlecho_net_pre_exit(*nlecho_net_slot(net));
}

/* The netns core runs synchronize_rcu() between pre_exit and exit. */
static void __net_exit nlecho_pernet_exit(struct net *net)
{
	nlecho_net_exit(*nlecho_net_slot(net));
}

static struct pernet_operations nlecho_net_ops = {
	.init = nlecho_pernet_init,
	.pre_exit = nlecho_pernet_pre_exit,
	.exit = nlecho_pernet_exit,
	.id = &nlecho_net_id,
	.size = sizeof(void *),
};

/* Calls nlecho_net_init() for every namespace, the initial one first. */
int nlecho_pernet_register(void)
{
	return register_pernet_subsys(&nlecho_net_ops);
}

void nlecho_pernet_unregister(void)
{
	unregister_pernet_subsys(&nlecho_net_ops);
}

/* Valid while net is alive and the table is registered. */
void *nlecho_net_state(const struct net *net)
{
	return *nlecho_net_slot(net);
}

struct net *nlecho_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

unsigned int nlecho_skb_tailroom(const struct sk_buff *skb)
{
	return skb_tailroom(skb);
}
