//! Verdicts that do not lie: a safe verdict in which nothing happened is
//! vacuous; a limit of the explorer is unknown, never a violation; loom's
//! limits are refused up front or reported; a claim of safety asserts the
//! budget it explored.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockcheck_explore::workloads::{flock_lockers, free_start};
use lockcheck_explore::{
    ExploreError, Fault, Limit, Op, Property, Protocol, Report, Scenario, Strategy, Verdict,
};
use lockcheck_fs::Fs;
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::lockfile::Refresh;

/// The panic message of `f`, which must panic.
fn panic_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn random(iterations: usize) -> Strategy {
    Strategy::Random {
        seed: 0,
        iterations,
    }
}

#[test]
fn a_scenario_where_a_process_never_gets_the_lock_is_vacuous_and_no_claim_of_safety() {
    // A lock file left by an earlier run names pid 101, which process 0
    // of this run has: to process 0 the lock is held by a live process,
    // so it never gets in (process 1 does, once process 0 has exited).
    let record = r#"{"owner": "earlier-run", "pid": 101, "acquired_at": 1735689600.0, "refreshed_at": 1735689600.0}"#;
    let report = free_start(Refresh::WriteTempThenReplace)
        .file("agent.lock", record)
        .explore_exactly(random(200))
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Vacuous { idle: vec![0] });
    assert_eq!(
        report.counterexample.as_ref().map(|c| c.violation.clone()),
        None
    );
    let p0 = &report.reached.processes[0];
    assert_eq!((p0.completed, p0.entered), (0, 0));
    let message = panic_of(|| report.assert_safe());
    assert!(
        message.contains("vacuous (process 0 got nowhere)"),
        "{message}"
    );
}

#[test]
fn the_setup_process_is_reaped_so_a_lock_file_naming_its_pid_is_stale() {
    // Pid 100 wrote the starting files and exited; the harness, its
    // parent, reaped it: kill(100, 0) fails, the lock is stale, taken over.
    let record = r#"{"owner": "earlier-run", "pid": 100, "acquired_at": 1735689600.0, "refreshed_at": 1735689600.0}"#;
    let protocol = Protocol::lockfile(Refresh::WriteTempThenReplace);
    let report = Scenario::protocol("stale", protocol)
        .file("agent.lock", record)
        .ops([Op::Acquire, Op::Critical, Op::Release])
        .explore_exactly(random(20))
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Safe);
    assert_eq!(report.reached.processes[0].entered, 20);
}

#[test]
fn a_working_lock_reaches_every_critical_section_and_many_interleavings() {
    let report = flock_lockers(Release::KeepFile, 2)
        .explore_exactly(random(200))
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Safe);
    for p in &report.reached.processes {
        // Each of the 200 executions: one acquire and one release
        // completed, one critical section entered.
        assert_eq!((p.completed, p.entered), (400, 200));
    }
    assert!(report.reached.interleavings > 10, "{report}");
    report.assert_safe();
}

#[test]
fn shuttles_step_limit_is_an_unknown_verdict_not_a_violation() {
    let report = Scenario::new("spin")
        .process(|cx| {
            loop {
                let _ = cx.proc().exists("never");
            }
        })
        .process(|cx| {
            let _ = cx.proc().exists("x");
        })
        .explore_exactly(random(3))
        .unwrap();
    assert!(report.counterexample.is_none(), "{report}");
    assert_eq!(
        report.verdict(),
        Verdict::Unknown(Limit::ShuttleSteps { max: 1_000_000 })
    );
    assert_eq!(report.schedules, 1);
    assert_eq!(
        report.verdict().to_string(),
        "unknown (shuttle's step limit (1000000 steps in one execution) reached)"
    );
}

#[test]
fn looms_branch_limit_is_an_unknown_verdict_not_a_violation() {
    let mut ops = Vec::new();
    for _ in 0..200 {
        ops.extend([Op::Acquire, Op::Critical, Op::Release]);
    }
    let report = Scenario::protocol("long", Protocol::flock(Release::KeepFile))
        .ops(ops.clone())
        .ops(ops)
        .explore_exactly(Strategy::Loom { preemptions: 1 })
        .unwrap();
    assert!(report.counterexample.is_none(), "{report}");
    assert_eq!(
        report.verdict(),
        Verdict::Unknown(Limit::LoomBranches { max: 1_000 })
    );
}

