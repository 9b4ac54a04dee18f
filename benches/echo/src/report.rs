//! The report of a run: the echo and fan-out rows with their ratios, and
//! the 1 KiB section's spread of per-round ratios, as the JSON of
//! docs/benchmarks.json and the markdown tables of docs/BENCHMARKS.md.

use std::fmt::Write as _;

use crate::traffic::{EchoResult, FanoutResult};
use crate::{Named, Role, FANOUT_PAYLOAD, PAYLOADS};

/// One echo configuration: every round of every target, and the rounds of
/// each target merged.
pub struct EchoRow {
    pub payload: usize,
    pub batch: usize,
    pub runs: Vec<Vec<EchoResult>>,
    pub merged: Vec<EchoResult>,
}

impl EchoRow {
    /// A row from each target's rounds, in the order of the targets.
    pub fn new(payload: usize, batch: usize, runs: Vec<Vec<EchoResult>>) -> Self {
        let merged = runs.iter().map(|r| EchoResult::merge(r)).collect();
        EchoRow {
            payload,
            batch,
            runs,
            merged,
        }
    }
}

/// One fan-out configuration: its listener count and every round of every
/// target.
pub type FanoutRow = (usize, Vec<Vec<FanoutResult>>);

/// Everything a run measured, and the targets of each part.
pub struct Report<'a> {
    /// The targets of the echo rows.
    pub targets: &'a [&'a Named],
    pub echo: &'a [EchoRow],
    /// The 1 KiB section: many short rounds of `kib_targets`.
    pub kib: &'a EchoRow,
    pub kib_targets: &'a [&'a Named],
    pub fanout: &'a [FanoutRow],
    pub fanout_targets: &'a [&'a Named],
    /// Rounds of the echo and fan-out rows.
    pub rounds: usize,
}

/// `a / b` round by round, over rounds measured side by side (round `i` of
/// both targets ran in the same turn of the rotation), sorted. A round
/// with nothing measured (x/0) is left out, not counted as infinite.
fn per_round<T>(a: &[T], b: &[T], metric: impl Fn(&T) -> f64) -> Vec<f64> {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| metric(x) / metric(y))
        .filter(|r| r.is_finite())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios
}

/// The `q` quantile of `sorted`, interpolated between its two nearest
/// values (so the median of an even count is the mean of the middle two).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// How the per-round ratios of a pair of targets spread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub max: f64,
    /// Rounds measured, and of those, rounds with a ratio below 1.
    pub rounds: usize,
    pub below_one: usize,
}

impl Spread {
    /// The spread of sorted ratios, or `None` if there are none.
    fn of(sorted: &[f64]) -> Option<Spread> {
        (!sorted.is_empty()).then(|| Spread {
            min: sorted[0],
            q1: quantile(sorted, 0.25),
            median: quantile(sorted, 0.5),
            q3: quantile(sorted, 0.75),
            max: sorted[sorted.len() - 1],
            rounds: sorted.len(),
            below_one: sorted.iter().filter(|&&r| r < 1.0).count(),
        })
    }

    /// Where this spread's median lies against the quartiles of `noise`,
    /// the same ratio of a target against itself.
    fn against(&self, noise: &Spread) -> Verdict {
        if self.median < noise.q1 {
            Verdict::Below
        } else if self.median > noise.q3 {
            Verdict::Above
        } else {
            Verdict::Within
        }
    }
}

/// A ratio's median against the noise's interquartile range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Below,
    Within,
    Above,
}

/// The median of `a / b` over rounds measured side by side: pairing each
/// round with its neighbour in time cancels drift that a ratio of totals
/// would keep, and the median drops the round a host hiccup hit.
fn paired_ratio<T>(a: &[T], b: &[T], metric: impl Fn(&T) -> f64) -> Option<f64> {
    Spread::of(&per_round(a, b, metric)).map(|s| s.median)
}

