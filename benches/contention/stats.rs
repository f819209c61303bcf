//! Wait-time histograms, fairness and the per-benchmark tally behind the
//! summary table.

use std::fmt::Write as _;
use std::time::Duration;

/// Sub-buckets per power of two: values are kept to within 1/16 (about 6%).
const SUB: usize = 16;
/// Buckets enough for any `u64` nanosecond count.
const BUCKETS: usize = 64 * SUB;

/// A log-linear histogram of nanosecond wait times (HDR-style, 6% buckets),
/// cheap to record into, merge and send between processes as text.
#[derive(Clone, Debug)]
pub struct Hist {
    counts: Vec<u64>,
}

impl Default for Hist {
    fn default() -> Self {
        Hist {
            counts: vec![0; BUCKETS],
        }
    }
}

impl Hist {
    fn index(v: u64) -> usize {
        if v < SUB as u64 {
            return v as usize;
        }
        let e = 63 - v.leading_zeros() as usize; // e >= 4
        let sub = ((v >> (e - 4)) as usize) & (SUB - 1);
        (e - 3) * SUB + sub
    }

    /// The smallest value of bucket `i`.
    fn low(i: usize) -> u64 {
        if i < SUB {
            return i as u64;
        }
        let (e, sub) = (i / SUB + 3, (i % SUB) as u64);
        (SUB as u64 + sub) << (e - 4)
    }

    /// Counts one wait.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::index(ns)] += 1;
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Number of waits recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The `q` quantile (0..=1), as its bucket's lower bound; `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(Duration::from_nanos(Self::low(i)));
            }
        }
        None
    }

    /// `index:count` pairs of the non-empty buckets, space separated.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        for (i, c) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let _ = write!(s, "{i}:{c} ");
        }
        s
    }

    /// Parses [`Hist::encode`]'s output.
    pub fn decode(s: &str) -> Option<Hist> {
        let mut h = Hist::default();
        for pair in s.split_whitespace() {
            let (i, c) = pair.split_once(':')?;
            let i: usize = i.parse().ok()?;
            *h.counts.get_mut(i)? += c.parse::<u64>().ok()?;
        }
        Some(h)
    }
}

/// How long a run should last: each run's size is set from the rate seen
/// so far in the benchmark to take about this long, so that start-up skew
/// stays small and every contender gets scheduler time slices; the time
/// returned to criterion is scaled back to the iterations it asked for.
pub const MIN_RUN: Duration = Duration::from_millis(50);

/// The shortest run whose per-contender shares count for fairness (half
/// of [`MIN_RUN`], as runs sized for it land on either side of it).
pub const FAIR_RUN: Duration = Duration::from_millis(25);

/// Jain's fairness index of per-contender acquisition counts: 1 when all
/// got the same share, 1/n when one got everything.
pub fn jain(counts: &[u64]) -> f64 {
    let sum: f64 = counts.iter().map(|&c| c as f64).sum();
    let squares: f64 = counts.iter().map(|&c| (c as f64) * (c as f64)).sum();
    if squares == 0.0 {
        return 1.0;
    }
    sum * sum / (counts.len() as f64 * squares)
}

/// The smallest share divided by the largest (1 = equal; 0 = someone starved).
pub fn min_max(counts: &[u64]) -> f64 {
    let (min, max) = (counts.iter().min(), counts.iter().max());
    match (min, max) {
        (Some(&min), Some(&max)) if max > 0 => min as f64 / max as f64,
        _ => 1.0,
    }
}

/// What one contended run gave.
#[derive(Debug, Default)]
pub struct RunResult {
    /// From the start signal until every contender had finished.
    pub elapsed: Duration,
    /// Acquisitions (with the counter incremented) per contender.
    pub per_contender: Vec<u64>,
    /// Wait for every acquisition, from the first try to holding the lock.
    pub waits: Hist,
    /// The counter file's value at the end.
    pub counter: u64,
    /// Why the run is not to be trusted (lost updates, a failed call).
    pub problem: Option<String>,
}

/// Every run of one benchmark (warm-up included), added up.
#[derive(Debug, Default)]
pub struct Tally {
    runs: u64,
    acquisitions: u64,
    elapsed: Duration,
    waits: Hist,
    jain_sum: f64,
    fair_runs: u64,
    worst_min_max: Option<f64>,
    problem: Option<String>,
    broken_runs: u64,
}

