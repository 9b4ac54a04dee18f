// SPDX-License-Identifier: GPL-2.0

//! nlecho_trigger: kernel-initiated netlink messages, the way another module
//! would send them, through nlecho's exported helpers.
//!
//! On load it sends its `message` parameter to user port `port` (unicast)
//! and to multicast group `group`; a parameter left at 0 skips that send.
//! A failed send fails the load, so `insmod` reports the error.

use kernel::prelude::*;

#[path = "../compat.rs"]
mod compat;
mod message;
#[path = "../nlecho_api.rs"]
mod nlecho_api;

module! {
    type: NlEchoTrigger,
    name: "nlecho_trigger",
    authors: ["nlecho developers"],
    description: "Sends a message to user space through nlecho on load",
    license: "GPL",
    params: {
        port: u32 {
            default: 0,
            description: "Port id of the user socket to send the message to (0: none)",
        },
        group: u32 {
            default: 0,
            description: "Multicast group to send the message to (0: none)",
        },
    },
}

struct NlEchoTrigger;

impl kernel::Module for NlEchoTrigger {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let text = message::message();
        let port = compat::param(&module_parameters::port);
        let group = compat::param(&module_parameters::group);
        if port != 0 {
            nlecho_api::unicast(text, port).inspect_err(|e| {
                pr_err!("unicast to port {} failed: error {}\n", port, e.to_errno());
            })?;
            pr_info!("sent {} bytes to port {}\n", text.len(), port);
        }
        if group != 0 {
            nlecho_api::broadcast(text, group).inspect_err(|e| {
                pr_err!(
                    "broadcast to group {} failed: error {}\n",
                    group,
                    e.to_errno()
                );
            })?;
            pr_info!("sent {} bytes to group {}\n", text.len(), group);
        }
        Ok(NlEchoTrigger)
    }
}
