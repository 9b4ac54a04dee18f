// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho_stress: calls nlecho's exported helpers as fast as it can, from
 * process context (a kthread) and from softirq context (a timer that
 * re-arms every jiffy), until it is unloaded. Each round sends one
 * unicast to "port" and one broadcast to "group" in the initial namespace,
 * and one broadcast in every other live namespace, which races the
 * helpers against namespaces being created and destroyed.
 *
 * It is C because it stands for the helpers' real callers: other kernel
 * modules that include nlecho.h. At unload it logs what the helpers
 * returned, per context, for tests/guest/stress.sh to check against
 * nlecho's own counters and the listeners' counts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/timer.h>
#include <net/net_namespace.h>

#include "nlecho.h"

static unsigned int port = 4200;
module_param(port, uint, 0444);
MODULE_PARM_DESC(port, "Port of the unicasts (default 4200)");
static unsigned int group = 1;
module_param(group, uint, 0444);
MODULE_PARM_DESC(group, "Multicast group of the broadcasts (default 1)");
static unsigned int burst = 8;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst, "Rounds per timer tick (default 8)");

/* What the helpers returned; "other" is any errno the contract rules out. */
struct outcome {
	atomic64_t ok, refused, again, nomem, other;
};

struct tally {
	struct outcome unicast, broadcast, net;
};

static struct tally process_tally, softirq_tally;
static struct task_struct *thread;
static struct timer_list timer;
static const char payload[] = "nlecho_stress";

static void count(struct outcome *o, int err)
{
	switch (err) {
	case 0:
		atomic64_inc(&o->ok);
		break;
	case -ECONNREFUSED:
		atomic64_inc(&o->refused);
		break;
	case -EAGAIN:
		atomic64_inc(&o->again);
		break;
	case -ENOMEM:
		atomic64_inc(&o->nomem);
		break;
	default:
		atomic64_inc(&o->other);
		break;
	}
}

static void round_of_sends(struct tally *t)
{
	struct net *net;

	count(&t->unicast, nlecho_unicast(payload, sizeof(payload), port));
	count(&t->broadcast, nlecho_broadcast(payload, sizeof(payload), group));

	/* The helpers need a live namespace: one whose count is not yet 0. */
	rcu_read_lock();
	for_each_net_rcu(net) {
		if (net_eq(net, &init_net) || !maybe_get_net(net))
			continue;
		count(&t->net, nlecho_broadcast_net(net, payload, sizeof(payload), group));
		put_net(net);
	}
	rcu_read_unlock();
}

static int stress_thread(void *unused)
{
	while (!kthread_should_stop()) {
		round_of_sends(&process_tally);
		cond_resched();
	}
	return 0;
}

static void stress_timer(struct timer_list *t)
{
	unsigned int i;

	for (i = 0; i < burst; i++)
		round_of_sends(&softirq_tally);
	/* A no-op once timer_shutdown_sync() has begun. */
	mod_timer(&timer, jiffies + 1);
}

static void report(const char *context, struct tally *t)
{
	struct { const char *name; struct outcome *o; } rows[] = {
		{ "unicast", &t->unicast },
		{ "broadcast", &t->broadcast },
		{ "net", &t->net },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rows); i++)
		pr_info("%s %s ok=%lld refused=%lld again=%lld nomem=%lld other=%lld\n",
			context, rows[i].name,
			atomic64_read(&rows[i].o->ok), atomic64_read(&rows[i].o->refused),
			atomic64_read(&rows[i].o->again), atomic64_read(&rows[i].o->nomem),
			atomic64_read(&rows[i].o->other));
}

static int __init nlecho_stress_init(void)
{
	thread = kthread_create(stress_thread, NULL, "nlecho_stress");
	if (IS_ERR(thread))
		return PTR_ERR(thread);
	/* Lowest priority: it still never stops, but leaves the clients room. */
	sched_set_normal(thread, MAX_NICE);
	wake_up_process(thread);
	timer_setup(&timer, stress_timer, 0);
	mod_timer(&timer, jiffies + 1);
	pr_info("started: port %u, group %u, %u rounds per tick\n", port, group, burst);
	return 0;
}

static void __exit nlecho_stress_exit(void)
{
	/* Unlike timer_delete_sync(), also keeps the timer from re-arming. */
	timer_shutdown_sync(&timer);
	kthread_stop(thread);
	report("process", &process_tally);
	report("softirq", &softirq_tally);
}

module_init(nlecho_stress_init);
module_exit(nlecho_stress_exit);
MODULE_DESCRIPTION("Test only: calls nlecho's helpers from a kthread and a timer until unloaded");
MODULE_AUTHOR("nlecho developers");
MODULE_LICENSE("GPL");
