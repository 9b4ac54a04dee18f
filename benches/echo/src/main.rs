//! `nlecho-bench`: the Rust module against its C twin and the floor, side
//! by side in one run, as a JSON report and a markdown table. It runs in
//! the guest that `make bench` boots (benches/guest/bench.sh), with both
//! modules loaded; it is no part of the shipped library or CLI.

use std::process::ExitCode;

use std::path::Path;

use anyhow::{Context, Result};
use clap::Parser;
use nlecho::wire;

mod echo_path;
mod report;
mod traffic;

use echo_path::EchoPath;
use report::{EchoRow, FanoutRow, Report};
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
    /// Rounds of the 1 KiB section: many short rounds of the module
    /// targets, for the spread of their per-round ratios.
    #[arg(long, default_value_t = 60)]
    kib_rounds: usize,
    /// Scale every row's message count (0.1 for a quick look).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Also write the figures as one JSON object to this file.
    #[arg(long, value_name = "FILE")]
    json_out: Option<std::path::PathBuf>,
}

/// Payload sizes of the echo rows.
const PAYLOADS: [usize; 4] = [16, 1024, 8192, wire::MAX_PAYLOAD];
/// The payload of the 1 KiB section.
const KIB: usize = 1024;
/// Messages per round of the 1 KiB section: about 0.2 s of a module under
/// TCG, so 60 rounds of 4 targets take about a minute.
const KIB_MESSAGES: usize = 6_000;
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

/// What a target stands for in the report: the ratios pair targets by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// nlecho.ko on its default, zero-copy echo path.
    Rust,
    /// nlecho.ko with `copy_echo=1`: every reply copied, as C does.
    RustCopy,
    /// The C module.
    C,
    /// The C module once more, as a separate target: C against itself (an
    /// A/A comparison) shows how far apart two measurements of the same
    /// code land on this machine, so a Rust/C ratio can be read against
    /// that noise.
    CAgain,
    /// Two user sockets echoing to each other.
    Floor,
}

/// A target, the name the report gives it and its role.
pub struct Named {
    pub name: &'static str,
    pub role: Role,
    target: Target,
}

impl Named {
    /// nlecho.ko's echo path this target measures; `None` for the others.
    fn echo_path(&self) -> Option<EchoPath> {
        match self.role {
            Role::Rust => Some(EchoPath::ZeroCopy),
            Role::RustCopy => Some(EchoPath::Copy),
            Role::C | Role::CAgain | Role::Floor => None,
        }
    }

    /// Puts the machine in this target's state before one of its rounds:
    /// the two nlecho targets share one module and switch its echo path.
    fn prepare(&self) -> Result<()> {
        match self.echo_path() {
            Some(path) => path.select(Path::new(echo_path::COPY_ECHO)),
            None => Ok(()),
        }
    }

    /// `count` echo round trips, with nlecho's zero-copy replies counted
    /// around them where this target is nlecho.ko (rounds run one at a
    /// time, so the counter moves for this round alone).
    fn echo(&self, payload: usize, batch: usize, count: usize) -> Result<EchoResult> {
        let stats = Path::new(echo_path::STATS);
        let before = self.echo_path().and(echo_path::zero_copy_replies(stats));
        let mut result = traffic::echo(self.target, payload, batch, count)?;
        let after = before.and(echo_path::zero_copy_replies(stats));
        result.zero_copy = before.zip(after).map(|(b, a)| a.saturating_sub(b));
        Ok(result)
    }
}

fn targets(args: &BenchArgs) -> Vec<Named> {
    let module = Target::Module {
        protocol: args.rust,
    };
    let mut t = vec![
        Named {
            name: "rust",
            role: Role::Rust,
            target: module,
        },
        Named {
            name: "rust_copy",
            role: Role::RustCopy,
            target: module,
        },
    ];
    if !args.no_c {
        let c = Target::Module { protocol: args.c };
        t.push(Named {
            name: "c",
            role: Role::C,
            target: c,
        });
        t.push(Named {
            name: "c_again",
            role: Role::CAgain,
            target: c,
        });
    }
    t.push(Named {
        name: "floor",
        role: Role::Floor,
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
/// Each target is prepared before each of its runs. Returns each target's
/// rounds, in the order of `targets`.
fn measure<R>(
    targets: &[&Named],
    rounds: usize,
    n: usize,
    one: impl Fn(&Named, usize) -> Result<R>,
) -> Result<Vec<Vec<R>>> {
    for t in targets {
        t.prepare()?;
        one(t, n.div_ceil(10))?;
    }
    let mut runs: Vec<Vec<R>> = targets.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for i in turns(targets.len(), round) {
            targets[i].prepare()?;
            runs[i].push(one(targets[i], n)?);
        }
    }
    Ok(runs)
}

/// Runs every row and returns the report as (JSON, markdown).
fn run(args: &BenchArgs) -> Result<(String, String)> {
    let targets = targets(args);
    let all: Vec<&Named> = targets.iter().collect();
    let echo = |t: &Named, payload: usize, batch: usize, n: usize| {
        t.echo(payload, batch, n)
            .with_context(|| format!("echo {payload} B x {batch} on {}", t.name))
    };
    let mut echo_rows = Vec::new();
    for payload in PAYLOADS {
        for batch in BATCHES {
            let n = round_trips(payload, batch, args.scale);
            let runs = measure(&all, args.rounds, n, |t, n| echo(t, payload, batch, n))?;
            eprintln!("bench: echo {payload} B x {batch} done");
            echo_rows.push(EchoRow::new(payload, batch, runs));
        }
    }
    // The 1 KiB rounds: many short rounds of the module targets only (the
    // floor's would take seconds each), for a distribution of per-round
    // ratios.
    let modules: Vec<&Named> = targets.iter().filter(|t| t.role != Role::Floor).collect();
    let n = ((KIB_MESSAGES as f64 * args.scale) as usize).max(3);
    let runs = measure(&modules, args.kib_rounds, n, |t, n| echo(t, KIB, 1, n))?;
    eprintln!("bench: {} rounds of 1 KiB done", args.kib_rounds);
    let kib = EchoRow::new(KIB, 1, runs);
    // The fan-out rows do not echo, so the echo path cannot change them:
    // one nlecho target is enough.
    let fanout_targets: Vec<&Named> = targets
        .iter()
        .filter(|t| t.role != Role::RustCopy)
        .collect();
    let mut fanout_rows: Vec<FanoutRow> = Vec::new();
    for listeners in LISTENERS {
        let n = ((fanout_messages(listeners) as f64 * args.scale) as usize).max(10);
        let results = measure(&fanout_targets, args.rounds, n, |t, n| {
            traffic::fanout(t.target, FANOUT_GROUP, listeners, FANOUT_PAYLOAD, n)
                .with_context(|| format!("fan-out to {listeners} on {}", t.name))
        })?;
        eprintln!("bench: fan-out to {listeners} listeners done");
        fanout_rows.push((listeners, results));
    }
    let report = Report {
        targets: &all,
        echo: &echo_rows,
        kib: &kib,
        kib_targets: &modules,
        fanout: &fanout_rows,
        fanout_targets: &fanout_targets,
        rounds: args.rounds,
    };
    Ok((report.json(), report.markdown()))
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
