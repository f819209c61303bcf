//! Seed 004's refresh race, found by shuttle in the reference protocol
//! itself (`lockcheck::protocols::lockfile`): refresh by unlink-then-write
//! lets a second agent take the lock while the first still holds it, and
//! the seed's fix, write-temp-then-replace, closes that window as long as
//! no holder pauses past the lease (the seed's own assumption).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockcheck::fs::SimFs;
use lockcheck::fs::sync::ShuttleRuntime;
use lockcheck::protocols::history::NoHistory;
use lockcheck::protocols::lockfile::{LockFile, Refresh};
use shuttle::scheduler::{PctScheduler, RandomScheduler};
use shuttle::{Config, Runner};

/// Schedules explored per scheduler (fixed seeds: the same schedules on
/// every run).
const BUDGET: usize = 10_000;

/// Agent a holds the lock and refreshes it once while agent b tries once
/// to acquire it. Returns (schedules in which both believed they held the
/// lock at the end, schedules explored), over [`BUDGET`] random and
/// [`BUDGET`] PCT schedules from fixed seeds.
fn double_owners(variant: Refresh) -> (usize, usize) {
    let bad = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(AtomicUsize::new(0));
    let (bad2, all2) = (bad.clone(), all.clone());
    let scenario = move || {
        let fs = SimFs::<ShuttleRuntime>::default();
        let (a, b) = (fs.spawn(), fs.spawn());
        let lock = LockFile::new("", "agent", variant);
        let lease = lock.acquire(&a, &NoHistory, "a").expect("the lock is free");
        let contender = lock.clone();
        let t = shuttle::thread::spawn(move || {
            let got = contender.acquire(&b, &NoHistory, "b").is_ok();
            (got, b) // Keep b alive: a dead pid would make its lock stale.
        });
        let refreshed = lock.refresh(&a, &NoHistory, &lease).is_ok();
        let (b_got_it, _b) = t.join().unwrap();
        if refreshed && b_got_it {
            bad2.fetch_add(1, Ordering::SeqCst);
        }
        all2.fetch_add(1, Ordering::SeqCst);
    };
    let random = RandomScheduler::new_from_seed(4, BUDGET);
    Runner::new(random, Config::new()).run(scenario.clone());
    let pct = PctScheduler::new_from_seed(4, 3, BUDGET);
    Runner::new(pct, Config::new()).run(scenario);
    (bad.load(Ordering::SeqCst), all.load(Ordering::SeqCst))
}

#[test]
fn unlink_then_write_refresh_lets_two_owners_hold_the_lock() {
    let (bad, all) = double_owners(Refresh::UnlinkThenWrite);
    assert!(
        bad > 0,
        "the race window must be found: 0 of {all} interleavings"
    );
}

#[test]
fn write_temp_then_replace_refresh_never_lets_a_second_owner_in_without_pauses() {
    let (bad, all) = double_owners(Refresh::WriteTempThenReplace);
    assert_eq!(bad, 0, "{bad} of {all} schedules had two owners");
    assert_eq!(all, 2 * BUDGET);
}
