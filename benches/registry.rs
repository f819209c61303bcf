//! Registry update throughput on the real file system (seed 003's
//! `LockedRegistryFile`): in-place rewrite versus replace (temp + rename),
//! each with and without `fsync`, at 1, 2, 4 and 8 writer threads, each
//! writer with its own `RealFs` (flock locks, like separate processes).
//!
//! One update is `AgentRegistry::increment_counts(1, 1)` on a registry of
//! [`AGENTS`] agents (about 2 KiB of JSON), so the document keeps its size.
//! The lock is the seed's: `LOCK_EX|LOCK_NB`, sleeping the retry delay
//! (here 1 ms, the protocol's minimum) while another writer holds it.
//! `registry/unlocked` (the seed's code before its fix) is the no-lock
//! reference: it must be reported BROKEN as soon as two writers race.
//!
//! After every run `total_spawned` must have grown by exactly the number of
//! updates that returned `Ok`; a benchmark with a lost or failed update is
//! marked BROKEN in the summary, `<criterion dir>/registry-summary.md`,
//! and its rate counts successful updates only (a registry that no longer
//! parses fails every later update fast, which is not speed).
//!
//! ```sh
//! cargo bench --bench registry
//! cargo bench --bench registry -- 'registry/replace_fsync'
//! ```

#[path = "shared/report.rs"]
mod report;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use lockcheck::fs::RealFs;
use lockcheck::protocols::history::NoHistory;
use lockcheck::protocols::registry::{
    Agent, AgentRegistry, LockedRegistryFile, Registry, WriteMethod,
};
use report::{criterion_dir, load_average};

/// Agents in the registry before the run.
const AGENTS: usize = 20;

/// Writer counts.
const WRITERS: [usize; 4] = [1, 2, 4, 8];

/// The variants measured: name, write method, fsync.
const VARIANTS: [(&str, WriteMethod, bool); 5] = [
    ("in_place", WriteMethod::InPlace, false),
    ("in_place_fsync", WriteMethod::InPlace, true),
    ("replace", WriteMethod::Replace, false),
    ("replace_fsync", WriteMethod::Replace, true),
    ("unlocked", WriteMethod::Unlocked, false),
];

/// What one run gave.
struct RunResult {
    /// From the start signal until every writer was done.
    elapsed: Duration,
    /// Updates that returned `Ok`.
    made: u64,
    /// Updates that returned an error (a lock timeout, a registry that no
    /// longer parses).
    failed: u64,
    /// Updates that returned `Ok` but are missing from `total_spawned`.
    lost: u64,
    /// The registry could not be read at the end.
    unreadable: Option<String>,
}

/// Every run of one benchmark, added up.
#[derive(Default)]
struct Tally {
    made: u64,
    failed: u64,
    lost: u64,
    elapsed: Duration,
    runs: u64,
    bad_runs: u64,
    unreadable: Option<String>,
}

impl Tally {
    fn add(&mut self, r: RunResult) {
        self.made += r.made;
        self.failed += r.failed;
        self.lost += r.lost;
        self.elapsed += r.elapsed;
        self.runs += 1;
        if r.failed + r.lost > 0 || r.unreadable.is_some() {
            self.bad_runs += 1;
        }
        if self.unreadable.is_none() {
            self.unreadable = r.unreadable;
        }
    }

    /// Successful updates per second, or BROKEN with what went wrong.
    fn cell(&self) -> String {
        let per_sec = self.made as f64 / self.elapsed.as_secs_f64().max(1e-9);
        if self.bad_runs == 0 {
            return format!("{per_sec:.0}");
        }
        let mut why = format!(
            "in {}/{} runs: {} of {} updates lost, {} failed",
            self.bad_runs, self.runs, self.lost, self.made, self.failed
        );
        if let Some(e) = &self.unreadable {
            why.push_str(&format!("; {e}"));
        }
        format!("BROKEN ({per_sec:.0}; {why})")
    }
}

