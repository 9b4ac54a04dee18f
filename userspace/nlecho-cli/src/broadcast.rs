//! `nlecho broadcast`: ask the kernel to multicast to a group.

use anyhow::Result;
use clap::Args;

use crate::ctx::Ctx;
use crate::output::Event;
use crate::payload::PayloadArgs;

/// Examples shown by `nlecho broadcast --help`.
pub const EXAMPLES: &str = "\
Examples:
  nlecho broadcast --group 5 'hello listeners'
  nlecho listen --group 5 --count 1 & nlecho broadcast --group 5 hi
Needs CAP_NET_ADMIN; otherwise the kernel answers EPERM (exit 5).";

/// Options of `nlecho broadcast`.
#[derive(Args, Debug)]
pub struct BroadcastArgs {
    /// Multicast group to send to, 1 to the module's `groups` (default 32).
    #[arg(long, value_name = "N")]
    group: u32,
    /// Send it N times.
    #[arg(long, value_name = "N", default_value_t = 1)]
    count: u64,
    #[command(flatten)]
    payload: PayloadArgs,
}

pub fn run(ctx: &Ctx, args: &BroadcastArgs) -> Result<()> {
    let data = args.payload.read()?;
    let mut client = ctx.client(None)?;
    for _ in 0..args.count {
        let ex = client.broadcast(args.group, &data)?;
        ctx.out.emit(&Event::Broadcast {
            group: args.group,
            len: data.len(),
            seq: ex.seq,
            error: ex.ack.as_ref().map_or(0, |a| a.error),
        })?;
    }
    Ok(())
}
