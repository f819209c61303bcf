//! Seed 004's lock refresh, explored.

use lockcheck_explore::{Op, Property, Protocol, Scenario, Strategy};
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
