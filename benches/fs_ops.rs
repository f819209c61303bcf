//! Speed of the `Fs` backends on the calls lock protocols make.
//!
//! - `simfs_ops/*`: SimFs under the std runtime, one process, one thread,
//!   running a lock-protocol mix (write a temp file, rename it into place,
//!   stat, flock NB + unlock, read it back, unlink). Throughput is counted in
//!   atomic SimFs steps (one step per system call). Each timed iteration
//!   runs [`ROUNDS`] rounds on a fresh SimFs, so a traced run's trace stays
//!   bounded; creating and dropping the SimFs is not timed.
//!   Target: at least 1,000,000 steps per second per core.
//! - `realfs_flock/*`: an exclusive flock lock+unlock pair through RealFs on
//!   a file in a temp dir, against the same pair of raw `flock(2)` calls.
//!   Target: RealFs within 1.2x of raw.
//!
//! Run with `cargo bench --bench fs_ops`; figures go to BENCHMARKS.md.

use std::hint::black_box;
use std::os::fd::AsRawFd;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lockcheck::fs::{Fs, LockApi, LockKind, OpenOptions, RealFs, SimConfig, SimFs, SimProc, Wait};

/// Rounds of the mix per timed iteration (a few thousand steps).
const ROUNDS: usize = 200;

/// One round of a lock protocol's calls, as a process would make them.
fn round(p: &SimProc, payload: &[u8]) {
    let create = OpenOptions::new().write(true).create(true).truncate(true);
    let fd = p.open("lock.tmp", create).unwrap();
    p.write(fd, payload).unwrap();
    p.close(fd).unwrap();
    p.rename("lock.tmp", "lock").unwrap();
    black_box(p.stat("lock").unwrap());
    let fd = p.open("lock", OpenOptions::new().read(true)).unwrap();
    p.flock(fd, LockKind::Exclusive, Wait::NonBlock).unwrap();
    p.unlock(fd, LockApi::Flock).unwrap();
    p.close(fd).unwrap();
    black_box(p.read_file("lock").unwrap());
    p.unlink("lock").unwrap();
}

/// Atomic steps one round takes, counted by SimFs itself.
fn steps_per_round() -> u64 {
    let fs: SimFs = SimFs::with_config(SimConfig {
        trace: false,
        ..Default::default()
    });
    let p = fs.spawn();
    let before = fs.steps();
    round(&p, b"pid 100\n");
    fs.steps() - before
}

fn simfs_ops(c: &mut Criterion) {
    let steps = steps_per_round() * ROUNDS as u64;
    let mut group = c.benchmark_group("simfs_ops");
    group.throughput(Throughput::Elements(steps));
    for (name, trace) in [("trace_on", true), ("trace_off", false)] {
        let config = SimConfig {
            trace,
            ..Default::default()
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let fs: SimFs = SimFs::with_config(config.clone());
                    let p = fs.spawn();
                    (fs, p)
                },
                |(fs, p)| {
                    for _ in 0..ROUNDS {
                        round(&p, b"pid 100\n");
                    }
                    // Returned so that dropping the world is not timed.
                    (fs, p)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn realfs_flock(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("realfs_flock");
    group.throughput(Throughput::Elements(1));

    let fs = RealFs::new(dir.path()).unwrap();
    let opts = OpenOptions::new().read(true).write(true).create(true);
    let fd = fs.open("realfs.lock", opts).unwrap();
    group.bench_function("realfs_lock_unlock", |b| {
        b.iter(|| {
            fs.flock(black_box(fd), LockKind::Exclusive, Wait::Block)
                .unwrap();
            fs.unlock(black_box(fd), LockApi::Flock).unwrap();
        })
    });
    fs.close(fd).unwrap();

    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.path().join("raw.lock"))
        .unwrap();
    let raw = file.as_raw_fd();
    group.bench_function("raw_flock_lock_unlock", |b| {
        b.iter(|| {
            // SAFETY: `raw` is the open descriptor of `file`, alive here.
            unsafe {
                assert_eq!(libc::flock(black_box(raw), libc::LOCK_EX), 0);
                assert_eq!(libc::flock(black_box(raw), libc::LOCK_UN), 0);
            }
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = simfs_ops, realfs_flock
}
criterion_main!(benches);
