//! `nlecho stats`: the module's counters, and resetting them.

use anyhow::Result;
use clap::Args;

use crate::json::Object;
use crate::Ctx;

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
        return ctx.out.emit(
            || String::from("counters reset"),
            || Object::new().str("kind", "reset"),
        );
    }
    let stats = client.stats()?;
    if ctx.out.is_json() {
        let obj = stats
            .fields()
            .iter()
            .fold(Object::new().str("kind", "stats"), |o, &(_, name, v)| {
                o.uint(name, v)
            });
        return ctx.out.emit(String::new, || obj);
    }
    for (_, name, value) in stats.fields() {
        ctx.out.emit(|| format!("{name} {value}"), Object::new)?;
    }
    Ok(())
}
