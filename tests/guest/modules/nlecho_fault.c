// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho_fault: plants one memory error on load, chosen by "fault", so
 * that tests/guest/faults.sh can check that the kernel's detectors report
 * it: a detector that silently stopped working fails the suite. Test only;
 * nothing of it is in nlecho.ko.
 *
 *   skb_overrun  writes one byte past the end of an skb's buffer (its
 *                tailroom, then the shared info) and frees the skb:
 *                KASAN reports the write, slab_debug's red zone the free
 *   double_free  frees a kmalloc() object twice: KASAN and slab_debug
 *   kfence_read  reads the byte just outside a KFENCE-guarded object, on
 *                its guard page (allocations are retried until KFENCE
 *                samples one; needs kfence.sample_interval): KFENCE
 *
 * The load then succeeds, so that the report is all the test looks for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kfence.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *fault = "";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "skb_overrun, double_free or kfence_read");

static int skb_overrun(void)
{
	struct sk_buff *skb = alloc_skb(100, GFP_KERNEL);
	/*
	 * The buffer is one slab object: the data up to skb->end, then the
	 * shared info, which kmalloc_reserve() sized to end where it does.
	 */
	u8 *past_end;

	if (!skb)
		return -ENOMEM;
	past_end = skb->head + skb_end_offset(skb) +
		   SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	pr_info("%s: writing 1 byte past %u bytes of tailroom and the shared info\n",
		__func__, skb_tailroom(skb));
	/* As the kernel's KASAN tests do: the compiler must not see the bug. */
	OPTIMIZER_HIDE_VAR(past_end);
	WRITE_ONCE(*past_end, 0x5a);
	kfree_skb(skb);
	return 0;
}

static int double_free(void)
{
	void *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	pr_info("%s: freeing a 64-byte object twice\n", __func__);
	kfree(p);
	OPTIMIZER_HIDE_VAR(p);
	kfree(p);
	return 0;
}

static int kfence_read(void)
{
	unsigned long deadline = jiffies + 20 * HZ;
	unsigned int tries;
	u8 *p;
	u8 byte;

	/*
	 * KFENCE takes one allocation per sample interval, while its pool
	 * has room: poll for it.
	 */
	for (tries = 0, p = NULL; !p && time_before(jiffies, deadline); tries++) {
		p = kmalloc(32, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		if (!is_kfence_address(p)) {
			kfree(p);
			p = NULL;
			usleep_range(100, 200);
		}
	}
	if (!p) {
		pr_err("%s: KFENCE sampled none of %u allocations in 20 s; is kfence.sample_interval set?\n",
		       __func__, tries);
		return -ENODEV;
	}
	/*
	 * The object sits at one end of its page, a guard page beyond that
	 * end: read the byte there. (At the other end lie canary bytes, which
	 * KFENCE checks on free and only for writes.)
	 */
	pr_info("%s: reading the byte beyond a KFENCE object (allocation %u)\n", __func__, tries);
	OPTIMIZER_HIDE_VAR(p);
	byte = READ_ONCE(p[offset_in_page(p) == 0 ? -1 : 32]);
	pr_info("%s: read 0x%02x\n", __func__, byte);
	kfree(p);
	return 0;
}

static int __init nlecho_fault_init(void)
{
	if (!strcmp(fault, "skb_overrun"))
		return skb_overrun();
	if (!strcmp(fault, "double_free"))
		return double_free();
	if (!strcmp(fault, "kfence_read"))
		return kfence_read();
	pr_err("unknown fault '%s': skb_overrun, double_free or kfence_read\n", fault);
	return -EINVAL;
}

static void __exit nlecho_fault_exit(void)
{
}

module_init(nlecho_fault_init);
module_exit(nlecho_fault_exit);
MODULE_DESCRIPTION("Test only: plants one memory error for the kernel's detectors to report");
MODULE_AUTHOR("nlecho developers");
MODULE_LICENSE("GPL");
