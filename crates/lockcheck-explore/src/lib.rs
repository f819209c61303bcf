//! Exploration: run simulated processes over one SimFs under a controlled
//! scheduler, watch every step with monitors, and report the first
//! violation as a small, replayable counterexample.
//!
//! # Tutorial
//!
//! Write your lock code against the `Fs` trait, run it as processes of a
//! [`Scenario`], and tell the monitors when a process believes it holds
//! the lock ([`Ctx::enter`], [`Ctx::exit`]). Here each worker takes a lock
//! file with `O_EXCL`, then "refreshes" it by deleting and rewriting it:
//!
//! ```
//! use lockcheck_explore::{Ctx, Property, Scenario, Strategy};
//! use lockcheck_fs::sync::ShuttleRuntime;
//! use lockcheck_fs::{Fs, OpenOptions};
//!
//! fn worker(cx: &Ctx<ShuttleRuntime>) {
//!     let p = cx.proc();
//!     let me = format!("p{}", cx.pid());
//!     let Ok(fd) = p.open("lock", OpenOptions::new().write(true).create_new(true)) else {
//!         return; // Somebody holds it.
//!     };
//!     p.write_all(fd, me.as_bytes()).unwrap();
//!     p.close(fd).unwrap();
//!     cx.enter();
//!     p.unlink("lock").unwrap(); // refresh, the seed-004 way
//!     p.write_file("lock", me.as_bytes()).unwrap();
//!     cx.exit();
//!     p.unlink("lock").unwrap();
//! }
//!
//! let scenario = Scenario::new("my lock")
//!     .process(worker)
//!     .process(worker)
//!     .check(Property::MutualExclusion);
//! // In a test, `lockcheck_explore::model(scenario)` explores with the
//! // default budget and panics with the counterexample. Here: a fixed,
//! // small strategy, and the report printed.
//! let report = scenario.explore_exactly(Strategy::Random { seed: 1, iterations: 1000 })?;
//! let counterexample = report.counterexample.expect("the race is found");
//! assert_eq!(counterexample.to_string(), "\
//! my lock: mutual-exclusion violated after step 6: process 1 (p101) entered its critical section while process 0 (p100) was inside its own
//! timeline (step, [process:pid] call = result), 1 preemption(s):
//!     0  [0:p100] open(\"lock\", O_WRONLY|O_CREAT|O_EXCL) = fd3
//!     1  [0:p100] write(fd3, \"p100\") = 4
//!     2  [0:p100] close(fd3) = 0
//!     3  [0:p100] unlink(\"lock\") = 0
//!     4      [1:p101] open(\"lock\", O_WRONLY|O_CREAT|O_EXCL) = fd3
//!     5      [1:p101] write(fd3, \"p101\") = 4
//!     6      [1:p101] close(fd3) = 0
//! schedule: v1:a10b10a9
//! replay: LOCKCHECK_REPLAY=v1:a10b10a9 cargo test");
//! # Ok::<(), lockcheck_explore::ExploreError>(())
//! ```
//!
//! The schedule string replays that execution exactly:
//! `Strategy::Replay("v1:a10b10a9".into())`, or the environment variable
//! `LOCKCHECK_REPLAY` in front of the test command, as printed. Process 1
//! got in while process 0 had deleted the lock file to rewrite it.
//!
//! # What else
//!
//! - The reference protocols run as programs of [`Op`]s:
//!   `Scenario::protocol(name, Protocol::lockfile(Refresh::UnlinkThenWrite))`
//!   with `.ops([Op::Acquire, Op::Critical, Op::Release])` per process;
//!   such scenarios also run under loom ([`Strategy::Loom`]).
//! - [`Fault`]s: a crash or a pause of a process at a moment the explorer
//!   chooses, clock skew; [`Property::DurableAfterPowerLoss`] checks every
//!   state a power loss could leave.
//! - [`Property`] lists the monitors; some run after every step (through
//!   `SimFs::observe`), some at the end.
//! - [`Property::Linearizable`] checks, at the end of each execution, the
//!   history of the protocol operations the processes ran against
//!   `lockcheck-lincheck`'s spec for the protocol (mutex, fenced lease,
//!   claim-once set, registry, task board); [`Scenario::record_history`]
//!   records it without checking, into [`Counterexample::history`].
//! - Strategies take seeds and budgets from code, overridden by
//!   `LOCKCHECK_SEED`, `LOCKCHECK_ITERATIONS`, `LOCKCHECK_PREEMPTIONS` and
//!   `LOCKCHECK_REPLAY` ([`Knobs`]); a claim of safety
//!   ([`Report::assert_safe`]) refuses a budget they shrank.
//! - [`Report::verdict`]: a violation; `safe`; `vacuous` when some process
//!   got nowhere in any execution ([`Reached`]: what each process
//!   reached, and how many interleavings were seen); `unknown` when a
//!   [`Limit`] of the explorer stopped the search.

mod config;
mod ctx;
mod determinism;
mod explore;
mod ghost;
mod linearizable;
mod loom_search;
mod program;
mod property;
mod quiet;
mod reach;
mod replay_trace;
mod report;
mod run;
mod scenario;
pub mod schedule;
mod shrink;
mod strategy;
mod verdict;
pub mod workloads;

pub use config::{ITERATIONS_VAR, KnobError, Knobs, PREEMPTIONS_VAR, REPLAY_VAR, SEED_VAR};
pub use ctx::Ctx;
pub use determinism::Nondeterminism;
pub use explore::ExploreError;
pub use linearizable::OpHistory;
pub use program::{
    COUNTER, FLOCK_DIR, FLOCK_KEY, LOCK_NAME, Op, POOL_DIR, Protocol, REGISTRY, TASKBOARD,
};
pub use property::{Property, PropertyArg, Violation};
pub use reach::{ProcessReach, Reached};
pub use replay_trace::Replayed;
pub use report::{Counterexample, Report};
pub use scenario::{Body, Fault, Program, Scenario};
pub use strategy::Strategy;
pub use verdict::{LOOM_MAX_BRANCHES, LOOM_MAX_THREADS, Limit, SHUTTLE_MAX_STEPS, Verdict};

/// Explores `scenario` with the default strategy (10,000 random then
/// 10,000 PCT schedules from seed 0; the `LOCKCHECK_*` variables
/// override) and panics with the shrunk counterexample if a property
/// fails: lockcheck's `loom::model`. Returns the report otherwise.
///
/// # Panics
///
/// Unless the verdict is safe over the whole default budget
/// ([`Report::assert_safe`]): on a violation (with its counterexample),
/// a vacuous or unknown verdict, a budget the knobs shrank or replaced
/// by a replay; and when an environment knob does not parse (the message
/// names the variable and what it expects).
#[track_caller]
pub fn model(scenario: Scenario) -> Report {
    let strategy = Strategy::from_knobs(Knobs::default());
    let report = match scenario.explore(strategy) {
        Ok(report) => report,
        Err(e) => panic!("lockcheck: {e}"),
    };
    report.assert_safe();
    report
}
