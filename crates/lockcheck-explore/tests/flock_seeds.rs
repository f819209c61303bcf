//! Seeds 000 and 001's flock lock file, explored: deleting the lock file
//! on release lets two processes hold "the" lock; keeping the file, or
//! re-checking after locking that the locked inode is still the one at the
//! path, does not.

use lockcheck_explore::workloads::flock_lockers;
use lockcheck_explore::{Property, Strategy};
use lockcheck_protocols::flock_lock::Release;

/// 10,000 random then 10,000 PCT schedules from a fixed seed.
fn budget() -> Strategy {
    Strategy::standard(1)
}

#[test]
fn flock_with_unlink_on_release_lets_two_of_three_processes_hold_the_lock() {
    let report = flock_lockers(Release::UnlinkOnRelease, 3)
        .only([Property::MutualExclusion, Property::NoLostUpdates])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_violates("mutual-exclusion");
}

#[test]
fn flock_with_unlink_on_release_leaves_a_waiter_holding_a_lock_on_a_deleted_file() {
    // With two processes the second can open the file, then wait, and get
    // the lock after the first unlinked it: it holds a lock on a file
    // nobody else can open.
    let report = flock_lockers(Release::UnlinkOnRelease, 2)
        .explore(budget())
        .unwrap();
    let c = report.assert_violates("lock-file-present");
    assert!(c.timeline.iter().any(|l| l.contains("nlink=0")), "{c}");
}

#[test]
fn flock_with_unlink_on_release_keeps_mutual_exclusion_with_two_processes_up_to_three_preemptions()
{
    // Two owners need a third process: one that opens the path after the
    // unlink, while the second holds the old inode.
    let report = flock_lockers(Release::UnlinkOnRelease, 2)
        .only([Property::MutualExclusion, Property::NoLostUpdates])
        .explore_exactly(Strategy::Loom { preemptions: 3 })
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn flock_keeping_the_file_keeps_one_holder() {
    let report = flock_lockers(Release::KeepFile, 3)
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
    assert_eq!(report.schedules, 20_000);
}

#[test]
fn flock_unlink_with_recheck_keeps_one_holder() {
    let report = flock_lockers(Release::UnlinkWithRecheck, 3)
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn loom_verifies_flock_unlink_with_recheck_for_two_processes() {
    let report = flock_lockers(Release::UnlinkWithRecheck, 2)
        .explore_exactly(Strategy::Loom { preemptions: 3 })
        .unwrap();
    println!("{report}");
    report.assert_safe();
}
