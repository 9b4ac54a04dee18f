// SPDX-License-Identifier: GPL-2.0

//! nlecho: a netlink echo service on a custom protocol, written in Rust.
//!
//! The module registers a netlink protocol (30 unless told otherwise) and
//! sends every message a user process sends on it back to that process's
//! socket. Classic tutorial clients (type 0, flags 0) get `NLMSG_DONE`
//! replies, as from the classic C modules.

use kernel::prelude::*;
use kernel::sync::atomic::Relaxed;

mod echo;
mod netlink;
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
            default: 30,
            description: "Netlink protocol number to serve (below 32 and unused; default 30)",
        },
    },
}

struct NlEcho {
    protocol: u32,
    _socket: netlink::KernelSocket,
}

impl kernel::Module for NlEcho {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let protocol = *module_parameters::protocol.value();
        if protocol >= wire::MAX_LINKS {
            pr_err!(
                "cannot register netlink protocol {}: out of range (0-{})\n",
                protocol,
                wire::MAX_LINKS - 1
            );
            return Err(EINVAL);
        }
        let socket = netlink::KernelSocket::new::<echo::Echo>(protocol, module).inspect_err(|_| {
            pr_err!(
                "cannot register netlink protocol {}: already in use (see /proc/net/netlink)\n",
                protocol
            );
        })?;
        pr_info!("serving netlink protocol {}\n", protocol);
        Ok(NlEcho {
            protocol,
            _socket: socket,
        })
    }
}

impl Drop for NlEcho {
    fn drop(&mut self) {
        let s = &echo::STATS;
        pr_info!(
            "released netlink protocol {}: received={} echoed={} dropped={} malformed={} errors={} bytes={}\n",
            self.protocol,
            s.received.load(Relaxed),
            s.echoed.load(Relaxed),
            s.dropped.load(Relaxed),
            s.malformed.load(Relaxed),
            s.errors.load(Relaxed),
            s.bytes.load(Relaxed)
        );
    }
}