/// A fresh registry of [`AGENTS`] agents in a temp dir.
fn prepare(method: WriteMethod, fsync: bool) -> (tempfile::TempDir, LockedRegistryFile) {
    let dir = tempfile::tempdir().expect("temp dir");
    let fs = RealFs::new(dir.path()).expect("RealFs");
    let file = LockedRegistryFile::new("registry.json", method)
        .with_timeout(Duration::from_secs(60), Duration::from_millis(1))
        .with_fsync(fsync);
    let mut doc = Registry::default();
    for i in 0..AGENTS {
        let agent = Agent::new(format!("agent-{i}"), "running").with_field("task", "bench");
        doc.add_agent(agent, "orchestrator");
    }
    file.create(&fs, &doc).expect("create registry");
    (dir, file)
}

/// `writers` threads try `updates` updates between them; the time runs from
/// the start signal until all are done. Checks that the registry counts
/// every update that returned `Ok`.
fn run(method: WriteMethod, fsync: bool, writers: usize, updates: u64) -> RunResult {
    let (dir, file) = prepare(method, fsync);
    let registry = AgentRegistry::new(file.clone());
    let tickets = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let barrier = Barrier::new(writers + 1);
    let elapsed = std::thread::scope(|s| {
        for _ in 0..writers {
            s.spawn(|| {
                let fs = RealFs::new(dir.path()).expect("RealFs");
                barrier.wait();
                while tickets.fetch_add(1, Ordering::Relaxed) < updates {
                    if registry.increment_counts(&fs, &NoHistory, 1, 1).is_err() {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        barrier.wait();
        let start = Instant::now();
        // The scope joins the writers before returning.
        start
    })
    .elapsed();
    let fs = RealFs::new(dir.path()).expect("RealFs");
    let failed = failures.load(Ordering::Relaxed);
    let made = updates - failed;
    let (lost, unreadable) = match file.read(&fs) {
        Ok(doc) => (made.saturating_sub(doc.total_spawned - AGENTS as u64), None),
        Err(e) => (0, Some(format!("registry unreadable at the end: {e}"))),
    };
    RunResult {
        elapsed,
        made,
        failed,
        lost,
        unreadable,
    }
}

fn main() {
    let start_load = load_average();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10)
        .configure_from_args();
    let mut group = c.benchmark_group("registry");
    group.throughput(Throughput::Elements(1));
    group.sampling_mode(SamplingMode::Flat);
    let mut cells: Vec<(&str, usize, String)> = Vec::new();
    for (name, method, fsync) in VARIANTS {
        for writers in WRITERS {
            let tally = RefCell::new(Tally::default());
            group.bench_with_input(BenchmarkId::new(name, writers), &writers, |b, &w| {
                b.iter_custom(|iters| {
                    let r = run(method, fsync, w, iters);
                    let elapsed = r.elapsed;
                    tally.borrow_mut().add(r);
                    elapsed
                })
            });
            let t = tally.borrow();
            if t.runs == 0 {
                continue;
            }
            let cell = t.cell();
            println!("registry/{name}/{writers}: {cell} updates/s");
            cells.push((name, writers, cell));
        }
    }
    group.finish();
    c.final_summary();
    if cells.is_empty() {
        return;
    }
    let mut out = String::from("# registry summary\n\n");
    let _ = writeln!(
        out,
        "Written by `benches/registry.rs`: updates per second. Load average (1, 5, 15 min) {start_load} at the start, {} at the end.\n",
        load_average()
    );
    let _ = writeln!(
        out,
        "| variant | {} writers |",
        WRITERS.map(|w| w.to_string()).join(" | ")
    );
    let _ = writeln!(out, "|---|{}", "---:|".repeat(WRITERS.len()));
    for (name, _, _) in VARIANTS {
        let row: Vec<String> = WRITERS
            .iter()
            .map(|&w| {
                cells
                    .iter()
                    .find(|(n, k, _)| *n == name && *k == w)
                    .map_or("-".to_string(), |(_, _, c)| c.clone())
            })
            .collect();
        if row.iter().any(|c| c != "-") {
            let _ = writeln!(out, "| {name} | {} |", row.join(" | "));
        }
    }
    let path = criterion_dir().join("registry-summary.md");
    match std::fs::create_dir_all(criterion_dir()).and_then(|()| std::fs::write(&path, &out)) {
        Ok(()) => println!("\n{out}\nsummary written to {}", path.display()),
        Err(e) => println!("\n{out}\ncould not write {}: {e}", path.display()),
    }
}