fn p50(r: &EchoResult) -> f64 {
    r.quantile(0.5)
}

/// The rounds of the target with `role`, if it ran.
fn rounds_of<'r, T>(targets: &[&Named], runs: &'r [Vec<T>], role: Role) -> Option<&'r [T]> {
    let i = targets.iter().position(|t| t.role == role)?;
    runs.get(i).map(Vec::as_slice)
}

/// The pairs of targets the report compares: the numerator's role, the
/// denominator's, the name of the ratio in the markdown and in the JSON.
struct Pair {
    a: Role,
    b: Role,
    name: &'static str,
    key: &'static str,
}

const ZERO_COPY_C: Pair = Pair {
    a: Role::Rust,
    b: Role::C,
    name: "zero-copy/C",
    key: "zero_copy_c",
};
const COPY_C: Pair = Pair {
    a: Role::RustCopy,
    b: Role::C,
    name: "copy/C",
    key: "copy_c",
};
const C_C: Pair = Pair {
    a: Role::C,
    b: Role::CAgain,
    name: "C/C",
    key: "c_c",
};
const RUST_FLOOR: Pair = Pair {
    a: Role::Rust,
    b: Role::Floor,
    name: "zero-copy/floor",
    key: "rust_floor",
};

/// The columns of the echo ratio table: each pair, by msgs/s then by p50.
const ECHO_PAIRS: [&Pair; 4] = [&ZERO_COPY_C, &COPY_C, &C_C, &RUST_FLOOR];
/// The rows of the 1 KiB section: the two nlecho paths against C, and C
/// against itself, which they are read against.
const KIB_PAIRS: [&Pair; 3] = [&ZERO_COPY_C, &COPY_C, &C_C];

/// The metrics the echo ratios are taken of: name in the markdown, in the
/// JSON, and the figure itself.
type Metric = (&'static str, &'static str, fn(&EchoResult) -> f64);
const METRICS: [Metric; 2] = [
    ("msgs/s", "msgs", EchoResult::msgs_per_s),
    ("p50", "p50", p50),
];

impl Pair {
    /// The per-round ratios of this pair, sorted; empty if either target
    /// did not run.
    fn per_round<T>(
        &self,
        targets: &[&Named],
        runs: &[Vec<T>],
        metric: impl Fn(&T) -> f64,
    ) -> Vec<f64> {
        match self.rounds(targets, runs) {
            Some((a, b)) => per_round(a, b, metric),
            None => Vec::new(),
        }
    }

    /// This pair's [`paired_ratio`], or `None` if either target did not run.
    fn ratio<T>(
        &self,
        targets: &[&Named],
        runs: &[Vec<T>],
        metric: impl Fn(&T) -> f64,
    ) -> Option<f64> {
        let (a, b) = self.rounds(targets, runs)?;
        paired_ratio(a, b, metric)
    }

    /// The rounds of both targets of this pair, if both ran.
    fn rounds<'r, T>(&self, targets: &[&Named], runs: &'r [Vec<T>]) -> Option<(&'r [T], &'r [T])> {
        Some((
            rounds_of(targets, runs, self.a)?,
            rounds_of(targets, runs, self.b)?,
        ))
    }
}

/// A ratio as JSON: a number, or null when it was not measured.
fn json_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "null".into(), |r| format!("{r:.3}"))
}

