//! Seed 004's lock refresh, explored.

use lockcheck_explore::workloads::{free_start, paused_holder, refresh_race};
use lockcheck_explore::{Property, Strategy};
use lockcheck_protocols::lockfile::Refresh;

/// 10,000 random then 10,000 PCT schedules from a fixed seed.
fn budget() -> Strategy {
    Strategy::standard(4)
}

#[test]
fn unlink_then_write_refresh_lets_two_owners_hold_the_lock() {
    let scenario = refresh_race(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion, Property::NoLostUpdates]);
    let report = scenario.explore(budget()).unwrap();
    println!("{report}");
    report.assert_violates("mutual-exclusion");
}

#[test]
fn write_temp_then_replace_refresh_keeps_one_owner_without_pauses() {
    let report = refresh_race(Refresh::WriteTempThenReplace)
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
    assert_eq!(report.schedules, 20_000);
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
    let report = refresh_race(Refresh::UnlinkThenWrite)
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
        let report = free_start(variant)
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
    let report = free_start(Refresh::Fenced).explore(budget()).unwrap();
    report.assert_safe();
}

#[test]
fn a_found_schedule_replays_to_the_same_violation() {
    let scenario = refresh_race(Refresh::UnlinkThenWrite)
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
    let scenario = refresh_race(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion, Property::NoLostUpdates]);
    let a = scenario.explore_exactly(budget()).unwrap();
    let b = scenario.explore_exactly(budget()).unwrap();
    let (a, b) = (a.counterexample.unwrap(), b.counterexample.unwrap());
    assert_eq!((a.schedule, a.timeline), (b.schedule, b.timeline));
}

#[test]
fn loom_finds_the_unlink_then_write_race_within_two_preemptions() {
    let report = refresh_race(Refresh::UnlinkThenWrite)
        .only([Property::MutualExclusion])
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    report.assert_violates("mutual-exclusion");
}

#[test]
fn loom_verifies_write_temp_then_replace_exhaustively_within_two_preemptions() {
    let report = refresh_race(Refresh::WriteTempThenReplace)
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    println!("{report}");
    report.assert_safe();
}
