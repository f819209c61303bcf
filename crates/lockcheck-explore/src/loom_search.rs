//! Exploring with loom: every schedule up to a preemption bound, for
//! programs of protocol operations, within loom's limits (threads,
//! branches).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lockcheck_fs::sync::LoomRuntime;

use crate::ctx::Ctx;
use crate::explore::{ExploreError, Ticker};
use crate::quiet::quietly_catching;
use crate::reach::Tally;
use crate::run::{Execution, execute};
use crate::scenario::{Fault, Program, Scenario};
use crate::verdict::{LOOM_MAX_BRANCHES, LOOM_MAX_THREADS, Limit};

fn no_custom(_: &Program, _: &Ctx<LoomRuntime>) -> bool {
    false
}

/// Whether loom can run `scenario`: programs of operations only, and no
/// more threads (one per process, one per crash or pause fault) than
/// loom's hard limit, past which it aborts the whole program.
pub(crate) fn loom_can_run(scenario: &Scenario) -> Result<(), ExploreError> {
    if let Some(i) = scenario
        .processes
        .iter()
        .position(|p| matches!(p, Program::Custom(_)))
    {
        return Err(ExploreError::LoomNeedsOps(i));
    }
    let processes = scenario.processes.len();
    let faults = scenario
        .faults
        .iter()
        .filter(|f| match f {
            Fault::Crash { process } | Fault::Pause { process, .. } => *process < processes,
            Fault::Skew { .. } => false,
        })
        .count();
    if processes + faults > LOOM_MAX_THREADS {
        return Err(ExploreError::LoomThreads {
            scenario: scenario.name.clone(),
            processes,
            faults,
            max: LOOM_MAX_THREADS,
        });
    }
    Ok(())
}

/// Explores every loom schedule up to `preemptions`; stops at the first
/// violation or limit by unwinding out of loom with a [`Stop`] (through
/// `resume_unwind`, which skips the panic hook: nothing is printed).
/// Returns the schedules run and the violating execution (traced when
/// `trace`), and adds what was reached, and a limit met, to `tally`.
pub(crate) fn loom_search(
    scenario: &Scenario,
    preemptions: usize,
    trace: bool,
    ticker: &Ticker,
    tally: &Arc<Mutex<Tally>>,
) -> (usize, Option<Execution>) {
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (found2, count2, tally2) = (found.clone(), count.clone(), tally.clone());
    let ticker = ticker.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.max_branches = LOOM_MAX_BRANCHES;
    builder.max_threads = LOOM_MAX_THREADS;
    // Loom reads these from its environment; a verdict must not depend on
    // them (a duration or permutation cap would stop it early, unsaid).
    builder.max_duration = None;
    builder.max_permutations = None;
    builder.checkpoint_file = None;
    let outcome = quietly_catching(|| {
        builder.check(move || {
            let n = count2.fetch_add(1, Ordering::Relaxed) + 1;
            let execution = execute::<LoomRuntime>(&s, no_custom, trace);
            ticker.tick(n);
            let limited = tally2.lock().unwrap().add(&execution);
            if execution.violation.is_some() {
                *found2.lock().unwrap() = Some(execution);
                std::panic::resume_unwind(Box::new(Stop));
            }
            if limited {
                std::panic::resume_unwind(Box::new(Stop));
            }
        })
    });
    let found = found.lock().unwrap().take();
    if let Err(escaped) = outcome
        && !escaped.payload.is::<Stop>()
    {
        match Limit::from_panic(&escaped.payload_text()) {
            Some(limit) => tally.lock().unwrap().stopped(limit),
            None => escaped.unexpected(),
        }
    }
    (count.load(Ordering::Relaxed), found)
}

/// The unwinding payload that stops loom at the first violation or limit.
struct Stop;
