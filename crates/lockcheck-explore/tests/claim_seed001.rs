//! Seed 001's task claiming, explored, with crashes.

use lockcheck_explore::workloads::claimers;
use lockcheck_explore::{Fault, Property, Strategy};
use lockcheck_protocols::claim::ClaimVariant;

/// 10,000 random then 10,000 PCT schedules from a fixed seed.
fn budget() -> Strategy {
    Strategy::standard(1)
}

#[test]
fn locked_claim_gives_a_task_to_one_agent_only() {
    let report = claimers(ClaimVariant::Locked).explore(budget()).unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn claim_by_rename_gives_a_task_to_one_agent_only() {
    let report = claimers(ClaimVariant::ByRename).explore(budget()).unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn locked_claim_killed_midway_never_gives_the_task_twice() {
    let report = claimers(ClaimVariant::Locked)
        .fault(Fault::Crash { process: 0 })
        .only([Property::ClaimedOnce])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn either_claim_killed_midway_leaves_its_temp_file_behind() {
    for variant in ClaimVariant::ALL {
        let report = claimers(variant)
            .fault(Fault::Crash { process: 0 })
            .only([Property::NoTempFiles])
            .explore(budget())
            .unwrap();
        println!("{report}");
        let c = report.assert_violates("no-temp-files");
        assert!(c.timeline.iter().any(|l| l.contains("crash")), "{c}");
    }
}

#[test]
fn claim_by_rename_killed_midway_never_gives_the_task_twice() {
    let report = claimers(ClaimVariant::ByRename)
        .fault(Fault::Crash { process: 0 })
        .only([Property::ClaimedOnce])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}
