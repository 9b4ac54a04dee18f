// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: the Rust module! macro of this kernel release gives
 * its parameters no sysfs file (permission 0), and copy_echo must be
 * switchable on a loaded module, so that `make bench` measures both echo
 * paths in one boot. ffi.rs reads it.
 */
#include <linux/compiler.h>
#include <linux/moduleparam.h>

static bool copy_echo;
module_param(copy_echo, bool, 0644);
MODULE_PARM_DESC(copy_echo,
		 "1: echo by copying the payload into a new skb, as the C tutorials do; 0: reply with a clone of the request where that is sound (default 0)");

bool nlecho_copy_echo(void);

bool nlecho_copy_echo(void)
{
	/* Written through sysfs at any time: one untorn read per request. */
	return READ_ONCE(copy_echo);
}
