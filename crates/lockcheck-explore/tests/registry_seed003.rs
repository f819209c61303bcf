//! Seed 003's agent registry, explored: the in-place rewrite shows
//! readers a torn file and, if its writer dies between the write and the
//! truncate, leaves an unparsable registry; the replace-based rewrite
//! does neither; the unlocked seed code loses adds.

use lockcheck_explore::workloads::registry_adders;
use lockcheck_explore::{Fault, Op, Property, Protocol, REGISTRY, Scenario, Strategy};
use lockcheck_protocols::registry::WriteMethod;

/// 10,000 random then 10,000 PCT schedules from a fixed seed.
fn budget() -> Strategy {
    Strategy::standard(3)
}

fn registry(method: WriteMethod) -> Protocol {
    Protocol::Registry { method }
}

fn parses() -> Property {
    Property::JsonParses {
        path: REGISTRY.into(),
        allow_empty: false,
    }
}

fn invariants() -> Property {
    Property::RegistryInvariants {
        path: REGISTRY.into(),
    }
}

/// A registry of one running agent, written with wider indentation than
/// the protocol writes (another tool wrote it), so the next rewrite is
/// shorter than the file.
const ONE_RUNNING: &str = "{\n    \"agents\": [\n        {\n            \"id\": \"a0\",\n            \"status\": \"running\"\n        }\n    ],\n    \"total_spawned\": 1,\n    \"active_count\": 1,\n    \"completed_count\": 0\n}\n";

fn status_change(method: WriteMethod) -> Scenario {
    Scenario::protocol(method.name(), registry(method))
        .file(REGISTRY, ONE_RUNNING)
        .ops([Op::UpdateStatus {
            id: "a0".into(),
            status: "idle".into(),
        }])
}

#[test]
fn in_place_rewrite_shows_a_torn_registry_to_a_reader_that_takes_no_lock() {
    // Any step at which the file does not parse is one at which a reader
    // without the lock (the seed reads that way) would fail.
    let report = registry_adders(WriteMethod::InPlace)
        .torn_writes(32)
        .only([parses()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_violates("json-parses");
}

#[test]
fn in_place_rewrite_killed_between_write_and_truncate_leaves_an_unparsable_registry() {
    let report = status_change(WriteMethod::InPlace)
        .fault(Fault::Crash { process: 0 })
        .only([invariants()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    let c = report.assert_violates("registry-invariants");
    assert!(c.violation.detail.contains("does not parse"), "{c}");
    assert!(c.timeline.iter().any(|l| l.contains("crash")), "{c}");
}

#[test]
fn replace_rewrite_always_shows_a_whole_registry_even_when_killed() {
    let report = status_change(WriteMethod::Replace)
        .torn_writes(32)
        .fault(Fault::Crash { process: 0 })
        .only([parses(), invariants()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn replace_rewrite_keeps_every_acknowledged_add_with_torn_writes() {
    let report = registry_adders(WriteMethod::Replace)
        .torn_writes(32)
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn unlocked_seed_code_loses_an_acknowledged_add() {
    let report = registry_adders(WriteMethod::Unlocked)
        .only([invariants()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    let c = report.assert_violates("registry-invariants");
    assert!(c.violation.detail.contains("missing"), "{c}");
}
