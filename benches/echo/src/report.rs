//! The report of a run: the echo and fan-out rows with their ratios, as
//! the JSON of docs/benchmarks.json and the markdown tables of
//! docs/BENCHMARKS.md.

use std::fmt::Write as _;

use crate::traffic::{EchoResult, FanoutResult};
use crate::{Named, C, C_AGAIN, FANOUT_PAYLOAD, PAYLOADS, RUST};

/// One echo configuration: every round of every target, and the rounds of
/// each target merged.
pub struct EchoRow {
    pub payload: usize,
    pub batch: usize,
    pub runs: Vec<Vec<EchoResult>>,
    pub merged: Vec<EchoResult>,
}

/// One fan-out configuration: its listener count and every round of every
/// target.
pub type FanoutRow = (usize, Vec<Vec<FanoutResult>>);

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

/// The report as one JSON object, the layout of docs/benchmarks.json.
pub fn json(targets: &[Named], echo: &[EchoRow], fanout: &[FanoutRow], rounds: usize) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"rounds\":{},\"payloads\":{:?},\"echo\":[",
        rounds, PAYLOADS
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

/// The report as the markdown tables of docs/BENCHMARKS.md.
pub fn markdown(targets: &[Named], echo: &[EchoRow], fanout: &[FanoutRow]) -> String {
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
}
