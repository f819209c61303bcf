//! Seed 003's agent registry, explored: the in-place rewrite shows
//! readers that take no lock a torn file (readers under the lock never see
//! one) and, if its writer dies between the write and the truncate, leaves
//! an unparsable registry; the replace-based rewrite does neither; the
//! unlocked seed code loses adds.

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

/// What readers of the registry saw parses.
fn reads_parse() -> Property {
    Property::JsonReadParses {
        path: REGISTRY.into(),
    }
}

/// Two adders rewriting in place, torn into 32-byte steps, and a reader
/// that reads the registry twice with `read`.
fn adders_and_reader(read: Op) -> Scenario {
    registry_adders(WriteMethod::InPlace)
        .ops([read.clone(), read])
        .torn_writes(32)
}

#[test]
fn in_place_rewrite_with_locked_readers_shows_every_reader_a_whole_registry() {
    let report = adders_and_reader(Op::ReadLocked)
        .only([reads_parse(), invariants()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    report.assert_safe();
    // The reader read in every execution: its view was put to the test.
    assert_eq!(report.reached.processes[2].completed, 2 * 20_000);
    // The raw file, which no locked reader can see half-written, does
    // not parse at some step: `json-parses` checks exactly that.
    let raw = adders_and_reader(Op::ReadLocked)
        .only([parses()])
        .explore(budget())
        .unwrap();
    raw.assert_violates("json-parses");
}

#[test]
fn in_place_rewrite_shows_a_reader_that_takes_no_lock_a_torn_registry() {
    let report = adders_and_reader(Op::Read)
        .only([reads_parse()])
        .explore(budget())
        .unwrap();
    println!("{report}");
    let c = report.assert_violates("json-read-parses");
    assert!(
        c.violation
            .detail
            .starts_with("process 2 read registry.json and got what does not parse"),
        "{c}"
    );
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
fn in_place_rewrite_leaves_the_raw_registry_unparsable_between_torn_steps() {
    // `json-parses` checks the raw file after every step: any step at
    // which it does not parse is one at which a reader without the lock
    // (the seed reads that way) would fail, had one read then.
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