#[test]
fn loom_refuses_more_threads_than_it_can_run_naming_the_limit() {
    let e = flock_lockers(Release::KeepFile, 6)
        .explore_exactly(Strategy::Loom { preemptions: 1 })
        .unwrap_err();
    assert!(
        matches!(e, ExploreError::LoomThreads { max: 5, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "flock/keep-file: loom runs at most 5 threads, one per process and one per crash or \
         pause fault; this scenario needs 6 (6 processes, 0 faults): use a shuttle strategy \
         or fewer processes"
    );
}

/// The knobs as a test sets them: never through the process's
/// environment, which other tests read at the same time.
fn knobs(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |var| {
        pairs
            .iter()
            .find(|(k, _)| *k == var)
            .map(|(_, v)| v.to_string())
    }
}

fn explore_with(pairs: &'static [(&'static str, &'static str)]) -> Report {
    flock_lockers(Release::KeepFile, 2)
        .only([Property::MutualExclusion])
        .explore_with_vars(random(300), knobs(pairs))
        .unwrap()
}

#[test]
fn a_claim_of_safety_refuses_a_budget_the_knobs_shrank_or_a_replay() {
    let shrunk = explore_with(&[("LOCKCHECK_ITERATIONS", "10")]);
    assert_eq!((shrunk.schedules, shrunk.verdict()), (10, Verdict::Safe));
    let message = panic_of(|| shrunk.assert_safe());
    assert!(
        message.contains(
            "no claim of safety either: the environment's knobs (LOCKCHECK_ITERATIONS, \
             LOCKCHECK_PREEMPTIONS) shrank the exploration from random (seed 0, 300 schedules) \
             to random (seed 0, 10 schedules)"
        ),
        "{message}"
    );

    let replayed = explore_with(&[("LOCKCHECK_REPLAY", "v1:a")]);
    assert_eq!(replayed.schedules, 1);
    let message = panic_of(|| replayed.assert_safe());
    assert!(
        message.contains("LOCKCHECK_REPLAY replaced the exploration"),
        "{message}"
    );

    // More schedules, or another seed, still explore the whole budget.
    explore_with(&[("LOCKCHECK_ITERATIONS", "400")]).assert_safe();
    explore_with(&[("LOCKCHECK_SEED", "9")]).assert_safe();
    explore_with(&[]).assert_safe();
}

#[test]
fn a_process_killed_by_a_crash_fault_runs_none_of_its_code_after_the_kill() {
    // Process 0 unwraps every call: once killed, a call that returned
    // ESRCH would panic, a `no-panic` violation of a process that was
    // dead already. Its next call unwinds out of its code instead.
    let errors_seen = Arc::new(AtomicUsize::new(0));
    let seen = errors_seen.clone();
    let report = Scenario::new("killed midway")
        .process(move |cx| {
            let p = cx.proc();
            for i in 0..4 {
                match p.write_file(format!("f{i}"), b"x") {
                    Ok(()) => cx.completed(),
                    Err(_) => {
                        seen.fetch_add(1, Ordering::Relaxed);
                    }
                }
                p.read_file(format!("f{i}")).unwrap();
            }
        })
        .process(|cx| {
            cx.proc().write_file("g", b"y").unwrap();
            cx.completed();
        })
        .fault(Fault::Crash { process: 0 })
        .explore_exactly(random(500))
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Safe, "{report}");
    assert_eq!(errors_seen.load(Ordering::Relaxed), 0);
    // It was killed midway in some executions: fewer than 4 writes each.
    assert!(report.reached.processes[0].completed < 4 * 500, "{report}");
}

#[test]
fn what_a_killed_process_does_after_the_kill_is_never_its_violation() {
    // Process 0 catches the unwinding of its killed calls and then panics
    // and fails an assertion of its own: code that ran only because it
    // caught the kill. Nothing it does after the kill is reported.
    let report = Scenario::new("killed, caught, panics")
        .process(|cx| {
            for i in 0..4 {
                let p = cx.proc();
                let call = catch_unwind(AssertUnwindSafe(|| p.write_file(format!("f{i}"), b"x")));
                if call.is_err() {
                    cx.fail("my write was cut short");
                    panic!("process 0 goes on after its kill");
                }
                cx.completed();
            }
        })
        .process(|cx| {
            cx.proc().write_file("g", b"y").unwrap();
            cx.completed();
        })
        .fault(Fault::Crash { process: 0 })
        .explore_exactly(random(500))
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Safe, "{report}");
    assert!(report.reached.processes[0].completed < 4 * 500, "{report}");
}

/// Two processes that each take the same flock lock before any process
/// starts: the second waits for the first, which cannot run yet.
fn both_acquire_before() -> Scenario {
    Scenario::protocol("both before", Protocol::flock(Release::KeepFile))
        .ops([Op::Release])
        .ops([Op::Release])
        .before(0, [Op::Acquire])
        .before(1, [Op::Acquire])
}

#[test]
fn a_deadlock_under_loom_is_the_deadlock_violation_shuttle_reports_not_an_abort() {
    let expected = "lockcheck: deadlock: p102 runs alone (no other process moves until it is \
                    done) and is blocked: p102 waits for Flock Exclusive lock on inode 3 held \
                    by p101 fd3";
    let loom = both_acquire_before()
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    assert_eq!(
        loom.assert_violates("deadlock-free").violation.detail,
        expected
    );
    let shuttle = both_acquire_before().explore_exactly(random(10)).unwrap();
    assert_eq!(
        shuttle.assert_violates("deadlock-free").violation.detail,
        expected
    );
}

#[test]
fn a_sleep_before_any_process_starts_moves_the_clock_instead_of_hanging() {
    let report = Scenario::protocol("sleep before", Protocol::flock(Release::KeepFile))
        .ops([Op::Acquire, Op::Release])
        .ops([Op::Acquire, Op::Release])
        .before(0, [Op::Sleep(std::time::Duration::from_secs(1))])
        .explore_exactly(Strategy::Loom { preemptions: 2 })
        .unwrap();
    assert_eq!(report.verdict(), Verdict::Safe, "{report}");
}
