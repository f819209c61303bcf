//! How fast the explorer finds the seeds' bugs, verifies the fixed
//! variants, and runs schedules. Figures go to BENCHMARKS.md.
//!
//! - `find/*`: explore one seeded bug's scenario from one seed until the
//!   first counterexample (random then PCT; shrinking and the traced replay
//!   are not timed: `Report::elapsed`).
//! - With the argument `table` (`cargo bench -p lockcheck-explore --bench
//!   explore -- table`), no criterion group runs; instead a table prints,
//!   per bug, the schedules run and the milliseconds until the first
//!   counterexample for seeds 0 to 4 and their median, and for each fixed
//!   variant the time to explore its whole budget.
//! - `verify/*`: a fixed variant over its whole stated budget.
//! - `throughput/two_processes_ten_steps`: schedules per second for two
//!   processes of five file-system calls each (random scheduler, monitors
//!   on, untraced).
//! - `loom/*`: the fixed refresh variant with two processes, exhaustively
//!   up to two preemptions.
//!
//! Run with `cargo bench -p lockcheck-explore --bench explore`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockcheck_explore::workloads::{
    board, flock_lockers, paused_holder, refresh_race, registry_adders,
};
use lockcheck_explore::{Property, REGISTRY, Scenario, Strategy};
use lockcheck_fs::{Fs, OpenOptions};
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::lockfile::Refresh;
use lockcheck_protocols::registry::WriteMethod;
use lockcheck_protocols::taskboard::LockScope;

fn search(seed: u64) -> Strategy {
    Strategy::RandomThenPct {
        seed,
        iterations: 10_000,
        depth: 3,
    }
}

/// The seeded bugs: name, scenario.
fn bugs() -> Vec<(&'static str, Scenario)> {
    vec![
        (
            "lockfile_unlink_then_write",
            refresh_race(Refresh::UnlinkThenWrite),
        ),
        (
            "lockfile_temp_replace_paused",
            paused_holder(Refresh::WriteTempThenReplace).only([Property::MutualExclusion]),
        ),
        (
            "flock_unlink_on_release_3",
            flock_lockers(Release::UnlinkOnRelease, 3).only([Property::MutualExclusion]),
        ),
        (
            "registry_in_place_torn",
            registry_adders(WriteMethod::InPlace)
                .torn_writes(32)
                .only([Property::JsonParses {
                    path: REGISTRY.into(),
                    allow_empty: false,
                }]),
        ),
        (
            "registry_unlocked_lost_add",
            registry_adders(WriteMethod::Unlocked),
        ),
        ("taskboard_task_lock", board(LockScope::TaskLock)),
    ]
}

/// The fixed variants and their budgets.
fn fixed() -> Vec<(&'static str, Scenario)> {
    vec![
        (
            "lockfile_temp_replace",
            refresh_race(Refresh::WriteTempThenReplace),
        ),
        (
            "lockfile_fenced_paused",
            paused_holder(Refresh::Fenced).only([Property::NoLostUpdates]),
        ),
        ("flock_keep_file_3", flock_lockers(Release::KeepFile, 3)),
        (
            "registry_replace",
            registry_adders(WriteMethod::Replace).torn_writes(32),
        ),
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Prints schedules and milliseconds to the first counterexample, seeds 0-4.
fn table() {
    println!(
        "| bug | schedules (seeds 0-4) | ms to first counterexample (seeds 0-4) | median ms | max ms |"
    );
    println!("|---|---|---|---|---|");
    for (name, scenario) in bugs() {
        let mut schedules = Vec::new();
        let mut ms = Vec::new();
        for seed in 0..5 {
            let report = scenario.explore_exactly(search(seed)).unwrap();
            assert!(
                report.counterexample.is_some(),
                "{name}: seed {seed} found nothing"
            );
            schedules.push(report.schedules.to_string());
            ms.push(report.elapsed.as_secs_f64() * 1000.0);
        }
        let shown: Vec<String> = ms.iter().map(|m| format!("{m:.2}")).collect();
        let max = ms.iter().copied().fold(0.0, f64::max);
        println!(
            "| {name} | {} | {} | {:.2} | {max:.2} |",
            schedules.join(", "),
            shown.join(", "),
            median(ms.clone())
        );
    }
    for (name, scenario) in fixed() {
        let start = Instant::now();
        let report = scenario.explore_exactly(search(0)).unwrap();
        assert!(report.counterexample.is_none(), "{name}: {report}");
        println!(
            "| {name} (fixed, 10k random + 10k PCT) | {} | {:.0} ms total |  |  |",
            report.schedules,
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}

fn small() -> Scenario {
    let body = |name: &'static str| {
        move |cx: &lockcheck_explore::Ctx<_>| {
            let p = cx.proc();
            let fd = p
                .open(name, OpenOptions::new().write(true).create(true))
                .unwrap();
            p.write(fd, b"x").unwrap();
            p.close(fd).unwrap();
            black_box(p.stat(name).unwrap());
            p.unlink(name).unwrap();
        }
    };
    Scenario::new("small")
        .process(body("a"))
        .process(body("b"))
        .check(Property::MutualExclusion)
        .check(Property::NoTempFiles)
}

fn benches(c: &mut Criterion) {
    if std::env::args().any(|a| a == "table") {
        table();
        return;
    }
    let mut g = c.benchmark_group("throughput");
    let n = 1_000;
    g.throughput(Throughput::Elements(n));
    g.bench_function("two_processes_ten_steps", |b| {
        let s = small();
        b.iter(|| {
            let r = s
                .explore_exactly(Strategy::Random {
                    seed: 0,
                    iterations: n as usize,
                })
                .unwrap();
            assert!(r.counterexample.is_none());
        })
    });
    g.bench_function("raw_shuttle_two_threads_ten_locks", |b| {
        // The floor: shuttle alone, two threads taking a mutex five times
        // each around a tiny in-memory "file", no SimFs, no monitors.
        b.iter(|| {
            let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, n as usize);
            shuttle::Runner::new(scheduler, shuttle::Config::new()).run(|| {
                let file = std::sync::Arc::new(shuttle::sync::Mutex::new(Vec::<u8>::new()));
                let other = file.clone();
                let t = shuttle::thread::spawn(move || {
                    for _ in 0..5 {
                        other.lock().unwrap().push(1);
                    }
                });
                for _ in 0..5 {
                    file.lock().unwrap().push(2);
                }
                t.join().unwrap();
            });
        })
    });
    g.finish();
    let mut g = c.benchmark_group("loom");
    g.sample_size(10);
    g.bench_function("lockfile_temp_replace_2_processes_bound_2", |b| {
        let s = refresh_race(Refresh::WriteTempThenReplace);
        b.iter(|| {
            s.explore_exactly(Strategy::Loom { preemptions: 2 })
                .unwrap()
        })
    });
    g.finish();
    let mut g = c.benchmark_group("find");
    g.sample_size(20);
    for (name, scenario) in bugs() {
        g.bench_function(name, |b| {
            b.iter(|| scenario.explore_exactly(search(0)).unwrap().elapsed)
        });
    }
    g.finish();
}

criterion_group!(explore, benches);
criterion_main!(explore);
