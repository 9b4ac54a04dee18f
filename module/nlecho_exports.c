// SPDX-License-Identifier: GPL-2.0
/*
 * Why this file is C: exporting a symbol to other modules needs
 * EXPORT_SYMBOL_GPL(), a C macro that places the symbol in the __ksymtab
 * sections modpost reads, and the kernel crate of this release has no Rust
 * equivalent for modules. The functions themselves are the Rust
 * #[no_mangle] extern "C" ones in ffi.rs, linked into the same nlecho.ko.
 */
#include <linux/export.h>
#include "nlecho.h"

EXPORT_SYMBOL_GPL(nlecho_unicast);
EXPORT_SYMBOL_GPL(nlecho_broadcast);
EXPORT_SYMBOL_GPL(nlecho_unicast_net);
EXPORT_SYMBOL_GPL(nlecho_broadcast_net);
