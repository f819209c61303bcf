//! The README's "Test your own lock code" example, kept compiling and
//! true: a user's protocol over `Fs`, explored with `lockcheck::explore`.

use lockcheck::explore::{Ctx, Property, Scenario, Strategy};
use lockcheck::fs::sync::ShuttleRuntime;
use lockcheck::fs::{Fs, OpenOptions};

/// Take the lock with O_EXCL, refresh it, release it. `unlink_refresh`:
/// refresh by deleting and rewriting the file (the seed-004 way) rather
/// than by writing a temp file and renaming it over the lock.
fn worker(cx: &Ctx<ShuttleRuntime>, unlink_refresh: bool) {
    let p = cx.proc();
    let me = format!("p{}", cx.pid());
    let Ok(fd) = p.open("lock", OpenOptions::new().write(true).create_new(true)) else {
        return; // Somebody holds it.
    };
    p.write_all(fd, me.as_bytes()).unwrap();
    p.close(fd).unwrap();
    cx.enter();
    if unlink_refresh {
        p.unlink("lock").unwrap();
        p.write_file("lock", me.as_bytes()).unwrap();
    } else {
        p.write_file("lock.tmp", me.as_bytes()).unwrap();
        p.rename("lock.tmp", "lock").unwrap();
    }
    cx.exit();
    p.unlink("lock").unwrap();
}

fn scenario(unlink_refresh: bool) -> Scenario {
    Scenario::new("my lock")
        .process(move |cx| worker(cx, unlink_refresh))
        .process(move |cx| worker(cx, unlink_refresh))
        .check(Property::MutualExclusion)
}

#[test]
fn my_lock_with_rename_refresh_keeps_one_owner() {
    // 10,000 random then 10,000 PCT schedules; panics with the
    // counterexample if a property fails.
    lockcheck::explore::model(scenario(false));
}

#[test]
fn my_lock_with_unlink_refresh_lets_two_owners_in() {
    let report = scenario(true)
        .explore_exactly(Strategy::Random {
            seed: 1,
            iterations: 1000,
        })
        .unwrap();
    let c = report.assert_violates("mutual-exclusion");
    assert!(c.replay.starts_with("LOCKCHECK_REPLAY=v1:"), "{c}");
}
