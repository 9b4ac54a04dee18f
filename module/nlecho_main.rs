// SPDX-License-Identifier: GPL-2.0

//! nlecho: a netlink echo service on a custom protocol, written in Rust.
//!
//! The module registers a netlink protocol (30 unless told otherwise) in
//! every network namespace, answers what user processes send on it (see
//! `docs/PROTOCOL.md`), and exports `nlecho_unicast()`, `nlecho_broadcast()`
//! and their `_net` variants (`module/nlecho.h`) so other modules can
//! message user space through it.

use kernel::bindings;
use kernel::prelude::*;

mod compat;
mod ffi;
mod netlink;
mod service;
mod stats;
// Shared with userspace, where its items are public API.
#[allow(unreachable_pub)]
mod wire;

module! {
    type: NlEcho,
    name: "nlecho",
    authors: ["nlecho developers"],
    description: "Netlink echo service on a custom protocol, in Rust",
    license: "GPL",
    alias: ["net-pf-16-proto-30"],
    params: {
        protocol: u32 {
            default: crate::wire::NETLINK_NLECHO,
            description: "Netlink protocol number to serve, 23-31 and unused (default 30)",
        },
        groups: u32 {
            default: crate::wire::DEFAULT_GROUPS,
            description: "Number of multicast groups, 1-1024 (default 32)",
        },
        nonroot_recv: u8 {
            default: 0,
            description: "1: unprivileged sockets may join multicast groups (default 0)",
        },
        nonroot_send: u8 {
            default: 0,
            description: "1: unprivileged sockets may send to other ports and groups (default 0)",
        },
        classic_notify: u8 {
            default: 0,
            description: "1: notifications as NLMSG_DONE with raw data, as in the C tutorials (default 0)",
        },
    },
}

/// Most multicast groups the `groups` parameter may ask for.
const MAX_GROUPS: u32 = 1024;

/// The first protocol number not taken by the kernel's own families:
/// [`include/uapi/linux/netlink.h`] gives them 0 up to `NETLINK_SMC` (22).
/// Taking one of those whose module is not loaded yet would make that
/// module fail later, and `NETLINK_USERSOCK` (2) has no kernel socket to
/// own.
///
/// [`include/uapi/linux/netlink.h`]: srctree/include/uapi/linux/netlink.h
const FIRST_FREE_PROTOCOL: u32 = bindings::NETLINK_SMC + 1;

struct NlEcho {
    protocol: u32,
    // Fields drop in order: the debugfs file reads the initial namespace's
    // service, so it goes before the services do. Both are `None` when the
    // module stayed loaded without serving (see `fail_or_keep_loaded`).
    _debugfs: Option<ffi::debugfs::StatsDebugfs>,
    namespaces: Option<ffi::PerNamespace>,
}

/// After the protocol was reachable, a failed init must not free the
/// module while sockets opened meanwhile still hold references to it: the
/// loader would free it regardless. Fails with `error` if nothing holds one;
/// otherwise stays loaded, serving nothing, until they are closed.
fn fail_or_keep_loaded(protocol: u32, module: &'static ThisModule, error: Error) -> Result<NlEcho> {
    if !netlink::module_in_use(module) {
        return Err(error);
    }
    pr_err!("sockets opened meanwhile use the module: it stays loaded without serving; rmmod it once they are closed\n");
    Ok(NlEcho {
        protocol,
        _debugfs: None,
        namespaces: None,
    })
}

/// Reads a 0/1 module parameter, refusing anything else.
fn flag(name: &str, value: u8) -> Result<bool> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        _ => {
            pr_err!("{}={} is invalid: use 0 or 1\n", name, value);
            Err(EINVAL)
        }
    }
}

impl kernel::Module for NlEcho {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let protocol = compat::param(&module_parameters::protocol);
        let groups = compat::param(&module_parameters::groups);
        let config = netlink::Config {
            groups,
            nonroot_recv: flag(
                "nonroot_recv",
                compat::param(&module_parameters::nonroot_recv),
            )?,
            nonroot_send: flag(
                "nonroot_send",
                compat::param(&module_parameters::nonroot_send),
            )?,
        };
        if protocol >= wire::MAX_LINKS {
            pr_err!(
                "cannot register netlink protocol {}: out of range (0-{})\n",
                protocol,
                wire::MAX_LINKS - 1
            );
            return Err(EINVAL);
        }
        if protocol < FIRST_FREE_PROTOCOL {
            pr_err!(
                "cannot register netlink protocol {}: reserved for a kernel family in uapi/linux/netlink.h (use {}-{})\n",
                protocol,
                FIRST_FREE_PROTOCOL,
                wire::MAX_LINKS - 1
            );
            return Err(EINVAL);
        }
        if groups == 0 || groups > MAX_GROUPS {
            pr_err!("groups={} is out of range (1-{})\n", groups, MAX_GROUPS);
            return Err(EINVAL);
        }
        // A fresh load has fresh statics, so this is the first and only set.
        service::SETTINGS.populate(service::Settings {
            protocol,
            config,
            classic_notify: flag(
                "classic_notify",
                compat::param(&module_parameters::classic_notify),
            )?,
            module,
        });

        // Serves every namespace from here on, the initial one first.
        let namespaces = match ffi::PerNamespace::register() {
            Ok(namespaces) => namespaces,
            Err(e) => return fail_or_keep_loaded(protocol, module, e),
        };
        // The netlink core makes the first module to register a protocol
        // its owner, in every namespace, and only the owner is pinned by
        // user sockets: the input callback's safety rests on that owner
        // being us. Registration fails in any namespace where another
        // kernel socket has the protocol; this checks the rest (a race).
        if !matches!(
            netlink::owns_protocol(netlink::Net::initial(), protocol),
            Ok(true)
        ) {
            pr_err!(
                "cannot register netlink protocol {}: another module registered it first\n",
                protocol
            );
            drop(namespaces);
            return fail_or_keep_loaded(protocol, module, EBUSY);
        }
        pr_info!(
            "serving netlink protocol {} with {} multicast groups in every network namespace (nonroot_recv={} nonroot_send={})\n",
            protocol,
            groups,
            u8::from(config.nonroot_recv),
            u8::from(config.nonroot_send)
        );
        Ok(NlEcho {
            protocol,
            _debugfs: Some(ffi::debugfs::StatsDebugfs::new()),
            namespaces: Some(namespaces),
        })
    }
}

impl Drop for NlEcho {
    fn drop(&mut self) {
        // A module that stayed loaded without serving unregistered its
        // hooks: the namespaces' state is freed and its pernet id given
        // back, so there is nothing to look up (and reading it would read
        // freed memory).
        if self.namespaces.is_none() {
            return;
        }
        if let Some(stats) = ffi::with_service(netlink::Net::initial(), |s| s.counters.snapshot()) {
            pr_info!(
                "released netlink protocol {}:{}\n",
                self.protocol,
                stats::Text::Line(stats)
            );
        }
    }
}
