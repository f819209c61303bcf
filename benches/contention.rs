//! Lock strategies under contention on the real file system.
//!
//! Every strategy (see `contention/strategy.rs`) runs with 1, 2, 4, 8 and
//! 16 contenders, as threads of this process (`threads/<strategy>/<n>`) and
//! as separate OS processes (`processes/<strategy>/<n>`: this binary re-runs
//! itself in child mode, selected by an environment variable checked at
//! the top of `main`). Each run uses a fresh `tempfile` directory. Each
//! acquisition's critical section reads a counter file, increments it and
//! writes it back; the counter doubles as the run's budget (a contender
//! stops when it reads the target), so faster contenders take more
//! acquisitions and the per-contender counts measure fairness.
//!
//! Criterion reports throughput (acquire + critical section + release per
//! second, timed with `iter_custom` from the moment all contenders are
//! ready). This bench adds, per benchmark: p50 and p99 wait to acquire,
//! Jain's fairness index and the worst min/max share, and a check that the
//! counter equals the number of acquisitions; a strategy that loses updates
//! is reported as BROKEN, not as fast. The tables go to
//! `<criterion dir>/contention-summary.md` (`target/criterion/` by default).
//!
//! `uncontended/*` compares the reference flock lock's acquire + release
//! with the raw `flock` pair (goal: within 1.2x): per acquisition as the
//! seeds do (open, flock, unlock, close) and through the kept-open handle
//! (`FlockLock::handle`: one flock pair).
//!
//! ```sh
//! cargo bench --bench contention                                # everything
//! cargo bench --bench contention -- threads/flock_keep_file     # one strategy
//! cargo bench --bench contention -- 'processes/.*/16$'          # one level
//! cargo bench --bench contention -- uncontended                 # the 1.2x goal
//! ```

#[path = "shared/report.rs"]
mod report;
#[path = "contention/run.rs"]
mod run;
#[path = "contention/stats.rs"]
mod stats;
#[path = "contention/strategy.rs"]
mod strategy;

use std::cell::RefCell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use lockcheck::fs::{RealFs, Wait};
use lockcheck::protocols::flock_lock::{Acquire, FlockLock, Release};
use lockcheck::protocols::history::NoHistory;

use report::{criterion_dir, load_average};
use run::{CHILD_ENV, child_main, run_processes, run_threads};
use stats::{Row, Tally, rate, short};
use strategy::Strategy;

/// Contention levels.
const CONTENDERS: [usize; 5] = [1, 2, 4, 8, 16];

/// Mean time per iteration over every call of one `iter_custom` benchmark.
#[derive(Default)]
struct Mean {
    iters: u64,
    total: Duration,
}

impl Mean {
    fn get(&self) -> Option<Duration> {
        (self.iters > 0).then(|| self.total / self.iters as u32)
    }
}

/// One uncontended acquire + release.
type Op<'a> = Box<dyn Fn() + 'a>;

/// Acquire + release without contention: the raw flock pair (the floor),
/// the same pair around an open and a close (what a lock that opens its
/// file per acquisition must pay), and the reference `FlockLock`.
fn uncontended(c: &mut Criterion) -> Vec<(&'static str, Duration)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let fs = RealFs::new(dir.path()).expect("RealFs");
    let path = dir.path().join("raw.lock");
    let open = || {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .expect("open raw.lock")
    };
    let flock = |fd: i32, op: i32| {
        // SAFETY: `fd` is an open descriptor of a file alive in the caller.
        assert_eq!(unsafe { libc::flock(black_box(fd), op) }, 0);
    };
    let file = open();
    let lock = FlockLock::new("", Release::KeepFile).with_mode(Acquire::Block);
    let handle = RefCell::new(lock.handle(&fs, "handle").expect("open the handle"));
    let benches: [(&'static str, Op); 4] = [
        (
            "raw_flock_pair",
            Box::new(|| {
                flock(file.as_raw_fd(), libc::LOCK_EX);
                flock(file.as_raw_fd(), libc::LOCK_UN);
            }),
        ),
        (
            "raw_open_flock_close",
            Box::new(|| {
                let f = open();
                flock(f.as_raw_fd(), libc::LOCK_EX);
                flock(f.as_raw_fd(), libc::LOCK_UN);
            }),
        ),
        (
            "flock_keep_file",
            Box::new(|| {
                let guard = lock.acquire(&fs, &NoHistory, "bench").expect("acquire");
                guard.release(&fs, &NoHistory).expect("release");
            }),
        ),
        (
            "flock_keep_file_handle",
            Box::new(|| {
                let mut h = handle.borrow_mut();
                assert!(h.lock(&fs, Wait::Block).expect("lock"));
                h.unlock(&fs).expect("unlock");
            }),
        ),
    ];
    let mut group = c.benchmark_group("uncontended");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(3));
    group.sample_size(30);
    let mut means = Vec::new();
    for (name, f) in &benches {
        let mean = RefCell::new(Mean::default());
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    f();
                }
                let took = start.elapsed();
                let mut m = mean.borrow_mut();
                m.iters += iters;
                m.total += took;
                took
            })
        });
        if let Some(m) = mean.borrow().get() {
            println!(
                "uncontended/{name}: mean {} per acquire+release",
                short(Some(m))
            );
            means.push((*name, m));
        }
    }
    group.finish();
    means
}

/// Threads or processes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Threads,
    Processes,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Threads => "threads",
            Mode::Processes => "processes",
        }
    }
}

