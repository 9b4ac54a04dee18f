/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlecho: send netlink messages to user space from other kernel modules.
 *
 * These are the counterparts of test_unicast()/test_broadcast() in the
 * classic C netlink module, provided by nlecho.ko (EXPORT_SYMBOL_GPL).
 * Messages go out on nlecho's protocol (its "protocol" parameter, 30 by
 * default) in the classic format: one nlmsghdr of type NLMSG_DONE,
 * nlmsg_seq 0, nlmsg_pid 0, followed by the data.
 *
 * Both functions copy the data and never sleep (GFP_ATOMIC): call them in
 * process or softirq context, under spinlocks or rcu_read_lock() too, but
 * not with interrupts disabled (a netlink tap's transmit path needs them).
 * They return 0 or a negative errno:
 *   -EINVAL        data is NULL but size is not 0
 *   -EMSGSIZE      size is above NLECHO_MAX_PAYLOAD (data is not read)
 *   -ENOMEM        no memory for the message
 *   -ENODEV        nlecho is being unloaded (only seen by callers that
 *                  look the symbols up at run time: linking to them pins
 *                  nlecho)
 *   nlecho_unicast() only:
 *   -EINVAL        portid is 0, the kernel itself
 *   -ECONNREFUSED  no socket is bound to portid
 *   -EAGAIN        that socket's receive queue is full (message dropped)
 *   nlecho_broadcast() only:
 *   -ERANGE        group is outside 1..groups (nlecho's "groups" parameter)
 * A broadcast no listener got (none listens, or all queues are full), or
 * that one listener with a full queue misses, still returns 0: listeners
 * see ENOBUFS themselves.
 */
#ifndef NLECHO_H
#define NLECHO_H

#include <linux/types.h>

/* Largest data size: a 64 KiB message minus its 16-byte header. */
#define NLECHO_MAX_PAYLOAD (65536 - 16)

int nlecho_unicast(const void *data, size_t size, u32 portid);
int nlecho_broadcast(const void *data, size_t size, u32 group);

#endif /* NLECHO_H */
