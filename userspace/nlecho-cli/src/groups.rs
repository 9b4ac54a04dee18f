//! `nlecho groups`: the module's multicast groups (GET_GROUP), all of them
//! with a dump or one with a do.

use anyhow::Result;
use clap::Args;

use crate::capture::PcapArgs;
use crate::ctx::Ctx;
use crate::output::Event;

/// Examples shown by `nlecho groups --help`.
pub const EXAMPLES: &str = "\
Examples:
  nlecho groups                  # every group, from a dump
  nlecho groups --group 5        # one group
  nlecho groups --json
Each line: the group, whether a socket is in it now, the notifications
sent to it, and how many of those a listener with NETLINK_BROADCAST_ERROR
missed.";

/// Options of `nlecho groups`.
#[derive(Args, Debug)]
pub struct GroupsArgs {
    /// Ask for this group only (a do with NLECHO_A_GROUP) instead of
    /// dumping them all.
    #[arg(long, value_name = "N")]
    group: Option<u32>,
    #[command(flatten)]
    pcap: PcapArgs,
}

pub fn run(ctx: &Ctx, args: &GroupsArgs) -> Result<()> {
    let mut client = ctx.client(args.pcap.path())?;
    let groups = match args.group {
        Some(g) => vec![client.group(g)?],
        None => client.groups()?,
    };
    for info in &groups {
        ctx.out.emit(&Event::Group(info))?;
    }
    Ok(())
}
