//! The printed table and the JSON report.

use std::fmt::Write as _;

use serde::Serialize;

use super::argon::HashRate;
use super::error::TallyLine;
use super::machine::{MachineInfo, Memory};
use super::runner::RunSummary;
use super::workload::Workload;

/// The design's target for a workload on the default store, as a ratio to the baseline rate.
pub fn target_ratio(workload: &str) -> Option<f64> {
    match workload.parse::<Workload>().ok()? {
        Workload::Discovery => Some(0.80),
        Workload::Introspection | Workload::Userinfo => Some(0.50),
        Workload::Refresh => Some(0.25),
        Workload::Sso => Some(0.10),
        _ => None,
    }
}

/// The p99 bound (ms) at 32 concurrent clients for non-login workloads.
pub const P99_BOUND_MS: f64 = 10.0;

/// Whether the p99 bound applies to this row.
fn p99_bound_applies(workload: &str, concurrency: usize) -> bool {
    concurrency == 32
        && matches!(
            workload.parse::<Workload>(),
            Ok(Workload::Discovery
                | Workload::Introspection
                | Workload::Userinfo
                | Workload::Refresh)
        )
}

/// One measured cell: a workload at one concurrency on one store.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `sqlite`, `postgres`, `memory`, or `provider` for an external one.
    pub store: String,
    /// The measurement.
    pub run: RunSummary,
    /// The baseline's rate at the same concurrency in the same run: the mean of the hello-world
    /// runs that framed this cell when the suite pairs them, else of the whole-run baselines.
    pub baseline_per_s: Option<f64>,
    /// `ops_per_s / baseline_per_s`.
    pub ratio: Option<f64>,
    /// With paired baselines, the mean of the whole-run baselines at the same concurrency.
    pub run_baseline_per_s: Option<f64>,
    /// `ops_per_s / run_baseline_per_s`: the same cell against the slower-moving reference.
    pub run_ratio: Option<f64>,
    /// The server's memory after this workload.
    pub server_memory: Option<Memory>,
    /// The Ostiary process's CPU time over the cell (warm-up included) divided by the generator's
    /// over the same time: server CPU per operation ÷ generator CPU per request, which stays put
    /// when the machine's speed drifts. Not PostgreSQL's backends, which are other processes.
    pub cpu_ratio: Option<f64>,
    /// `ok`, `BELOW <target>`, `SPLIT <target>` (the two ratios fall on both sides of the target:
    /// not met, the machine drifted), `P99>10ms`, `ERRORS`, or `-` where no target applies.
    pub verdict: String,
}

impl Row {
    /// A row against one baseline rate, with its ratio and verdict computed.
    pub fn new(
        store: &str,
        run: RunSummary,
        baseline_per_s: Option<f64>,
        memory: Option<Memory>,
    ) -> Self {
        Self::paired(store, run, baseline_per_s, None, memory)
    }

    /// A row against the rate of the hello-world runs that framed it and, beside it, the whole-run
    /// baselines' mean (`run_baseline_per_s`): a target counts as met only if both ratios meet it.
    pub fn paired(
        store: &str,
        run: RunSummary,
        baseline_per_s: Option<f64>,
        run_baseline_per_s: Option<f64>,
        memory: Option<Memory>,
    ) -> Self {
        let ratio_to = |rate: Option<f64>| rate.filter(|b| *b > 0.0).map(|b| run.ops_per_s / b);
        let ratio = ratio_to(baseline_per_s);
        let run_ratio = ratio_to(run_baseline_per_s);
        let verdict = verdict(&run, [ratio, run_ratio]);
        Self {
            store: store.to_owned(),
            run,
            baseline_per_s,
            ratio,
            run_baseline_per_s,
            run_ratio,
            server_memory: memory,
            cpu_ratio: None,
            verdict,
        }
    }

