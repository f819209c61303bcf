//! SimFs under loom: every interleaving of two processes, exhaustively.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockcheck_fs::sync::LoomRuntime;
use lockcheck_fs::{Fs, LockApi, LockKind, OpenOptions, SimFs, Wait};

/// Two processes each increment a counter file: read, then write back.
/// With `locked`, they hold an exclusive flock around it.
fn counter_outcomes(locked: bool) -> Vec<u8> {
    let outcomes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = outcomes.clone();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    loom::model(move || {
        let fs = SimFs::<LoomRuntime>::default();
        let setup = fs.spawn();
        setup.write_file("counter", b"0").unwrap();
        drop(setup);
        let increment = move |p: lockcheck_fs::SimProc<LoomRuntime>| {
            let fd = p
                .open("counter", OpenOptions::new().read(true).write(true))
                .unwrap();
            if locked {
                p.flock(fd, LockKind::Exclusive, Wait::Block).unwrap();
            }
            let mut buf = [0u8; 1];
            p.read_at(fd, &mut buf, 0).unwrap();
            p.write_at(fd, &[buf[0] + 1], 0).unwrap();
            if locked {
                p.unlock(fd, LockApi::Flock).unwrap();
            }
            p.close(fd).unwrap();
        };
        let other = fs.spawn();
        let t = loom::thread::spawn(move || increment(other));
        increment(fs.spawn());
        t.join().unwrap();
        let last = fs.snapshot().file("counter").unwrap()[0];
        out.lock().unwrap().push(last);
        counted.fetch_add(1, Ordering::SeqCst);
    });
    assert!(runs.load(Ordering::SeqCst) > 1);
    let mut v = outcomes.lock().unwrap().clone();
    v.sort();
    v.dedup();
    v
}

#[test]
fn loom_finds_the_lost_update_of_an_unlocked_read_modify_write() {
    assert_eq!(counter_outcomes(false), b"12");
}

#[test]
fn loom_proves_flock_makes_the_read_modify_write_safe() {
    assert_eq!(counter_outcomes(true), b"2");
}
