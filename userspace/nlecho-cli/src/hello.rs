//! `nlecho hello`: the smallest round trip.

use anyhow::Result;
use nlecho::wire;

use crate::output::Origin;
use crate::Ctx;

/// Examples shown by `nlecho hello --help`.
pub const EXAMPLES: &str = "Example:\n  nlecho hello";

pub fn run(ctx: &Ctx) -> Result<()> {
    let mut client = ctx.client(None)?;
    let msg = b"Hello";
    if !ctx.out.is_json() {
        println!(
            "sent     \"{}\" ({} bytes) from port {} to the kernel on netlink protocol {}",
            String::from_utf8_lossy(msg),
            msg.len(),
            client.port(),
            ctx.protocol
        );
    }
    let reply = client.request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, msg)?;
    if ctx.out.is_json() {
        let from = Origin {
            port: 0,
            group: None,
        };
        ctx.out
            .message("reply", from, &reply.header, &reply.payload)?;
    } else {
        println!(
            "received \"{}\" ({} bytes, type {:#x}, seq {}) from the kernel",
            String::from_utf8_lossy(&reply.payload),
            reply.payload.len(),
            reply.header.ty,
            reply.header.seq
        );
    }
    anyhow::ensure!(
        reply.payload == msg,
        "the reply does not match what was sent"
    );
    Ok(())
}