    /// The row with the server's CPU time over the cell ÷ the generator's (see [`Self::cpu_ratio`]).
    #[must_use]
    pub fn with_cpu_ratio(self, cpu_ratio: Option<f64>) -> Self {
        Self { cpu_ratio, ..self }
    }
}

/// The verdict of a cell whose ratios (those known) are `ratios`.
fn verdict(run: &RunSummary, ratios: [Option<f64>; 2]) -> String {
    let target = target_ratio(&run.workload);
    let mut verdict = Vec::new();
    if let Some(target) = target {
        let known = ratios.iter().flatten();
        let below = known.clone().filter(|r| **r < target).count();
        match (below, known.count()) {
            (0, _) => {}
            (b, n) if b == n => verdict.push(format!("BELOW {target:.2}")),
            _ => verdict.push(format!("SPLIT {target:.2}")),
        }
    }
    if p99_bound_applies(&run.workload, run.concurrency)
        && run.p99_ms.is_none_or(|p| p > P99_BOUND_MS)
    {
        verdict.push("P99>10ms".to_owned());
    }
    if run.errors > 0 {
        verdict.push("ERRORS".to_owned());
    }
    if !verdict.is_empty() {
        verdict.join(" ")
    } else if target.is_some() && ratios.iter().any(Option::is_some) {
        "ok".to_owned()
    } else {
        "-".to_owned()
    }
}

/// The median of `values`, `None` if there are none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some(f64::midpoint(values[mid - 1], values[mid])),
    }
}

/// The label of round `round` on `store` in the table: the store's name for the first round,
/// `sqlite#2`, … after it.
pub fn round_label(store: &str, round: usize) -> String {
    match round {
        1 => store.to_owned(),
        n => format!("{store}#{n}"),
    }
}

/// The store a row's label names, without its round (see [`round_label`]).
fn store_of(label: &str) -> &str {
    label.split_once('#').map_or(label, |(store, _)| store)
}

/// What identifies a cell across rounds: its store, workload and concurrency.
fn cell_of(row: &Row) -> (&str, &str, usize) {
    (store_of(&row.store), &row.run.workload, row.run.concurrency)
}

/// One row per store, workload and concurrency measured in more than one round (`--rounds`), in
/// the order they were first measured: the medians of the rounds' rates, latencies, baselines,
/// ratios and `cpu`, their errors summed and their ops and time added up, the last round's memory,
/// and the verdict those medians give by the same rules as a cell's. On a machine whose speed
/// drifts, one short cell can miss a target the code meets; the median of several rounds is the
/// steadier verdict. Empty when every cell was measured once.
pub fn round_medians(rows: &[Row]) -> Vec<Row> {
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    for row in rows {
        match groups
            .iter_mut()
            .find(|group| cell_of(group[0]) == cell_of(row))
        {
            Some(group) => group.push(row),
            None => groups.push(vec![row]),
        }
    }
    groups
        .into_iter()
        .filter(|group| group.len() > 1)
        .map(|group| {
            let of = |field: fn(&Row) -> Option<f64>| {
                median(group.iter().copied().filter_map(field).collect())
            };
            let first = &group[0].run;
            let run = RunSummary {
                workload: first.workload.clone(),
                concurrency: first.concurrency,
                ready: group.iter().map(|r| r.run.ready).min().unwrap_or(0),
                duration_s: group.iter().map(|r| r.run.duration_s).sum(),
                ops: group.iter().map(|r| r.run.ops).sum(),
                ops_per_s: of(|r| Some(r.run.ops_per_s)).unwrap_or(0.0),
                requests_per_s: of(|r| Some(r.run.requests_per_s)).unwrap_or(0.0),
                p50_ms: of(|r| r.run.p50_ms),
                p90_ms: of(|r| r.run.p90_ms),
                p99_ms: of(|r| r.run.p99_ms),
                max_ms: of(|r| r.run.max_ms),
                mean_ms: of(|r| r.run.mean_ms),
                errors: group.iter().map(|r| r.run.errors).sum(),
                error_kinds: Vec::new(),
            };
            let ratio = of(|r| r.ratio);
            let run_ratio = of(|r| r.run_ratio);
            let verdict = verdict(&run, [ratio, run_ratio]);
            Row {
                store: store_of(&group[0].store).to_owned(),
                run,
                baseline_per_s: of(|r| r.baseline_per_s),
                ratio,
                run_baseline_per_s: of(|r| r.run_baseline_per_s),
                run_ratio,
                server_memory: group.last().and_then(|r| r.server_memory),
                cpu_ratio: of(|r| r.cpu_ratio),
                verdict,
            }
        })
        .collect()
}

