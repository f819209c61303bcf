//! `lockcheck_explore::model`, the entry point for a user's own protocol.

use lockcheck_explore::{Ctx, Property, Scenario, model};
use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Fs, LockKind, OpenOptions, Wait};

/// A flock lock on a file that is never deleted: correct.
fn flock_worker(cx: &Ctx<ShuttleRuntime>) {
    let p = cx.proc();
    let fd = p
        .open("lock", OpenOptions::new().write(true).create(true))
        .unwrap();
    p.flock(fd, LockKind::Exclusive, Wait::Block).unwrap();
    cx.enter();
    let n: u32 = String::from_utf8(p.read_file("count").unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    p.write_file("count", (n + 1).to_string().as_bytes())
        .unwrap();
    cx.exit();
    p.close(fd).unwrap();
}

/// Check, then create: no lock at all.
fn racy_worker(cx: &Ctx<ShuttleRuntime>) {
    let p = cx.proc();
    if !p.exists("lock").unwrap() {
        p.write_file("lock", b"mine").unwrap();
        cx.enter();
        p.write_file("data", b"mine").unwrap();
        cx.exit();
        let _ = p.unlink("lock");
    }
}

/// Assumes its unlink cannot fail.
fn unwrapping_worker(cx: &Ctx<ShuttleRuntime>) {
    let p = cx.proc();
    p.write_file("lock", b"mine").unwrap();
    p.unlink("lock").unwrap();
}

#[test]
fn model_passes_a_correct_flock_lock() {
    let report = model(
        Scenario::new("flock")
            .process(flock_worker)
            .process(flock_worker)
            .process(flock_worker)
            .check(Property::MutualExclusion),
    );
    assert!(report.schedules >= 20_000 || std::env::var("LOCKCHECK_ITERATIONS").is_ok());
}

#[test]
#[should_panic(expected = "mutual-exclusion violated")]
fn model_panics_with_the_counterexample_of_a_check_then_create_lock() {
    model(
        Scenario::new("check then create")
            .process(racy_worker)
            .process(racy_worker)
            .check(Property::MutualExclusion),
    );
}

#[test]
fn a_panicking_process_is_reported_as_a_violation_not_a_crash_of_the_explorer() {
    let report = Scenario::new("unwrap on a race")
        .process(unwrapping_worker)
        .process(unwrapping_worker)
        .explore_exactly(lockcheck_explore::Strategy::Random {
            seed: 0,
            iterations: 1000,
        })
        .unwrap();
    let c = report.assert_violates("no-panic");
    assert!(c.violation.detail.contains("No such file"), "{c}");
}

#[test]
fn a_deadlock_is_reported_with_who_waits_for_what() {
    let crossed = |first: &'static str, second: &'static str| {
        move |cx: &Ctx<ShuttleRuntime>| {
            let p = cx.proc();
            let open = |name| {
                p.open(name, OpenOptions::new().write(true).create(true))
                    .unwrap()
            };
            let (a, b) = (open(first), open(second));
            p.flock(a, LockKind::Exclusive, Wait::Block).unwrap();
            p.flock(b, LockKind::Exclusive, Wait::Block).unwrap();
        }
    };
    let report = Scenario::new("crossed")
        .process(crossed("x", "y"))
        .process(crossed("y", "x"))
        .explore_exactly(lockcheck_explore::Strategy::Random {
            seed: 0,
            iterations: 1000,
        })
        .unwrap();
    let c = report.assert_violates("deadlock-free");
    assert!(
        c.violation.detail.contains("every live process is blocked"),
        "{c}"
    );
}
