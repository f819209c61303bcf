//! The power-loss and liveness monitors on the seeds' protocols.

use lockcheck_explore::workloads::{flock_lockers, registry_adders};
use lockcheck_explore::{Property, REGISTRY, Scenario, Strategy};
use lockcheck_fs::Profile;
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::registry::WriteMethod;

fn budget() -> Strategy {
    Strategy::RandomThenPct {
        seed: 5,
        iterations: 2_000,
        depth: 3,
    }
}

fn durable() -> Property {
    Property::DurableAfterPowerLoss {
        path: REGISTRY.into(),
    }
}

fn adders(method: WriteMethod, profile: Profile) -> Scenario {
    registry_adders(method)
        .power_loss_profile(profile)
        .only([durable()])
}

#[test]
fn replace_keeps_every_acknowledged_add_through_a_power_loss_in_either_profile() {
    for profile in [Profile::InOrder, Profile::Reordering] {
        let report = adders(WriteMethod::Replace, profile)
            .explore(budget())
            .unwrap();
        println!("{report}");
        report.assert_safe();
    }
}

#[test]
fn in_place_loses_acknowledged_adds_in_a_power_loss_since_the_seed_never_fsyncs() {
    let report = adders(WriteMethod::InPlace, Profile::InOrder)
        .explore(budget())
        .unwrap();
    let c = report.assert_violates("durable-after-power-loss");
    assert!(c.violation.detail.contains("missing"), "{c}");
}

#[test]
fn unlocked_registry_without_fsync_loses_acknowledged_adds_in_a_power_loss() {
    let report = adders(WriteMethod::Unlocked, Profile::InOrder)
        .explore(budget())
        .unwrap();
    println!("{report}");
    let c = report.assert_violates("durable-after-power-loss");
    assert!(c.violation.detail.contains("power loss"), "{c}");
}

#[test]
fn a_free_flock_lock_is_taken_within_a_few_steps() {
    let report = flock_lockers(Release::KeepFile, 3)
        .only([Property::BoundedLiveness { steps: 12 }])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn bounded_liveness_fails_when_the_bound_is_shorter_than_an_acquisition() {
    let report = flock_lockers(Release::KeepFile, 2)
        .only([Property::BoundedLiveness { steps: 1 }])
        .explore(budget())
        .unwrap();
    let c = report.assert_violates("bounded-liveness");
    assert!(c.violation.detail.contains("waited"), "{c}");
}

#[test]
fn a_file_given_at_the_start_survives_a_power_loss_in_either_profile() {
    use lockcheck_explore::workloads::flock_lockers;
    for profile in [Profile::InOrder, Profile::Reordering] {
        let report = flock_lockers(Release::KeepFile, 2)
            .file("config.json", "{\"ok\": true}")
            .power_loss_profile(profile)
            .only([Property::DurableAfterPowerLoss {
                path: "config.json".into(),
            }])
            .explore_exactly(budget())
            .unwrap();
        report.assert_safe();
    }
}