/// Everything a run of the harness measured.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: MachineInfo,
    /// Baseline runs (one per concurrency) before the stores.
    pub baseline: Vec<RunSummary>,
    /// The same after the stores; ratios use the mean of both.
    pub baseline_after: Vec<RunSummary>,
    /// Argon2id hashes/s on one thread and on every core.
    pub argon2id: Vec<HashRate>,
    /// The measured cells.
    pub rows: Vec<Row>,
    /// With `--rounds` above 1: per store, workload and concurrency, the medians of its rounds and
    /// their verdict (see [`round_medians`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub round_medians: Vec<Row>,
    /// Server memory after the last workload of each store.
    pub final_memory: Vec<(String, Option<Memory>)>,
    /// Whether each cell's ratio used the hello-world runs right before and after it.
    pub paired_baseline: Option<PairedBaseline>,
}

/// The hello-world runs that frame every cell (see `suite::run`).
#[derive(Clone, Debug, Serialize)]
pub struct PairedBaseline {
    /// Measurement window of each run, seconds.
    pub window_s: f64,
    /// Failures in those runs (a cell whose runs had any uses the whole-run baselines).
    pub errors: u64,
}

impl Report {
    /// The total failures over every row and the baseline.
    pub fn total_errors(&self) -> u64 {
        self.rows.iter().map(|r| r.run.errors).sum::<u64>()
            + self
                .baseline
                .iter()
                .chain(&self.baseline_after)
                .map(|b| b.errors)
                .sum::<u64>()
            + self.paired_baseline.as_ref().map_or(0, |p| p.errors)
    }
}

fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// The human-readable report: machine, baseline, the table, Argon2id, and every error kind.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let m = &report.machine;
    let _ = writeln!(
        out,
        "machine: {} | {} cores | kernel {} | load {}",
        m.cpu,
        m.cores,
        m.kernel,
        opt(m.loadavg_1m, 2)
    );
    let _ = writeln!(out, "commit:  {}", m.commit);
    for (when, runs) in [
        ("before", &report.baseline),
        ("after", &report.baseline_after),
    ] {
        for b in runs {
            let _ = writeln!(
                out,
                "baseline (hello world, {when:<6}) c={:<3} {:>9.0} req/s  p50 {} ms  p99 {} ms  errors {}",
                b.concurrency,
                b.ops_per_s,
                opt(b.p50_ms, 3),
                opt(b.p99_ms, 3),
                b.errors
            );
        }
    }
    match &report.paired_baseline {
        Some(paired) => {
            let _ = writeln!(
                out,
                "ratio = ops/s ÷ mean of the hello-world rates measured right before and right after \
                 that cell at the same concurrency ({:.1} s each, column base/s; errors {}); run = \
                 ops/s ÷ mean of the whole-run baselines above; a target is met (ok) only if both \
                 ratios meet it, SPLIT if only one does",
                paired.window_s, paired.errors
            );
        }
        None => {
            let _ = writeln!(
                out,
                "ratio = ops/s ÷ mean of the two baseline rates at the same concurrency"
            );
        }
    }
    for a in &report.argon2id {
        let _ = writeln!(
            out,
            "argon2id (19 MiB, t=2, p=1) on {} thread(s): {:.1} hashes/s",
            a.threads, a.per_second
        );
    }
    out.push('\n');
    out.push_str(&render_rows(&report.rows));
    if let Some(first) = report.round_medians.first() {
        let rounds = report
            .rows
            .iter()
            .filter(|row| cell_of(row) == cell_of(first))
            .count();
        let _ = writeln!(
            out,
            "\nmedians of the {rounds} rounds (per store, workload and concurrency: ops/s, latencies, \
             baselines, ratios and cpu are medians, errors summed, RSS after the last round; the \
             verdict is the medians'):"
        );
        out.push_str(&render_rows(&report.round_medians));
        out.push('\n');
    }
    for (store, memory) in &report.final_memory {
        let _ = writeln!(
            out,
            "{store}: server RSS after all workloads {} MB (peak {} MB)",
            opt(memory.map(|m| kib_to_mb(m.rss_kib)), 1),
            opt(memory.map(|m| kib_to_mb(m.peak_kib)), 1),
        );
    }
    // The all-core rate (the measurement with the most threads) is what the server can reach.
    if let Some(all) = report.argon2id.iter().max_by_key(|a| a.threads) {
        for row in report.rows.iter().filter(|r| r.run.workload == "password") {
            let _ = writeln!(
                out,
                "{} password c={}: {:.1} flows/s = {:.0}% of the Argon2id rate on {} threads ({:.1}/s)",
                row.store,
                row.run.concurrency,
                row.run.ops_per_s,
                100.0 * row.run.ops_per_s / all.per_second.max(f64::EPSILON),
                all.threads,
                all.per_second
            );
        }
    }
    out.push_str(&render_errors(report));
    out
}

