// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: the Rust module! macro of this kernel release only
 * supports integer parameters, and nlecho_trigger's "message" is a string.
 * This declares it as a classic charp parameter; message.rs reads it.
 */
#include <linux/moduleparam.h>

static char *message = "Hello from nlecho_trigger";
module_param(message, charp, 0444);
MODULE_PARM_DESC(message, "Text to send (default \"Hello from nlecho_trigger\")");

const char *nlecho_trigger_message(void);

const char *nlecho_trigger_message(void)
{
	return message;
}
