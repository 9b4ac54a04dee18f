//! `nlecho bench`: the Rust module against its C twin and the floor, side
//! by side in one run, as a JSON report and a markdown table.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use clap::Args;
use nlecho::bench::{self, EchoResult, FanoutResult, Target};
use nlecho::wire;

/// Options of `nlecho bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
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
const FANOUT_GROUP: u32 = 7;
const FANOUT_PAYLOAD: usize = 64;

/// Round trips per round for a row: fewer for large payloads, so each row
/// takes a similar time under TCG.
fn round_trips(payload: usize, batch: usize, scale: f64) -> usize {
    let base = match payload {
        0..=1024 => 2000,
        1025..=8192 => 1000,
        _ => 100,
    };
    ((base as f64 * scale) as usize / batch).max(3)
}

struct Named {
    name: &'static str,
    target: Target,
}

fn targets(args: &BenchArgs) -> Vec<Named> {
    let mut t = vec![Named {
        name: "rust",
        target: Target::Module {
            protocol: args.rust,
        },
    }];
    if !args.no_c {
        t.push(Named {
            name: "c",
            target: Target::Module { protocol: args.c },
        });
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

/// Runs every row and returns the report as (JSON, markdown).
pub fn run(args: &BenchArgs) -> Result<(String, String)> {
    let targets = targets(args);
    let mut echo_rows = Vec::new();
    for payload in PAYLOADS {
        for batch in BATCHES {
            let n = round_trips(payload, batch, args.scale);
            let mut runs: Vec<Vec<EchoResult>> = targets.iter().map(|_| Vec::new()).collect();
            let echo = |t: &Named, n| {
                bench::echo(t.target, payload, batch, n)
                    .with_context(|| format!("echo {payload} B x {batch} on {}", t.name))
            };
            for t in &targets {
                echo(t, n.div_ceil(10))?;
            }
            for round in 0..args.rounds {
                for i in turns(targets.len(), round) {
                    runs[i].push(echo(&targets[i], n)?);
                }
            }
            let merged: Vec<_> = runs.into_iter().map(EchoResult::merge).collect();
            eprintln!("bench: echo {payload} B x {batch} done");
            echo_rows.push((payload, batch, merged));
        }
    }
    let mut fanout_rows = Vec::new();
    for listeners in LISTENERS {
        let n = ((1000.0 * args.scale) as usize).max(10);
        let mut results: Vec<Vec<FanoutResult>> = targets.iter().map(|_| Vec::new()).collect();
        let fanout = |t: &Named, n| {
            bench::fanout(t.target, FANOUT_GROUP, listeners, FANOUT_PAYLOAD, n)
                .with_context(|| format!("fan-out to {listeners} on {}", t.name))
        };
        for t in &targets {
            fanout(t, n.div_ceil(10))?;
        }
        for round in 0..args.rounds {
            for i in turns(targets.len(), round) {
                results[i].push(fanout(&targets[i], n)?);
            }
        }
        eprintln!("bench: fan-out to {listeners} listeners done");
        fanout_rows.push((listeners, results));
    }
    Ok((
        json(&targets, &echo_rows, &fanout_rows, args),
        markdown(&targets, &echo_rows, &fanout_rows),
    ))
}

type EchoRow = (usize, usize, Vec<EchoResult>);
type FanoutRow = (usize, Vec<Vec<FanoutResult>>);

fn mean_rate(runs: &[FanoutResult]) -> f64 {
    runs.iter()
        .map(FanoutResult::per_listener_per_s)
        .sum::<f64>()
        / runs.len().max(1) as f64
}

fn drops(runs: &[FanoutResult]) -> u64 {
    runs.iter().map(FanoutResult::drops).sum()
}

fn json(targets: &[Named], echo: &[EchoRow], fanout: &[FanoutRow], args: &BenchArgs) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"rounds\":{},\"payloads\":{:?},\"echo\":[",
        args.rounds, PAYLOADS
    );
    for (i, (payload, batch, results)) in echo.iter().enumerate() {
        for (j, (t, r)) in targets.iter().zip(results).enumerate() {
            let sep = if i + j == 0 { "" } else { "," };
            let _ = write!(
                out,
                "{sep}{{\"target\":\"{}\",\"payload\":{payload},\"batch\":{batch},\"messages\":{},\
                 \"p50_us\":{:.1},\"p99_us\":{:.1},\"max_us\":{:.1},\"msgs_per_s\":{:.0},\"mb_per_s\":{:.2}}}",
                t.name,
                r.messages,
                r.quantile(0.5),
                r.quantile(0.99),
                r.quantile(1.0),
                r.msgs_per_s(),
                r.mb_per_s()
            );
        }
    }
    out.push_str("],\"fanout\":[");
    for (i, (listeners, results)) in fanout.iter().enumerate() {
        for (j, (t, runs)) in targets.iter().zip(results).enumerate() {
            let sep = if i + j == 0 { "" } else { "," };
            let sent: u64 = runs.iter().map(|r| r.sent).sum();
            let _ = write!(
                out,
                "{sep}{{\"target\":\"{}\",\"listeners\":{listeners},\"payload\":{FANOUT_PAYLOAD},\
                 \"sent\":{sent},\"per_listener_msgs_per_s\":{:.0},\"drops\":{}}}",
                t.name,
                mean_rate(runs),
                drops(runs)
            );
        }
    }
    out.push_str("]}");
    out
}