fn json_count(n: Option<u64>) -> String {
    n.map_or_else(|| "null".into(), |n| n.to_string())
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

/// The share of a target's echo replies sent without a copy: "all",
/// "none", a percentage, or a dash where nobody counted (not nlecho.ko, or
/// no counter to read).
fn zero_copy_share(r: &EchoResult) -> String {
    match r.zero_copy {
        None => "-".into(),
        Some(0) => "none".into(),
        Some(n) if n == r.messages => "all".into(),
        Some(n) => format!("{:.1}%", n as f64 * 100.0 / r.messages.max(1) as f64),
    }
}

/// The JSON objects of one row's targets, a comma before each but the
/// very first of the array.
fn json_echo_targets(out: &mut String, targets: &[&Named], row: &EchoRow, first: &mut bool) {
    for (t, r) in targets.iter().zip(&row.merged) {
        let sep = if std::mem::take(first) { "" } else { "," };
        let _ = write!(
            out,
            "{sep}{{\"target\":\"{}\",\"payload\":{},\"batch\":{},\"messages\":{},\
             \"p50_us\":{:.1},\"p99_us\":{:.1},\"max_us\":{:.1},\"msgs_per_s\":{:.0},\"mb_per_s\":{:.2},\
             \"zero_copy\":{}}}",
            t.name,
            row.payload,
            row.batch,
            r.messages,
            r.quantile(0.5),
            r.quantile(0.99),
            r.quantile(1.0),
            r.msgs_per_s(),
            r.mb_per_s(),
            json_count(r.zero_copy)
        );
    }
}

/// The markdown rows of one echo row's targets.
fn markdown_echo_targets(out: &mut String, targets: &[&Named], row: &EchoRow) {
    for (t, r) in targets.iter().zip(&row.merged) {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {} |",
            size(row.payload),
            row.batch,
            t.name,
            r.quantile(0.5),
            r.quantile(0.99),
            r.quantile(1.0),
            r.msgs_per_s(),
            r.mb_per_s(),
            zero_copy_share(r)
        );
    }
}

const ECHO_TABLE_HEAD: &str =
    "| payload | batch | target | p50 µs | p99 µs | max µs | msgs/s | MB/s | zero-copy |\n\
     | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";

