//! `nlecho hello`: the smallest round trip.

use anyhow::Result;
use nlecho::wire;

use crate::ctx::Ctx;
use crate::output::Event;

/// Examples shown by `nlecho hello --help`.
pub const EXAMPLES: &str = "Example:\n  nlecho hello";

pub fn run(ctx: &Ctx) -> Result<()> {
    let mut client = ctx.client(None)?;
    let msg = b"Hello";
    ctx.out.emit(&Event::HelloSent {
        port: client.port(),
        protocol: ctx.protocol,
        payload: msg,
    })?;
    let reply = client.request(wire::NLECHO_CMD_ECHO, wire::NLM_F_REQUEST, msg)?;
    ctx.out.emit(&Event::HelloEcho {
        header: &reply.header,
        payload: &reply.payload,
    })?;
    anyhow::ensure!(
        reply.payload == msg,
        "the reply does not match what was sent"
    );
    Ok(())
}
