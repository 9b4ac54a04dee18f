//! `nlecho-bench`: the Rust module against its C twin and the floor, side
//! by side in one run, as a JSON report and a markdown table. It runs in
//! the guest that `make bench` boots (benches/guest/bench.sh), with both
//! modules loaded; it is no part of the shipped library or CLI.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use nlecho::wire;

mod report;
mod traffic;

use report::{EchoRow, FanoutRow};
use traffic::{EchoResult, Target};

/// Benchmark the Rust module against its C twin and the floor.
///
/// Prints markdown tables on stdout and progress on stderr.
#[derive(Parser, Debug)]
#[command(name = "nlecho-bench", version, about)]
struct BenchArgs {
    /// Protocol of the Rust module (nlecho.ko).
    #[arg(long, default_value_t = wire::NETLINK_NLECHO)]
    rust: u32,
    /// Protocol of the C module (benches/c_echo), or none with --no-c.
    #[arg(long, default_value_t = 29)]
    c: u32,
    /// Skip the C module.
    #[arg(long)]
    no_c: bool,
    /// Rounds per row. Each row starts with an unmeasured warm-up; the
    /// targets take turns in rotating order, so drift on a noisy machine
    /// hits all of them alike.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Scale every row's message count (0.1 for a quick look).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Also write the figures as one JSON object to this file.
    #[arg(long, value_name = "FILE")]
    json_out: Option<std::path::PathBuf>,
}

/// Payload sizes of the echo rows.
const PAYLOADS: [usize; 4] = [16, 1024, 8192, wire::MAX_PAYLOAD];
/// Messages per datagram.
const BATCHES: [usize; 2] = [1, 32];
/// Listener counts of the fan-out rows.
const LISTENERS: [usize; 3] = [1, 4, 16];
/// The multicast group of the fan-out rows.
const FANOUT_GROUP: u32 = 7;
/// Payload bytes of each fan-out message.
const FANOUT_PAYLOAD: usize = 64;

/// Round trips (datagrams) per round for a row. A module round should last
/// about 0.2 s under TCG: shorter rounds are at the mercy of the scheduler's
/// ticks. Batches carry twice the messages, as each costs less.
fn round_trips(payload: usize, batch: usize, scale: f64) -> usize {
    let messages = match payload {
        0..=1024 => 10_000,
        1025..=8192 => 2_500,
        _ => 250,
    } * if batch > 1 { 2 } else { 1 };
    ((messages as f64 * scale) as usize / batch).max(3)
}

/// Messages per round of a fan-out row: fewer for more listeners, so each
/// round lasts long enough (0.1 s or more under TCG) to average out
/// scheduling, and no row takes much longer than the others.
fn fanout_messages(listeners: usize) -> usize {
    12_000 / listeners.max(1)
}

/// A target and the name the report gives it.
struct Named {
    name: &'static str,
    target: Target,
}

/// Where each role sits in the target list: Rust first, the floor last.
const RUST: usize = 0;
const C: usize = 1;
/// The C module once more, as a separate target: C against itself (an A/A
/// comparison) shows how far apart two measurements of the same code land
/// on this machine, so a Rust/C ratio can be read against that noise.
const C_AGAIN: usize = 2;

fn targets(args: &BenchArgs) -> Vec<Named> {
    let mut t = vec![Named {
        name: "rust",
        target: Target::Module {
            protocol: args.rust,
        },
    }];
    if !args.no_c {
        for name in ["c", "c_again"] {
            t.push(Named {
                name,
                target: Target::Module { protocol: args.c },
            });
        }
    }
    t.push(Named {
        name: "floor",
        target: Target::Floor {
            protocol: args.rust,
        },
    });
    t
}

/// The order of the targets in `round`: rotated every round, so none
/// always runs first (or right after another's traffic).
fn turns(targets: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..targets).map(move |i| (i + round) % targets)
}

/// Measures one row: `one(target, n)` for every target, first once with a
/// tenth of `n` as an unmeasured warm-up, then `rounds` times in turns.
/// Returns each target's rounds, in the order of `targets`.
fn measure<R>(
    targets: &[Named],
    rounds: usize,
    n: usize,
    one: impl Fn(&Named, usize) -> Result<R>,
) -> Result<Vec<Vec<R>>> {
    for t in targets {
        one(t, n.div_ceil(10))?;
    }
    let mut runs: Vec<Vec<R>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for i in turns(targets.len(), round) {
            runs[i].push(one(&targets[i], n)?);
        }
    }
    Ok(runs)
}

/// Runs every row and returns the report as (JSON, markdown).
fn run(args: &BenchArgs) -> Result<(String, String)> {
    let targets = targets(args);
    let mut echo_rows = Vec::new();
    for payload in PAYLOADS {
        for batch in BATCHES {
            let n = round_trips(payload, batch, args.scale);
            let runs = measure(&targets, args.rounds, n, |t, n| {
                traffic::echo(t.target, payload, batch, n)
                    .with_context(|| format!("echo {payload} B x {batch} on {}", t.name))
            })?;
            eprintln!("bench: echo {payload} B x {batch} done");
            echo_rows.push(EchoRow {
                payload,
                batch,
                merged: runs.iter().map(|r| EchoResult::merge(r)).collect(),
                runs,
            });
        }
    }
    let mut fanout_rows: Vec<FanoutRow> = Vec::new();
    for listeners in LISTENERS {
        let n = ((fanout_messages(listeners) as f64 * args.scale) as usize).max(10);
        let results = measure(&targets, args.rounds, n, |t, n| {
            traffic::fanout(t.target, FANOUT_GROUP, listeners, FANOUT_PAYLOAD, n)
                .with_context(|| format!("fan-out to {listeners} on {}", t.name))
        })?;
        eprintln!("bench: fan-out to {listeners} listeners done");
        fanout_rows.push((listeners, results));
    }
    Ok((
        report::json(&targets, &echo_rows, &fanout_rows, args.rounds),
        report::markdown(&targets, &echo_rows, &fanout_rows),
    ))
}

/// Runs the benchmark, prints the markdown tables (progress goes to
/// stderr) and writes the JSON report to `--json-out`.
fn bench(args: &BenchArgs) -> Result<()> {
    let (json, markdown) = run(args)?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{markdown}");
    Ok(())
}

fn main() -> ExitCode {
    match bench(&BenchArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("nlecho-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_rotate_so_every_target_goes_first_once() {
        let firsts: Vec<usize> = (0..4).map(|r| turns(4, r).next().unwrap()).collect();
        assert_eq!(firsts, [0, 1, 2, 3]);
        let mut round: Vec<usize> = turns(4, 2).collect();
        round.sort();
        assert_eq!(round, [0, 1, 2, 3], "every target runs once per round");
    }
}