impl Report<'_> {
    /// The report as one JSON object, the layout of docs/benchmarks.json.
    pub fn json(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\"rounds\":{},\"payloads\":{:?},\"echo\":[",
            self.rounds, PAYLOADS
        );
        let mut first = true;
        for row in self.echo {
            json_echo_targets(&mut out, self.targets, row, &mut first);
        }
        out.push_str("],\"echo_ratios\":[");
        for (i, row) in self.echo.iter().enumerate() {
            let _ = write!(
                out,
                "{}{{\"payload\":{},\"batch\":{}",
                if i == 0 { "" } else { "," },
                row.payload,
                row.batch
            );
            for (_, key, metric) in METRICS {
                for pair in ECHO_PAIRS {
                    let r = pair.ratio(self.targets, &row.runs, metric);
                    let _ = write!(out, ",\"{key}_{}\":{}", pair.key, json_ratio(r));
                }
            }
            out.push('}');
        }
        let kib = self.kib;
        let _ = write!(
            out,
            "],\"kib\":{{\"payload\":{},\"rounds\":{},\"targets\":[",
            kib.payload,
            kib.runs.first().map_or(0, Vec::len)
        );
        let mut first = true;
        json_echo_targets(&mut out, self.kib_targets, kib, &mut first);
        out.push_str("],\"spreads\":[");
        let mut sep = "";
        for (_, key, metric) in METRICS {
            for pair in KIB_PAIRS {
                let Some(s) = Spread::of(&pair.per_round(self.kib_targets, &kib.runs, metric))
                else {
                    continue;
                };
                let _ = write!(
                    out,
                    "{sep}{{\"ratio\":\"{key}_{}\",\"min\":{:.3},\"q1\":{:.3},\"median\":{:.3},\
                     \"q3\":{:.3},\"max\":{:.3},\"rounds\":{},\"below_one\":{}}}",
                    pair.key, s.min, s.q1, s.median, s.q3, s.max, s.rounds, s.below_one
                );
                sep = ",";
            }
        }
        out.push_str("]},\"fanout\":[");
        for (i, (listeners, results)) in self.fanout.iter().enumerate() {
            for (j, (t, runs)) in self.fanout_targets.iter().zip(results).enumerate() {
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
        for (i, (listeners, results)) in self.fanout.iter().enumerate() {
            let _ = write!(
                out,
                "{}{{\"listeners\":{listeners}",
                if i == 0 { "" } else { "," }
            );
            // Named for the module, not its echo path: fan-out does not echo.
            for (key, pair) in [
                ("rust_c", &ZERO_COPY_C),
                ("c_c", &C_C),
                ("rust_floor", &RUST_FLOOR),
            ] {
                let r = pair.ratio(
                    self.fanout_targets,
                    results,
                    FanoutResult::per_listener_per_s,
                );
                let _ = write!(out, ",\"{key}\":{}", json_ratio(r));
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }

    /// The report as the markdown tables of docs/BENCHMARKS.md.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "### Echo round trips\n\n\
             Latency of one datagram (all its replies back) and throughput of echoed messages,\n\
             over all rounds of each target. Zero-copy: the share of the replies nlecho.ko\n\
             sent as a clone of the request (its `zero_copy` counter; \"-\" for the targets\n\
             that are not nlecho.ko).\n\n",
        );
        out.push_str(ECHO_TABLE_HEAD);
        for row in self.echo {
            markdown_echo_targets(&mut out, self.targets, row);
        }
        out.push_str(
            "\n### Rust against C and the floor, row by row\n\n\
             Each ratio is the median over rounds of the two targets' figures in the same\n\
             round: zero-copy is the rust target, copy is rust_copy. Above 1.00 means more\n\
             messages/s, or a longer p50, than the second target. C/C compares the C\n\
             module with itself, measured as a separate target: it shows how far apart two\n\
             measurements of the same code land here.\n\n| payload | batch |",
        );
        let mut rule = String::from("| ---: | ---: |");
        for (name, _, _) in METRICS {
            for pair in ECHO_PAIRS {
                let _ = write!(out, " {name} {} |", pair.name);
                rule.push_str(" ---: |");
            }
        }
        let _ = writeln!(out, "\n{rule}");
        for row in self.echo {
            let _ = write!(out, "| {} | {} |", size(row.payload), row.batch);
            for (_, _, metric) in METRICS {
                for pair in ECHO_PAIRS {
                    let _ = write!(
                        out,
                        " {} |",
                        ratio(pair.ratio(self.targets, &row.runs, metric))
                    );
                }
            }
            out.push('\n');
        }
        self.markdown_kib(&mut out);
        self.markdown_fanout(&mut out);
        out
    }

    /// The 1 KiB section: the merged figures, the spread of each pair's
    /// per-round ratios, and each nlecho path's median against C/C's.
    fn markdown_kib(&self, out: &mut String) {
        let kib = self.kib;
        let rounds = kib.runs.first().map_or(0, Vec::len);
        let per_round = kib
            .merged
            .first()
            .map_or(0, |r| r.messages as usize / rounds.max(1));
        let _ = write!(
            out,
            "\n### 1 KiB single messages, round by round\n\n\
             {rounds} short rounds of {per_round} single {} echoes per target, the module targets in\n\
             rotating order, in the same boot as the rows above. Each round gives one ratio\n\
             per pair of targets; the second table shows how those ratios spread over the\n\
             rounds. C/C is the noise: a Rust/C median outside C/C's quartiles (q1 to q3) is\n\
             a gap that the noise of this machine does not explain.\n\n",
            size(kib.payload)
        );
        out.push_str(ECHO_TABLE_HEAD);
        markdown_echo_targets(out, self.kib_targets, kib);
        out.push_str(
            "\n| ratio | min | q1 | median | q3 | max | rounds below 1.00 |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        let mut verdicts = Vec::new();
        for (name, _, metric) in METRICS {
            let spreads = KIB_PAIRS
                .map(|pair| Spread::of(&pair.per_round(self.kib_targets, &kib.runs, metric)));
            for (pair, s) in KIB_PAIRS.iter().zip(&spreads) {
                let Some(s) = s else { continue };
                let _ = writeln!(
                    out,
                    "| {name} {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} of {} |",
                    pair.name, s.min, s.q1, s.median, s.q3, s.max, s.below_one, s.rounds
                );
            }
            let [zero_copy, copy, Some(noise)] = spreads else {
                continue;
            };
            for (pair, s) in [(&ZERO_COPY_C, zero_copy), (&COPY_C, copy)] {
                let Some(s) = s else { continue };
                let place = match s.against(&noise) {
                    Verdict::Below => "below",
                    Verdict::Within => "within",
                    Verdict::Above => "above",
                };
                verdicts.push(format!(
                    "- {name} {}: median {:.2}, {place} C/C's quartiles ({:.2} to {:.2}).",
                    pair.name, s.median, noise.q1, noise.q3
                ));
            }
        }
        if !verdicts.is_empty() {
            let _ = write!(out, "\n{}\n", verdicts.join("\n"));
        }
    }

    fn markdown_fanout(&self, out: &mut String) {
        let targets = self.fanout_targets;
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
        for (listeners, results) in self.fanout {
            let cells: Vec<String> = results
                .iter()
                .map(|r| format!("{:.0}", mean_rate(r)))
                .collect();
            let [rust_c, c_c, rust_floor] = [&ZERO_COPY_C, &C_C, &RUST_FLOOR]
                .map(|p| ratio(p.ratio(targets, results, FanoutResult::per_listener_per_s)));
            let drops: Vec<String> = results.iter().map(|r| drops(r).to_string()).collect();
            let _ = writeln!(
                out,
                "| {listeners} | {} | {rust_c} | {c_c} | {rust_floor} | {} |",
                cells.join(" | "),
                drops.join(" / ")
            );
        }
    }
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

    fn named(name: &'static str, role: Role) -> Named {
        Named {
            name,
            role,
            target: crate::traffic::Target::Module { protocol: 0 },
        }
    }

    /// One target of each role, in the order `make bench` lists them.
    fn every_target() -> [Named; 5] {
        [
            named("rust", Role::Rust),
            named("rust_copy", Role::RustCopy),
            named("c", Role::C),
            named("c_again", Role::CAgain),
            named("floor", Role::Floor),
        ]
    }

    #[test]
    fn pairs_find_their_targets_by_role_whatever_the_order() {
        let id = |x: &f64| *x;
        let all = every_target();
        let targets: Vec<&Named> = all.iter().collect();
        // One round per target, in the order of `targets`.
        let runs = [vec![6.0], vec![4.5], vec![3.0], vec![2.0], vec![12.0]];
        let got = ECHO_PAIRS.map(|p| p.ratio(&targets, &runs, id));
        assert_eq!(got, [Some(2.0), Some(1.5), Some(1.5), Some(0.5)]);
        // The fan-out's targets: no rust_copy, and the others still pair.
        let fanout: Vec<&Named> = all.iter().filter(|t| t.role != Role::RustCopy).collect();
        let runs = [vec![6.0], vec![3.0], vec![2.0], vec![12.0]];
        assert_eq!(COPY_C.ratio(&fanout, &runs, id), None);
        assert_eq!(ZERO_COPY_C.ratio(&fanout, &runs, id), Some(2.0));
        assert_eq!(RUST_FLOOR.ratio(&fanout, &runs, id), Some(0.5));
        // Without C (--no-c): only the floor ratio is measured.
        let no_c = [&all[0], &all[1], &all[4]];
        let runs = [vec![6.0], vec![6.0], vec![12.0]];
        assert_eq!(C_C.ratio(&no_c, &runs, id), None);
        assert_eq!(RUST_FLOOR.ratio(&no_c, &runs, id), Some(0.5));
    }

    #[test]
    fn spread_gives_interpolated_quartiles_and_counts_rounds_below_one() {
        let s = Spread::of(&[0.8, 0.9, 1.0, 1.1, 1.3]).unwrap();
        assert_eq!(
            (s.min, s.q1, s.median, s.q3, s.max),
            (0.8, 0.9, 1.0, 1.1, 1.3)
        );
        assert_eq!((s.rounds, s.below_one), (5, 2));
        // Four values: q1 sits a quarter of the way from the 1st to the 2nd.
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (1.75, 2.5, 3.25));
        let one = Spread::of(&[0.5]).unwrap();
        assert_eq!(
            (one.min, one.q1, one.median, one.q3, one.max),
            (0.5, 0.5, 0.5, 0.5, 0.5)
        );
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn a_median_outside_the_noise_quartiles_is_below_or_above_it() {
        let noise = Spread::of(&[0.9, 0.97, 1.0, 1.03, 1.1]).unwrap();
        let at = |m: f64| Spread::of(&[m]).unwrap().against(&noise);
        assert_eq!(at(0.95), Verdict::Below);
        assert_eq!(
            at(0.97),
            Verdict::Within,
            "the quartiles themselves are inside"
        );
        assert_eq!(at(1.03), Verdict::Within);
        assert_eq!(at(1.05), Verdict::Above);
    }

    #[test]
    fn zero_copy_share_says_all_none_or_how_much() {
        let result = |zero_copy| EchoResult {
            rtt_us: Vec::new(),
            messages: 200,
            bytes: 0,
            elapsed: std::time::Duration::from_secs(1),
            zero_copy,
        };
        assert_eq!(zero_copy_share(&result(Some(200))), "all");
        assert_eq!(zero_copy_share(&result(Some(0))), "none");
        assert_eq!(zero_copy_share(&result(Some(1))), "0.5%");
        assert_eq!(zero_copy_share(&result(None)), "-");
        // Merged rounds count only if every round was counted.
        let merged = EchoResult::merge(&[result(Some(200)), result(Some(200))]);
        assert_eq!(zero_copy_share(&merged), "all");
        assert_eq!(
            EchoResult::merge(&[result(Some(200)), result(None)]).zero_copy,
            None
        );
    }

    #[test]
    fn every_markdown_table_row_has_as_many_cells_as_its_header() {
        let all = every_target();
        let targets: Vec<&Named> = all.iter().collect();
        let modules = &targets[..4];
        let fanout_targets = [&all[0], &all[2], &all[3], &all[4]];
        let run = |us: f64| EchoResult {
            rtt_us: vec![us],
            messages: 10,
            bytes: 10_240,
            elapsed: std::time::Duration::from_millis(us as u64),
            zero_copy: None,
        };
        let rounds = |n: usize| -> Vec<Vec<EchoResult>> {
            (0..n)
                .map(|t| (0..3).map(|r| run(10.0 + (t + r) as f64)).collect())
                .collect()
        };
        let fan = FanoutResult {
            sent: 5,
            received: vec![5],
            elapsed: std::time::Duration::from_millis(1),
        };
        let report = Report {
            targets: &targets,
            echo: &[EchoRow::new(16, 1, rounds(5))],
            kib: &EchoRow::new(1024, 1, rounds(4)),
            kib_targets: modules,
            fanout: &[(1, vec![vec![fan]; 4])],
            fanout_targets: &fanout_targets,
            rounds: 3,
        };
        let markdown = report.markdown();
        let mut cells = None;
        for line in markdown.lines() {
            if !line.starts_with('|') {
                cells = None;
                continue;
            }
            let n = line.matches('|').count();
            assert_eq!(*cells.get_or_insert(n), n, "{line}\n{markdown}");
        }
        assert!(markdown.contains("| msgs/s zero-copy/C |"), "{markdown}");
        assert!(markdown.contains("C/C's quartiles"), "{markdown}");
        assert!(report
            .json()
            .contains("\"spreads\":[{\"ratio\":\"msgs_zero_copy_c\""));
    }
}
