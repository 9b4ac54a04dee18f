//! `nlecho stats`: the module's counters, and resetting them.

use anyhow::Result;
use clap::Args;

use crate::ctx::Ctx;
use crate::output::Event;

/// Examples shown by `nlecho stats --help`.
pub const EXAMPLES: &str = "\
Examples:
  nlecho stats
  nlecho stats --json
  nlecho stats --reset          # needs CAP_NET_ADMIN";

/// Options of `nlecho stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Set every counter to 0 instead (NLECHO_CMD_RESET_STATS, acknowledged).
    #[arg(long)]
    reset: bool,
}

pub fn run(ctx: &Ctx, args: &StatsArgs) -> Result<()> {
    let mut client = ctx.client(None)?;
    if args.reset {
        client.reset_stats()?;
        return ctx.out.emit(&Event::Reset);
    }
    ctx.out.emit(&Event::Stats(&client.stats()?))
}