/// `a / b` as a ratio cell, or a dash when `b` is 0.
fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "-".into()
    } else {
        format!("{:.2}", a / b)
    }
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} B"),
    }
}

fn markdown(targets: &[Named], echo: &[EchoRow], fanout: &[FanoutRow]) -> String {
    let has_c = targets.iter().any(|t| t.name == "c");
    let mut out = String::new();
    out.push_str(
        "### Echo round trips\n\n\
         Latency of one datagram (all its replies back), throughput of echoed messages.\n\
         Ratios: Rust/C and Rust/floor; below 1.00 means Rust took less time or moved less.\n\n\
         | payload | batch | target | p50 µs | p99 µs | max µs | msgs/s | MB/s |\n\
         | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for (payload, batch, results) in echo {
        for (t, r) in targets.iter().zip(results) {
            let _ = writeln!(
                out,
                "| {} | {batch} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
                size(*payload),
                t.name,
                r.quantile(0.5),
                r.quantile(0.99),
                r.quantile(1.0),
                r.msgs_per_s(),
                r.mb_per_s()
            );
        }
    }
    out.push_str("\n### Rust against C and the floor, row by row\n\n");
    out.push_str(
        "| payload | batch | p50 Rust/C | msgs/s Rust/C | p50 Rust/floor | msgs/s Rust/floor |\n",
    );
    out.push_str("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (payload, batch, results) in echo {
        let rust = &results[0];
        let floor = &results[results.len() - 1];
        let (p50_c, tput_c) = if has_c {
            (
                ratio(rust.quantile(0.5), results[1].quantile(0.5)),
                ratio(rust.msgs_per_s(), results[1].msgs_per_s()),
            )
        } else {
            ("-".into(), "-".into())
        };
        let _ = writeln!(
            out,
            "| {} | {batch} | {p50_c} | {tput_c} | {} | {} |",
            size(*payload),
            ratio(rust.quantile(0.5), floor.quantile(0.5)),
            ratio(rust.msgs_per_s(), floor.msgs_per_s())
        );
    }
    let _ = write!(
        out,
        "\n### Multicast fan-out\n\n\
         {FANOUT_PAYLOAD}-byte messages to one group; the modules are asked with BROADCAST requests,\n\
         the floor sends to the group itself. Messages/s delivered per listener; drops are the\n\
         messages listeners missed, over all rounds.\n\n\
         | listeners | {} | Rust/C | Rust/floor | drops |\n\
         | ---: |{} ---: | ---: | ---: |\n",
        targets.iter().map(|t| t.name).collect::<Vec<_>>().join(" | "),
        " ---: |".repeat(targets.len())
    );
    for (listeners, results) in fanout {
        let rates: Vec<f64> = results.iter().map(|r| mean_rate(r)).collect();
        let cells: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        let vs_c = if has_c {
            ratio(rates[0], rates[1])
        } else {
            "-".into()
        };
        let drops: Vec<String> = results.iter().map(|r| drops(r).to_string()).collect();
        let _ = writeln!(
            out,
            "| {listeners} | {} | {vs_c} | {} | {} |",
            cells.join(" | "),
            ratio(rates[0], rates[rates.len() - 1]),
            drops.join(" / ")
        );
    }
    out
}

/// Runs the benchmark, prints the markdown tables (progress goes to
/// stderr) and writes the JSON report to `--json-out`.
pub fn main(args: &BenchArgs) -> Result<()> {
    let (json, markdown) = run(args)?;
    if let Some(path) = &args.json_out {
        std::fs::write(path, &json).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{markdown}");
    Ok(())
}