#[allow(clippy::cast_precision_loss)]
fn kib_to_mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The table alone.
pub fn render_rows(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<8} {:<13} {:>4} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7} {:>9} {:>6} {:>6} {:>7} {:>5}  verdict",
        "store",
        "workload",
        "conc",
        "ops/s",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "errors",
        "base/s",
        "ratio",
        "run",
        "RSS MB",
        "cpu"
    );
    for row in rows {
        let r = &row.run;
        let _ = writeln!(
            out,
            "{:<8} {:<13} {:>4} {:>9.1} {:>9.1} {:>8} {:>8} {:>8} {:>7} {:>9} {:>6} {:>6} {:>7} {:>5}  {}",
            row.store,
            r.workload,
            r.concurrency,
            r.ops_per_s,
            r.requests_per_s,
            opt(r.p50_ms, 2),
            opt(r.p90_ms, 2),
            opt(r.p99_ms, 2),
            r.errors,
            opt(row.baseline_per_s, 0),
            opt(row.ratio, 3),
            opt(row.run_ratio, 3),
            opt(row.server_memory.map(|m| kib_to_mb(m.rss_kib)), 1),
            opt(row.cpu_ratio, 2),
            row.verdict
        );
    }
    out
}

fn render_errors(report: &Report) -> String {
    let mut out = String::new();
    let mut lines: Vec<(String, &TallyLine)> = Vec::new();
    for b in report.baseline.iter().chain(&report.baseline_after) {
        lines.extend(
            b.error_kinds
                .iter()
                .map(|l| (format!("baseline c={}", b.concurrency), l)),
        );
    }
    for row in &report.rows {
        let label = format!(
            "{} {} c={}",
            row.store, row.run.workload, row.run.concurrency
        );
        lines.extend(row.run.error_kinds.iter().map(|l| (label.clone(), l)));
    }
    if lines.is_empty() {
        out.push_str("errors: none\n");
        return out;
    }
    let _ = writeln!(out, "ERRORS ({} in total):", report.total_errors());
    for (label, line) in lines {
        let _ = writeln!(
            out,
            "  [{label}] {} ×{}  e.g. {}",
            line.kind, line.count, line.example
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(
        workload: &str,
        concurrency: usize,
        ops_per_s: f64,
        p99: f64,
        errors: u64,
    ) -> RunSummary {
        RunSummary {
            workload: workload.to_owned(),
            concurrency,
            ready: concurrency,
            duration_s: 1.0,
            ops: 10,
            ops_per_s,
            requests_per_s: ops_per_s,
            p50_ms: Some(p99 / 2.0),
            p90_ms: Some(p99 / 1.5),
            p99_ms: Some(p99),
            max_ms: Some(p99),
            mean_ms: Some(p99 / 2.0),
            errors,
            error_kinds: Vec::new(),
        }
    }

    #[test]
    fn verdicts_follow_the_design_targets() {
        let row = Row::new(
            "sqlite",
            summary("discovery", 32, 900.0, 2.0, 0),
            Some(1000.0),
            None,
        );
        assert_eq!(row.verdict, "ok");
        assert!((row.ratio.unwrap() - 0.9).abs() < 1e-9);
        let row = Row::new(
            "sqlite",
            summary("discovery", 32, 700.0, 12.0, 0),
            Some(1000.0),
            None,
        );
        assert_eq!(row.verdict, "BELOW 0.80 P99>10ms");
        let row = Row::new(
            "sqlite",
            summary("sso", 32, 100.0, 50.0, 0),
            Some(1000.0),
            None,
        );
        assert_eq!(
            row.verdict, "ok",
            "the p99 bound is for non-login workloads"
        );
        let row = Row::new(
            "sqlite",
            summary("password", 8, 10.0, 500.0, 3),
            Some(1000.0),
            None,
        );
        assert_eq!(row.verdict, "ERRORS");
        let row = Row::new("sqlite", summary("password", 8, 10.0, 500.0, 0), None, None);
        assert_eq!(row.verdict, "-");
        assert_eq!(row.ratio, None);
    }

    #[test]
    fn a_target_is_met_only_if_both_ratios_meet_it() {
        let cell = || summary("refresh", 32, 250.0, 4.0, 0);
        let both = Row::paired("sqlite", cell(), Some(900.0), Some(1000.0), None);
        assert_eq!(both.verdict, "ok");
        assert!((both.run_ratio.unwrap() - 0.25).abs() < 1e-9);
        // Slow framing runs flatter the cell; the whole-run baselines do not.
        let split = Row::paired("sqlite", cell(), Some(800.0), Some(1200.0), None);
        assert_eq!(split.verdict, "SPLIT 0.25");
        let neither = Row::paired("sqlite", cell(), Some(1100.0), Some(1200.0), None);
        assert_eq!(neither.verdict, "BELOW 0.25");
        // Without a second baseline the one ratio decides, as before.
        let single = Row::paired("sqlite", cell(), Some(1100.0), None, None);
        assert_eq!(single.verdict, "BELOW 0.25");
        assert_eq!(single.run_ratio, None);
    }

    #[test]
    fn the_table_has_one_line_per_row_and_shows_errors() {
        let rows = vec![
            Row::new(
                "sqlite",
                summary("refresh", 1, 10.0, 1.0, 0),
                Some(100.0),
                None,
            ),
            Row::new(
                "sqlite",
                summary("refresh", 8, 10.0, 1.0, 1),
                Some(100.0),
                None,
            ),
        ];
        let table = render_rows(&rows);
        assert_eq!(table.lines().count(), 3);
        assert!(table.lines().nth(2).unwrap().contains("ERRORS"));
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_and_of_an_even_count_the_mean_of_the_two() {
        assert_eq!(median(vec![0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(median(vec![0.4, 0.1, 0.3, 0.2]), Some(0.25));
        assert_eq!(median(Vec::new()), None);
    }

    /// Round `n` of a cell on `store` at the rate `ops`, framed by `framing` and against `whole`.
    fn round(store: &str, n: usize, workload: &str, ops: f64, framing: f64, whole: f64) -> Row {
        let label = round_label(store, n);
        let memory = Memory {
            rss_kib: 1024 * u64::try_from(n).unwrap(),
            peak_kib: 0,
        };
        Row::paired(
            &label,
            summary(workload, 32, ops, 2.0 + ops / 1000.0, 0),
            Some(framing),
            Some(whole),
            Some(memory),
        )
        .with_cpu_ratio(Some(ops / 100.0))
    }

    #[test]
    fn the_medians_of_several_rounds_give_one_verdict_per_cell() {
        let rows = vec![
            round("sqlite", 1, "refresh", 300.0, 1000.0, 1000.0),
            round("sqlite", 1, "sso", 120.0, 1000.0, 1000.0),
            round("memory", 1, "refresh", 400.0, 1000.0, 1000.0),
            // A slow stretch: below the target against both baselines in this round only.
            round("sqlite", 2, "refresh", 200.0, 1000.0, 1000.0),
            round("sqlite", 2, "sso", 90.0, 1000.0, 1100.0),
            round("sqlite", 3, "refresh", 280.0, 1000.0, 1000.0),
            round("sqlite", 3, "sso", 80.0, 1000.0, 1000.0),
        ];
        assert_eq!(rows[3].verdict, "BELOW 0.25");
        let medians = round_medians(&rows);
        // One row per store, workload and concurrency measured more than once, in first-seen order.
        let cells: Vec<_> = medians
            .iter()
            .map(|r| (r.store.as_str(), r.run.workload.as_str()))
            .collect();
        assert_eq!(cells, [("sqlite", "refresh"), ("sqlite", "sso")]);
        let refresh = &medians[0];
        assert_eq!(refresh.run.ops_per_s, 280.0);
        assert!((refresh.ratio.unwrap() - 0.28).abs() < 1e-9);
        assert_eq!(refresh.cpu_ratio, Some(2.8));
        assert!((refresh.run.p99_ms.unwrap() - 2.28).abs() < 1e-9);
        assert_eq!(refresh.run.ops, 30);
        assert_eq!(refresh.server_memory.map(|m| m.rss_kib), Some(3 * 1024));
        assert_eq!(refresh.verdict, "ok");
        // Two of three rounds below: the median is below too.
        assert_eq!(medians[1].ratio, Some(0.09));
        assert_eq!(medians[1].verdict, "BELOW 0.10");
        // Errors in any round are the median row's errors.
        let mut with_errors = rows.clone();
        with_errors[5].run.errors = 2;
        let medians = round_medians(&with_errors);
        assert_eq!(medians[0].run.errors, 2);
        assert_eq!(medians[0].verdict, "ERRORS");
        // A single round has nothing to take the median of.
        assert!(round_medians(&rows[..3]).is_empty());
    }

    #[test]
    fn the_report_prints_the_medians_only_after_several_rounds() {
        let machine = MachineInfo {
            cpu: "cpu".to_owned(),
            cores: 2,
            kernel: "6".to_owned(),
            loadavg_1m: None,
            commit: "c".to_owned(),
        };
        let report = |rows: Vec<Row>| Report {
            machine: machine.clone(),
            baseline: Vec::new(),
            baseline_after: Vec::new(),
            argon2id: Vec::new(),
            round_medians: round_medians(&rows),
            rows,
            final_memory: Vec::new(),
            paired_baseline: None,
        };
        let once = render(&report(vec![round(
            "sqlite", 1, "refresh", 300.0, 1000.0, 1000.0,
        )]));
        assert!(!once.contains("medians"));
        let twice = render(&report(vec![
            round("sqlite", 1, "refresh", 300.0, 1000.0, 1000.0),
            round("sqlite", 2, "refresh", 200.0, 1000.0, 1000.0),
        ]));
        let table = twice
            .split("medians of the 2 rounds")
            .nth(1)
            .expect("a medians table");
        let row = table
            .lines()
            .find(|l| l.starts_with("sqlite "))
            .expect("its row");
        assert!(row.contains("0.250") && row.ends_with("ok"), "{row}");
    }
}
