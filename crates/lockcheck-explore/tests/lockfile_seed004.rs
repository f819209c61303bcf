//! Seed 004's lock refresh, explored.

use std::time::Duration;

use lockcheck_explore::{Fault, Op, Property, Protocol, Scenario, Strategy};
use lockcheck_protocols::lockfile::Refresh;

/// Process 0 holds the lock when process 1 starts (the seed's setting:
/// its race is between refresh and acquisition), refreshes it between two
/// critical sections and releases it; process 1 tries once to take it.
fn holder_and_contender(variant: Refresh) -> Scenario {
    Scenario::protocol(variant.name(), Protocol::lockfile(variant))
        .before(0, [Op::Acquire])
        .ops([Op::Critical, Op::Refresh, Op::Critical, Op::Release])
        .ops([Op::Acquire, Op::Critical, Op::Release])
}

fn budget() -> Strategy {
    Strategy::RandomThenPct {
        seed: 4,
        iterations: 10_000,
        depth: 3,
    }
}

#[test]
fn unlink_then_write_refresh_lets_two_owners_hold_the_lock() {
    let scenario = holder_and_contender(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion, Property::NoLostUpdates]);
    let report = scenario.explore(budget()).unwrap();
    println!("{report}");
    report.assert_violates("mutual-exclusion");
}

#[test]
fn write_temp_then_replace_refresh_keeps_one_owner_without_pauses() {
    let report = holder_and_contender(Refresh::WriteTempThenReplace)
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
    assert_eq!(report.schedules, 20_000);
}

/// As [`holder_and_contender`], but the holder can be paused for longer
/// than the lease (10 s) at a moment the explorer picks, and the contender
/// keeps trying for 30 s (once a second), so it can see the lock go stale.
fn paused_holder(variant: Refresh) -> Scenario {
    let protocol = Protocol::LockFile {
        variant,
        stale_after: Duration::from_secs(10),
        tries: 30,
        retry_delay: Duration::from_secs(1),
    };
    Scenario::protocol(variant.name(), protocol)
        .before(0, [Op::Acquire])
        .ops([Op::Critical, Op::Refresh, Op::Critical, Op::Release])
        .ops([Op::Acquire, Op::Critical, Op::Release])
        .fault(Fault::Pause {
            process: 0,
            duration: Duration::from_secs(15),
        })
}

#[test]
fn write_temp_then_replace_lets_a_second_owner_in_when_the_holder_pauses_past_the_lease() {
    let report = paused_holder(Refresh::WriteTempThenReplace)
        .only([Property::MutualExclusion])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_violates("mutual-exclusion");
}

#[test]
fn write_temp_then_replace_loses_an_update_when_the_holder_pauses_past_the_lease() {
    let report = paused_holder(Refresh::WriteTempThenReplace)
        .only([Property::NoLostUpdates])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_violates("no-lost-updates");
}

#[test]
fn fenced_refresh_loses_no_update_when_the_holder_pauses_past_the_lease() {
    // Two holders may both believe they hold the lock (the fenced variant
    // does not promise otherwise); the resource's token check keeps every
    // acknowledged update.
    let report = paused_holder(Refresh::Fenced)
        .only([Property::NoLostUpdates, Property::NoTempFiles])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn fenced_refresh_still_lets_two_processes_believe_they_hold_the_lock() {
    let report = paused_holder(Refresh::Fenced)
        .only([Property::MutualExclusion])
        .explore(budget())
        .unwrap();
    report.assert_violates("mutual-exclusion");
}

#[test]
fn unlink_then_write_leaves_the_held_lock_file_missing_during_refresh() {
    let report = holder_and_contender(Refresh::UnlinkThenWrite)
        .only([Property::LockFilePresent {
            path: "agent.lock".into(),
        }])
        .explore(budget())
        .unwrap();
    let c = report.assert_violates("lock-file-present");
    assert_eq!(c.preemptions, 0, "no race needed: {c}");
}

#[test]
fn the_seeds_acquire_lets_two_owners_in_when_one_deletes_the_others_empty_new_file() {
    // Not the refresh race: both processes start free. The seed's acquire
    // creates the file with O_EXCL and writes the record in a second step;
    // the seed treats an empty file as corrupt and deletes it. Both
    // refresh variants share that acquire.
    for variant in [Refresh::UnlinkThenWrite, Refresh::WriteTempThenReplace] {
        let report = Scenario::protocol(variant.name(), Protocol::lockfile(variant))
            .ops([Op::Acquire, Op::Critical, Op::Release])
            .ops([Op::Acquire, Op::Critical, Op::Release])
            .only([Property::MutualExclusion])
            .explore(budget())
            .unwrap();
        let c = report.assert_violates("mutual-exclusion");
        assert!(
            c.timeline
                .iter()
                .any(|l| l.contains("read(fd3, 4096) = 0 \"\"")),
            "the contender read the empty new file:\n{c}"
        );
    }
}

#[test]
fn fenced_acquire_publishes_whole_records_so_two_free_starters_never_both_enter() {
    let report = Scenario::protocol("fenced", Protocol::lockfile(Refresh::Fenced))
        .ops([Op::Acquire, Op::Critical, Op::Release])
        .ops([Op::Acquire, Op::Critical, Op::Release])
        .explore(budget())
        .unwrap();
    report.assert_safe();
}

#[test]
fn a_found_schedule_replays_to_the_same_violation() {
    let scenario = holder_and_contender(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion, Property::NoLostUpdates]);
    let found = scenario.explore_exactly(budget()).unwrap();
    let c = found.assert_violates("mutual-exclusion");
    let schedule = c.schedule.clone().expect("shuttle gives a schedule");
    let again = scenario
        .explore_exactly(Strategy::Replay(schedule.clone()))
        .unwrap();
    let d = again.assert_violates("mutual-exclusion");
    assert_eq!(again.schedules, 1);
    assert_eq!(d.violation, c.violation);
    assert_eq!(d.timeline, c.timeline);
    assert_eq!(d.schedule.as_deref(), Some(schedule.as_str()));
}

#[test]
fn exploring_twice_gives_the_same_counterexample() {
    let scenario = holder_and_contender(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion, Property::NoLostUpdates]);
    let a = scenario.explore_exactly(budget()).unwrap();
    let b = scenario.explore_exactly(budget()).unwrap();
    let (a, b) = (a.counterexample.unwrap(), b.counterexample.unwrap());
    assert_eq!((a.schedule, a.timeline), (b.schedule, b.timeline));
}

#[test]
fn loom_finds_the_unlink_then_write_race_within_two_preemptions() {
    let report = holder_and_contender(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion])
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    report.assert_violates("mutual-exclusion");
}

#[test]
fn loom_verifies_write_temp_then_replace_exhaustively_within_two_preemptions() {
    let report = holder_and_contender(Refresh::WriteTempThenReplace)
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    println!("{report}");
    report.assert_safe();
}
