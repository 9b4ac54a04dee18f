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
pub fn run(args: &BenchArgs) -> Result<(String, String)> {
    let targets = targets(args);
    let mut echo_rows = Vec::new();
    for payload in PAYLOADS {
        for batch in BATCHES {
            let n = round_trips(payload, batch, args.scale);
            let runs = measure(&targets, args.rounds, n, |t, n| {
                bench::echo(t.target, payload, batch, n)
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
    let mut fanout_rows = Vec::new();
    for listeners in LISTENERS {
        let n = ((fanout_messages(listeners) as f64 * args.scale) as usize).max(10);
        let results = measure(&targets, args.rounds, n, |t, n| {
            bench::fanout(t.target, FANOUT_GROUP, listeners, FANOUT_PAYLOAD, n)
                .with_context(|| format!("fan-out to {listeners} on {}", t.name))
        })?;
        eprintln!("bench: fan-out to {listeners} listeners done");
        fanout_rows.push((listeners, results));
    }
    Ok((
        json(&targets, &echo_rows, &fanout_rows, args),
        markdown(&targets, &echo_rows, &fanout_rows),
    ))
}

/// One echo configuration: every round of every target, and the rounds of
/// each target merged.
struct EchoRow {
    payload: usize,
    batch: usize,
    runs: Vec<Vec<EchoResult>>,
    merged: Vec<EchoResult>,
}

type FanoutRow = (usize, Vec<Vec<FanoutResult>>);

/// The median of `a / b` over rounds measured side by side: pairing each
/// round with its neighbour in time cancels drift that a ratio of totals
/// would keep, and the median drops the round a host hiccup hit.
fn paired_ratio<T>(a: &[T], b: &[T], metric: impl Fn(&T) -> f64) -> Option<f64> {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| metric(x) / metric(y))
        .filter(|r| r.is_finite())
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let mid = ratios.len() / 2;
    Some(if ratios.len() % 2 == 1 {
        ratios[mid]
    } else {
        (ratios[mid - 1] + ratios[mid]) / 2.0
    })
}

fn p50(r: &EchoResult) -> f64 {
    r.quantile(0.5)
}

/// The ratios a row reports, each a [`paired_ratio`]: Rust/C and C/C
/// (when C ran), and Rust/floor.
struct Ratios {
    p50_rust_c: Option<f64>,
    msgs_rust_c: Option<f64>,
    msgs_c_again: Option<f64>,
    p50_rust_floor: Option<f64>,
    msgs_rust_floor: Option<f64>,
}

impl EchoRow {
    fn ratios(&self) -> Ratios {
        let [p50_rust_c, _, p50_rust_floor] = ratios(&self.runs, p50);
        let [msgs_rust_c, msgs_c_again, msgs_rust_floor] =
            ratios(&self.runs, EchoResult::msgs_per_s);
        Ratios {
            p50_rust_c,
            msgs_rust_c,
            msgs_c_again,
            p50_rust_floor,
            msgs_rust_floor,
        }
    }
}

/// Rust/C, C/C and Rust/floor of `metric` over each target's rounds, as
/// [`paired_ratio`]s; the first two are `None` when C did not run.
fn ratios<T>(runs: &[Vec<T>], metric: impl Fn(&T) -> f64) -> [Option<f64>; 3] {
    let has_c = runs.len() > 2;
    let vs = |a: usize, b: usize| {
        has_c
            .then(|| paired_ratio(&runs[a], &runs[b], &metric))
            .flatten()
    };
    [
        vs(RUST, C),
        vs(C, C_AGAIN),
        paired_ratio(&runs[RUST], &runs[runs.len() - 1], &metric),
    ]
}

/// A ratio as JSON: a number, or null when it was not measured.
fn json_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "null".into(), |r| format!("{r:.3}"))
}

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
    for (i, row) in echo.iter().enumerate() {
        let (payload, batch) = (row.payload, row.batch);
        for (j, (t, r)) in targets.iter().zip(&row.merged).enumerate() {
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
    out.push_str("],\"echo_ratios\":[");
    for (i, row) in echo.iter().enumerate() {
        let r = row.ratios();
        let _ = write!(
            out,
            "{}{{\"payload\":{},\"batch\":{},\"p50_rust_c\":{},\"msgs_rust_c\":{},\
             \"msgs_c_again\":{},\"p50_rust_floor\":{},\"msgs_rust_floor\":{}}}",
            if i == 0 { "" } else { "," },
            row.payload,
            row.batch,
            json_ratio(r.p50_rust_c),
            json_ratio(r.msgs_rust_c),
            json_ratio(r.msgs_c_again),
            json_ratio(r.p50_rust_floor),
            json_ratio(r.msgs_rust_floor)
        );
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
    out.push_str("],\"fanout_ratios\":[");
    for (i, (listeners, results)) in fanout.iter().enumerate() {
        let [rust_c, c_again, rust_floor] = ratios(results, FanoutResult::per_listener_per_s);
        let _ = write!(
            out,
            "{}{{\"listeners\":{listeners},\"rust_c\":{},\"c_again\":{},\"rust_floor\":{}}}",
            if i == 0 { "" } else { "," },
            json_ratio(rust_c),
            json_ratio(c_again),
            json_ratio(rust_floor)
        );
    }
    out.push_str("]}");
    out
}

/// A ratio cell, or a dash when it was not measured.
fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{r:.2}"))
}

fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1024 && b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} B"),
    }
}

