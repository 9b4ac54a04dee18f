/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlecho: send netlink messages to user space from other kernel modules.
 *
 * These are the counterparts of test_unicast()/test_broadcast() in the
 * classic C netlink module, provided by nlecho.ko (EXPORT_SYMBOL_GPL).
 * Messages go out on nlecho's protocol (its "protocol" parameter, 30 by
 * default) as notifications: one nlmsghdr of type NLECHO_CMD_NOTIFY
 * (0x14), nlmsg_seq 0, nlmsg_pid 0, with the attributes NLECHO_A_GROUP
 * (u32: the group, 0 for a unicast) and NLECHO_A_DATA (the data). With
 * nlecho's parameter classic_notify=1 they take the tutorials' format
 * instead: type NLMSG_DONE followed by the raw data.
 *
 * nlecho_unicast() and nlecho_broadcast() address the initial network
 * namespace; the _net variants the namespace net, whose struct net must
 * stay valid during the call (hold a reference, or run in its context).
 *
 * All four copy the data and never sleep (GFP_ATOMIC | __GFP_NOWARN): call
 * them in process or softirq context, also under rcu_read_lock() or a
 * spinlock that leaves interrupts on (spin_lock(), spin_lock_bh()), but
 * not in hard interrupt context or with interrupts disabled: they free
 * sk_buffs (a message that was not sent, or those a receiver closing
 * meanwhile had queued), which the kernel does only with interrupts on
 * (see dev_kfree_skb_any() in net/core/dev.c). They return 0 or a
 * negative errno:
 *   -EINVAL        data is NULL but size is not 0; net is NULL
 *   -EMSGSIZE      size is above NLECHO_MAX_DATA (data is not read)
 *   -ENOMEM        no memory for the message
 *   -ENODEV        _net variants only: net is being set up or dismantled,
 *                  and nlecho's service in it is not there (a caller that
 *                  holds a reference to net never sees this; one that
 *                  reached net through a device or a kernel socket of it
 *                  may). Not because nlecho unloads: a module linked
 *                  against these functions keeps nlecho loaded.
 *   unicast only:
 *   -EINVAL        portid is 0, the kernel itself
 *   -ECONNREFUSED  no socket is bound to portid
 *   -EAGAIN        that socket's receive queue is full (message dropped)
 *   broadcast only:
 *   -ERANGE        group is outside 1..groups (nlecho's "groups" parameter)
 * A broadcast no listener got (none listens, or all queues are full), or
 * that one listener with a full queue misses, still returns 0: listeners
 * see ENOBUFS themselves.
 */
#ifndef NLECHO_H
#define NLECHO_H

#include <linux/types.h>

struct net;

/*
 * Largest request payload: a 64 KiB message less its 16-byte header.
 * Largest data: that less the 12 bytes of a notification's attributes.
 * nlecho's build fails unless these are module/wire.rs's MAX_PAYLOAD and
 * MAX_NOTIFY_DATA (see ffi/helpers.rs).
 */
#define NLECHO_MAX_PAYLOAD 65520
#define NLECHO_MAX_DATA 65508

int nlecho_unicast(const void *data, size_t size, u32 portid);
int nlecho_broadcast(const void *data, size_t size, u32 group);
int nlecho_unicast_net(struct net *net, const void *data, size_t size, u32 portid);
int nlecho_broadcast_net(struct net *net, const void *data, size_t size, u32 group);

#endif /* NLECHO_H */
