//! SimFs is deterministic: the same scenario under the same shuttle seed
//! gives the same trace of calls, bit for bit.

use std::sync::{Arc, Mutex};

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Fs, LockApi, LockKind, OpenOptions, SimConfig, SimFs, TraceEvent, Wait};
use shuttle::scheduler::RandomScheduler;
use shuttle::{Config, Runner};

/// Three processes refresh a lock file by temp-and-rename under flock
/// (with torn writes on, so there is a lot to interleave), once under the
/// given seed; returns the traces of every execution.
fn traces_for_seed(seed: u64, executions: usize) -> Vec<Vec<TraceEvent>> {
    let traces = Arc::new(Mutex::new(Vec::new()));
    let out = traces.clone();
    let runner = Runner::new(
        RandomScheduler::new_from_seed(seed, executions),
        Config::new(),
    );
    runner.run(move || {
        let config = SimConfig {
            torn_write_size: Some(8),
            ..SimConfig::default()
        };
        let fs = SimFs::<ShuttleRuntime>::build(config);
        let workers: Vec<_> = (0..3)
            .map(|i| {
                let p = fs.spawn();
                shuttle::thread::spawn(move || {
                    let lock = p
                        .open("lock", OpenOptions::new().write(true).create(true))
                        .unwrap();
                    p.flock(lock, LockKind::Exclusive, Wait::Block).unwrap();
                    let tmp = format!("record.{i}.tmp");
                    p.write_file(&tmp, format!("{{\"owner\": {i}, \"pid\": 100}}").as_bytes())
                        .unwrap();
                    p.rename(&tmp, "record").unwrap();
                    let _ = p.read_file("record");
                    p.unlock(lock, LockApi::Flock).unwrap();
                    p.close(lock).unwrap();
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        out.lock().unwrap().push(fs.trace());
    });
    Arc::try_unwrap(traces).unwrap().into_inner().unwrap()
}

#[test]
fn the_same_shuttle_seed_gives_the_same_trace_twice() {
    let first = traces_for_seed(7, 20);
    let second = traces_for_seed(7, 20);
    assert_eq!(first.len(), 20);
    assert!(
        first.iter().all(|t| t.len() > 30),
        "every execution ran the whole scenario"
    );
    assert_eq!(first, second);
}

#[test]
fn different_seeds_explore_different_interleavings() {
    let a = traces_for_seed(7, 20);
    let b = traces_for_seed(8, 20);
    assert_ne!(a, b);
    let distinct: std::collections::HashSet<_> = a.iter().collect();
    assert!(
        distinct.len() > 1,
        "one seed's executions differ among themselves"
    );
}