fn markdown(targets: &[Named], echo: &[EchoRow], fanout: &[FanoutRow]) -> String {
    let mut out = String::new();
    out.push_str(
        "### Echo round trips\n\n\
         Latency of one datagram (all its replies back) and throughput of echoed messages,\n\
         over all rounds of each target.\n\n\
         | payload | batch | target | p50 µs | p99 µs | max µs | msgs/s | MB/s |\n\
         | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in echo {
        for (t, r) in targets.iter().zip(&row.merged) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
                size(row.payload),
                row.batch,
                t.name,
                r.quantile(0.5),
                r.quantile(0.99),
                r.quantile(1.0),
                r.msgs_per_s(),
                r.mb_per_s()
            );
        }
    }
    out.push_str(
        "\n### Rust against C and the floor, row by row\n\n\
         Each ratio is the median over rounds of the two targets' figures in the same\n\
         round. Below 1.00 means Rust took less time (p50) or moved less (msgs/s).\n\
         C/C compares the C module with itself, measured as a separate target: it shows\n\
         how far apart two measurements of the same code land here.\n\n\
         | payload | batch | p50 Rust/C | msgs/s Rust/C | msgs/s C/C | p50 Rust/floor | msgs/s Rust/floor |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in echo {
        let r = row.ratios();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            size(row.payload),
            row.batch,
            ratio(r.p50_rust_c),
            ratio(r.msgs_rust_c),
            ratio(r.msgs_c_again),
            ratio(r.p50_rust_floor),
            ratio(r.msgs_rust_floor)
        );
    }
    let _ = write!(
        out,
        "\n### Multicast fan-out\n\n\
         {FANOUT_PAYLOAD}-byte messages to one group; the modules are asked with BROADCAST requests,\n\
         the floor sends to the group itself. Messages/s delivered per listener (mean over\n\
         rounds; ratios as above); drops are the messages listeners missed, over all rounds.\n\n\
         | listeners | {} | Rust/C | C/C | Rust/floor | drops |\n\
         | ---: |{} ---: | ---: | ---: | ---: |\n",
        targets.iter().map(|t| t.name).collect::<Vec<_>>().join(" | "),
        " ---: |".repeat(targets.len())
    );
    for (listeners, results) in fanout {
        let cells: Vec<String> = results
            .iter()
            .map(|r| format!("{:.0}", mean_rate(r)))
            .collect();
        let [rust_c, c_again, rust_floor] = ratios(results, FanoutResult::per_listener_per_s);
        let drops: Vec<String> = results.iter().map(|r| drops(r).to_string()).collect();
        let _ = writeln!(
            out,
            "| {listeners} | {} | {} | {} | {} | {} |",
            cells.join(" | "),
            ratio(rust_c),
            ratio(c_again),
            ratio(rust_floor),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_ratio_is_the_median_of_round_by_round_ratios() {
        let id = |x: &f64| *x;
        // Per round: 2.0, 1.0, 0.5; the round totals would give 13/11.
        assert_eq!(
            paired_ratio(&[2.0, 1.0, 10.0], &[1.0, 1.0, 20.0], id),
            Some(1.0)
        );
        // An even count takes the mean of the middle two.
        assert_eq!(paired_ratio(&[1.0, 3.0], &[1.0, 1.0], id), Some(2.0));
        // A round with nothing measured (x/0) is left out, not counted as infinite.
        assert_eq!(paired_ratio(&[4.0, 1.0], &[2.0, 0.0], id), Some(2.0));
        assert_eq!(paired_ratio::<f64>(&[], &[], id), None);
    }

    #[test]
    fn ratios_pair_rust_with_c_c_with_itself_and_rust_with_the_floor() {
        let id = |x: &f64| *x;
        // One round per target: rust, c, c_again, floor.
        let runs = [vec![6.0], vec![3.0], vec![2.0], vec![12.0]];
        assert_eq!(ratios(&runs, id), [Some(2.0), Some(1.5), Some(0.5)]);
        // Without C: rust and the floor only.
        let runs = [vec![6.0], vec![12.0]];
        assert_eq!(ratios(&runs, id), [None, None, Some(0.5)]);
    }

    #[test]
    fn turns_rotate_so_every_target_goes_first_once() {
        let firsts: Vec<usize> = (0..4).map(|r| turns(4, r).next().unwrap()).collect();
        assert_eq!(firsts, [0, 1, 2, 3]);
        let mut round: Vec<usize> = turns(4, 2).collect();
        round.sort();
        assert_eq!(round, [0, 1, 2, 3], "every target runs once per round");
    }
}