impl Tally {
    /// Adds one run. Fairness counts only runs long enough to mean
    /// something: at least [`FAIR_RUN`] long (several scheduler time
    /// slices, so that every contender has been running) and at least 20
    /// acquisitions per contender on average.
    pub fn add(&mut self, r: &RunResult) {
        let acquired: u64 = r.per_contender.iter().sum();
        self.runs += 1;
        self.acquisitions += acquired;
        self.elapsed += r.elapsed;
        self.waits.merge(&r.waits);
        if r.elapsed >= FAIR_RUN && acquired >= 20 * r.per_contender.len() as u64 {
            self.jain_sum += jain(&r.per_contender);
            self.fair_runs += 1;
            let mm = min_max(&r.per_contender);
            self.worst_min_max = Some(self.worst_min_max.map_or(mm, |w: f64| w.min(mm)));
        }
        if let Some(p) = &r.problem {
            self.broken_runs += 1;
            self.problem.get_or_insert_with(|| p.clone());
        }
    }

    /// The fewest acquisitions a run should take to last about `min` at the
    /// rate seen so far, and at least 20 per contender.
    pub fn min_target(&self, contenders: usize, min: Duration) -> u64 {
        let floor = 20 * contenders as u64;
        if self.elapsed.is_zero() {
            return floor;
        }
        let rate = self.acquisitions as f64 / self.elapsed.as_secs_f64();
        floor.max((rate * min.as_secs_f64()) as u64)
    }

    /// The summary row, or `None` if the benchmark did not run (filtered out).
    pub fn row(&self, mode: &str, strategy: &str, contenders: usize) -> Option<Row> {
        if self.runs == 0 {
            return None;
        }
        let verdict = match &self.problem {
            None => "ok".to_string(),
            Some(p) => format!("BROKEN in {}/{} runs: {p}", self.broken_runs, self.runs),
        };
        Some(Row {
            mode: mode.to_string(),
            strategy: strategy.to_string(),
            contenders,
            per_sec: self.acquisitions as f64 / self.elapsed.as_secs_f64().max(1e-9),
            p50: self.waits.quantile(0.50),
            p99: self.waits.quantile(0.99),
            jain: (self.fair_runs > 0).then(|| self.jain_sum / self.fair_runs as f64),
            min_max: self.worst_min_max,
            broken: self.problem.is_some(),
            verdict,
        })
    }
}

/// One line of the summary.
#[derive(Clone, Debug)]
pub struct Row {
    /// `threads` or `processes`.
    pub mode: String,
    /// The strategy's name.
    pub strategy: String,
    /// Number of contenders.
    pub contenders: usize,
    /// Acquisitions (with critical section and release) per second, over
    /// every run of the benchmark.
    pub per_sec: f64,
    /// Median wait to acquire.
    pub p50: Option<Duration>,
    /// 99th percentile wait to acquire.
    pub p99: Option<Duration>,
    /// Mean Jain index over the runs long enough to judge.
    pub jain: Option<f64>,
    /// Worst smallest/largest share over those runs.
    pub min_max: Option<f64>,
    /// Whether any run lost an update or failed.
    pub broken: bool,
    /// `ok`, or `BROKEN ...` with the first reason.
    pub verdict: String,
}

/// A duration in the unit that keeps it short.
pub fn short(d: Option<Duration>) -> String {
    let Some(d) = d else {
        return "-".to_string();
    };
    let ns = d.as_nanos() as f64;
    match ns {
        n if n < 1e3 => format!("{n:.0} ns"),
        n if n < 1e6 => format!("{:.1} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.2} s", n / 1e9),
    }
}

/// A rate with a k/M suffix.
pub fn rate(r: f64) -> String {
    match r {
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0}"),
    }
}

impl Row {
    /// One line for the terminal.
    pub fn line(&self) -> String {
        let opt = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        format!(
            "{}/{}/{}: {}/s  wait p50 {} p99 {}  Jain {}  min/max {}  {}",
            self.mode,
            self.strategy,
            self.contenders,
            rate(self.per_sec),
            short(self.p50),
            short(self.p99),
            opt(self.jain),
            opt(self.min_max),
            self.verdict
        )
    }
}