fn contended(c: &mut Criterion, mode: Mode, rows: &mut Vec<Row>) {
    let mut group = c.benchmark_group(mode.name());
    group.throughput(Throughput::Elements(1));
    group.sampling_mode(SamplingMode::Flat);
    for strategy in Strategy::ALL {
        // A std mutex does not cross processes.
        if mode == Mode::Processes && strategy == Strategy::Mutex {
            continue;
        }
        for n in CONTENDERS {
            let tally = RefCell::new(Tally::default());
            let id = BenchmarkId::new(strategy.name(), n);
            group.bench_with_input(id, &n, |b, &n| {
                b.iter_custom(|iters| {
                    let target = iters.max(tally.borrow().min_target(n, stats::MIN_RUN));
                    let r = match mode {
                        Mode::Threads => run_threads(strategy, n, target),
                        Mode::Processes => run_processes(strategy, n, target),
                    };
                    tally.borrow_mut().add(&r);
                    let acquired: u64 = r.per_contender.iter().sum::<u64>().max(1);
                    r.elapsed.mul_f64(iters as f64 / acquired as f64)
                })
            });
            if let Some(row) = tally.borrow().row(mode.name(), strategy.name(), n) {
                println!("{}", row.line());
                rows.push(row);
            }
        }
    }
    group.finish();
}

/// One pivot table: a row per strategy, a column per contention level.
fn pivot(out: &mut String, title: &str, rows: &[&Row], cell: impl Fn(&Row) -> String) {
    let _ = writeln!(out, "\n#### {title}\n");
    let levels: Vec<String> = CONTENDERS.iter().map(|n| n.to_string()).collect();
    let _ = writeln!(out, "| strategy | {} |", levels.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(CONTENDERS.len()));
    for s in Strategy::ALL {
        let cells: Vec<String> = CONTENDERS
            .iter()
            .map(|&n| {
                rows.iter()
                    .find(|r| r.strategy == s.name() && r.contenders == n)
                    .map_or("-".to_string(), |r| cell(r))
            })
            .collect();
        if cells.iter().any(|c| c != "-") {
            let _ = writeln!(out, "| {} | {} |", s.name(), cells.join(" | "));
        }
    }
}

fn summary(uncontended: &[(&str, Duration)], rows: &[Row], load: (String, String)) -> String {
    let mut out = String::from("# contention summary\n\n");
    let _ = writeln!(
        out,
        "Written by `benches/contention.rs`. {} CPUs; load average (1, 5, 15 min) {} at the start, {} at the end.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.0,
        load.1
    );
    if !uncontended.is_empty() {
        let _ = writeln!(
            out,
            "\n### uncontended acquire + release\n\n| benchmark | mean |\n|---|---:|"
        );
        for (name, d) in uncontended {
            let _ = writeln!(out, "| `uncontended/{name}` | {} |", short(Some(*d)));
        }
        let get = |n: &str| uncontended.iter().find(|(k, _)| *k == n).map(|(_, d)| *d);
        if let (Some(lock), Some(raw)) = (get("flock_keep_file_handle"), get("raw_flock_pair")) {
            let ratio = lock.as_secs_f64() / raw.as_secs_f64();
            let met = if ratio <= 1.2 { "met" } else { "NOT met" };
            let _ = writeln!(
                out,
                "\nReference flock lock, kept-open handle / raw flock pair: **{ratio:.2}x** (goal ≤ 1.2x: {met})."
            );
        }
        if let (Some(lock), Some(raw)) = (get("flock_keep_file"), get("raw_flock_pair")) {
            let ratio = lock.as_secs_f64() / raw.as_secs_f64();
            let _ = writeln!(
                out,
                "Reference flock lock, opening per acquisition / raw flock pair: **{ratio:.2}x**."
            );
        }
        if let (Some(lock), Some(raw)) = (get("flock_keep_file"), get("raw_open_flock_close")) {
            let ratio = lock.as_secs_f64() / raw.as_secs_f64();
            let _ = writeln!(
                out,
                "Reference flock lock / raw open + flock pair + close: **{ratio:.2}x**."
            );
        }
    }
    for mode in [Mode::Threads, Mode::Processes] {
        let rows: Vec<&Row> = rows.iter().filter(|r| r.mode == mode.name()).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n### {}", mode.name());
        pivot(&mut out, "acquisitions per second", &rows, |r| {
            if r.broken {
                format!("BROKEN ({})", rate(r.per_sec))
            } else {
                rate(r.per_sec)
            }
        });
        pivot(&mut out, "wait to acquire, p50 / p99", &rows, |r| {
            format!("{} / {}", short(r.p50), short(r.p99))
        });
        pivot(
            &mut out,
            "fairness: Jain index / worst min:max share",
            &rows,
            |r| {
                let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
                format!("{} / {}", f(r.jain), f(r.min_max))
            },
        );
        let broken: Vec<&&Row> = rows.iter().filter(|r| r.broken).collect();
        if !broken.is_empty() {
            let _ = writeln!(out, "\n#### BROKEN\n");
            for r in broken {
                let _ = writeln!(
                    out,
                    "- `{}/{}/{}`: {}",
                    r.mode, r.strategy, r.contenders, r.verdict
                );
            }
        }
    }
    out
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        std::process::exit(child_main(&spec));
    }
    let start_load = load_average();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(10)
        .configure_from_args();
    let means = uncontended(&mut c);
    let mut rows = Vec::new();
    contended(&mut c, Mode::Threads, &mut rows);
    contended(&mut c, Mode::Processes, &mut rows);
    c.final_summary();
    if means.is_empty() && rows.is_empty() {
        return;
    }
    let text = summary(&means, &rows, (start_load, load_average()));
    let dir = criterion_dir();
    let path = dir.join("contention-summary.md");
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &text)) {
        Ok(()) => println!("\n{text}\nsummary written to {}", path.display()),
        Err(e) => println!("\n{text}\ncould not write {}: {e}", path.display()),
    }
}
