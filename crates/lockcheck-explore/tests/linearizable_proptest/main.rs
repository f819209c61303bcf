//! proptest over multi-process histories: random workloads (2 to 5
//! processes, short programs of one protocol's operations, crashes,
//! pauses, power loss for the registry) each run under the shuttle random
//! scheduler from the case's seed; the property is that the recorded
//! history is linearizable against the protocol's spec and the monitors
//! stay quiet.
//!
//! Every flawed variant is found by a fixed-seed run and shrunk to at most
//! 3 processes and 8 operations. Every fixed variant passes 2,000 cases
//! (`PROPTEST_CASES` raises it). Runs are deterministic: proptest's RNG
//! and the scheduler are seeded, and nothing depends on the wall clock.

mod workload;

use lockcheck_explore::{Property, Scenario};
use lockcheck_protocols::claim::ClaimVariant;
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::lockfile::Refresh;
use lockcheck_protocols::registry::WriteMethod;
use lockcheck_protocols::taskboard::LockScope;
use proptest::test_runner::{
    Config, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use workload::{Family, Workload, workloads};

/// Schedules per case when hunting a flawed variant's bug.
const HUNT_SCHEDULES: usize = 100;
/// Schedules per case for a fixed variant: cases are many, each is cheap.
const FIXED_SCHEDULES: usize = 8;
/// Cases a hunt may take before it counts as a miss.
const HUNT_CASES: u32 = 1_000;

fn runner(cases: u32, persist: bool) -> TestRunner {
    let config = Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: if persist {
            Some(Box::new(FileFailurePersistence::Direct(
                "proptest-regressions/linearizable_proptest.txt",
            )))
        } else {
            None
        },
        max_shrink_iters: 4_096,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// What a hunt changes in each case's scenario.
type Tweak = fn(Scenario) -> Scenario;

/// Runs `w`'s scenario, changed by `tweak`; a violation is a failed case
/// whose message names the property on its first line.
fn case(w: &Workload, tweak: Tweak, schedules: usize) -> Result<(), TestCaseError> {
    let scenario = tweak(w.scenario());
    match w.run(&scenario, schedules).counterexample {
        None => Ok(()),
        Some(c) => Err(TestCaseError::fail(format!(
            "{}\n{}",
            c.violation.property.name(),
            c
        ))),
    }
}

/// Hunts `family`'s bug with a fixed seed; returns the shrunk case and
/// the counterexample found for it, after checking it is small.
fn hunt(family: Family, tweak: Tweak) -> (Workload, String) {
    let mut runner = runner(HUNT_CASES, false);
    let result = runner.run(&workloads(family), |w| case(&w, tweak, HUNT_SCHEDULES));
    let (reason, w) = match result {
        Err(TestError::Fail(reason, w)) => (reason.to_string(), w),
        other => panic!(
            "{}: no violation in {HUNT_CASES} cases: {other:?}",
            family.protocol().name()
        ),
    };
    println!("shrunk case: {w:?}\n{reason}");
    assert!(
        w.programs.len() <= 3 && w.op_count() <= 8,
        "the shrunk case is too large:\n{w:?}"
    );
    (w, reason)
}

/// The property a hunt's counterexample violated.
fn violated(reason: &str) -> &str {
    reason.lines().next().unwrap_or_default()
}

/// The history alone: the hunt shows that `linearizable` sees the bug.
fn linearizable_only(s: Scenario) -> Scenario {
    s.only([Property::Linearizable])
}

/// No change: the fixed variants' property set.
fn unchanged(s: Scenario) -> Scenario {
    s
}

/// Runs `PROPTEST_CASES` (default 2,000) cases of a fixed variant and
/// panics with the shrunk case if any finds a violation.
fn verify(family: Family) {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let mut runner = runner(cases, true);
    if let Err(e) = runner.run(&workloads(family), |w| case(&w, unchanged, FIXED_SCHEDULES)) {
        panic!("{}: {e}", family.protocol().name());
    }
}

/// The shrunk case is the seed's acquire race (an agent deletes another's
/// still-empty new lock file as corrupt), which both unfenced variants
/// share and which needs no refresh, so it shrinks below the refresh race.
#[test]
fn linearizability_catches_two_owners_of_an_unlink_then_write_lock_file() {
    let (_, reason) = hunt(
        Family::LockFile(Refresh::UnlinkThenWrite),
        linearizable_only,
    );
    assert_eq!(violated(&reason), "linearizable", "{reason}");
}

#[test]
fn linearizability_catches_the_seeds_acquire_race_in_write_temp_then_replace() {
    let (_, reason) = hunt(
        Family::LockFile(Refresh::WriteTempThenReplace),
        linearizable_only,
    );
    assert_eq!(violated(&reason), "linearizable", "{reason}");
}

#[test]
fn linearizability_catches_flock_unlink_on_release_in_a_small_case() {
    let (w, reason) = hunt(Family::Flock(Release::UnlinkOnRelease), linearizable_only);
    assert_eq!(violated(&reason), "linearizable", "{reason}");
    assert_eq!(w.programs.len(), 3, "two processes never race: {w:?}");
}

#[test]
fn linearizability_catches_the_unlocked_registry_losing_an_add() {
    let (_, reason) = hunt(Family::Registry(WriteMethod::Unlocked), linearizable_only);
    assert_eq!(violated(&reason), "linearizable", "{reason}");
}

#[test]
fn in_place_registry_rewrite_is_caught_by_the_monitors_not_the_history() {
    // Under its lock the in-place rewrite is linearizable; what is wrong
    // is what a reader without the lock (the seed reads that way) sees
    // while a torn write is under way: a registry that does not parse.
    // (A killed rewrite corrupts the file only when the new contents are
    // shorter than the old, which these workloads never write.)
    let (_, reason) = hunt(Family::Registry(WriteMethod::InPlace), |s| {
        s.torn_writes(32)
    });
    assert_eq!(violated(&reason), "json-parses", "{reason}");
}

#[test]
fn linearizability_catches_task_level_locks_losing_an_assignment() {
    let (_, reason) = hunt(Family::TaskBoard(LockScope::TaskLock), linearizable_only);
    assert_eq!(violated(&reason), "linearizable", "{reason}");
}

#[test]
fn a_counterexample_carries_the_history_that_is_not_linearizable() {
    use lockcheck_explore::{Op, Protocol, Strategy};
    let locker = [Op::Acquire, Op::Critical, Op::Release];
    let report = Scenario::protocol("three lockers", Protocol::flock(Release::UnlinkOnRelease))
        .ops(locker.clone())
        .ops(locker.clone())
        .ops(locker)
        .only([Property::Linearizable])
        .explore_exactly(Strategy::Random {
            seed: 1,
            iterations: 2_000,
        })
        .unwrap();
    let c = report.assert_violates("linearizable");
    let history = c
        .history
        .as_ref()
        .expect("linearizable records the history");
    assert_eq!(history.spec_name(), "MutexSpec");
    assert!(history.check().is_not_linearizable());
    assert!(c.violation.detail.contains("can be placed"), "{c}");
}

#[test]
fn fenced_lock_file_grants_increasing_tokens_and_keeps_fenced_data_linearizable() {
    verify(Family::LockFile(Refresh::Fenced));
}

#[test]
fn flock_keeping_the_file_is_a_linearizable_mutex() {
    verify(Family::Flock(Release::KeepFile));
}

#[test]
fn flock_unlink_with_recheck_is_a_linearizable_mutex() {
    verify(Family::Flock(Release::UnlinkWithRecheck));
}

#[test]
fn locked_claims_are_a_linearizable_claim_once_set() {
    verify(Family::Claim(ClaimVariant::Locked));
}

#[test]
fn claims_by_rename_are_a_linearizable_claim_once_set() {
    verify(Family::Claim(ClaimVariant::ByRename));
}

#[test]
fn replace_registry_is_linearizable_and_durable() {
    verify(Family::Registry(WriteMethod::Replace));
}

#[test]
fn board_lock_task_board_is_linearizable() {
    verify(Family::TaskBoard(LockScope::BoardLock));
}

#[test]
fn task_then_board_task_board_is_linearizable() {
    verify(Family::TaskBoard(LockScope::TaskThenBoard));
}
