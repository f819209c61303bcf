//! Running a scenario under a strategy: shuttle's schedulers wrapped so
//! that each schedule is recorded, the first violation stops the search,
//! and its schedule is shrunk and handed back replayable; or loom.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockcheck_fs::sync::{LoomRuntime, ShuttleRuntime};
use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, Scheduler};
use shuttle::{Config, Runner};

use crate::ctx::Ctx;
use crate::quiet::quietly;
use crate::report::{Counterexample, Report};
use crate::run::{Execution, execute};
use crate::scenario::{Program, Scenario};
use crate::schedule::{Choice, Guided, Log, Recording, Schedule, decode};
use crate::shrink::shrink;
use crate::strategy::Strategy;

/// Why a scenario could not be explored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExploreError {
    /// A schedule string that does not parse.
    #[error(transparent)]
    Schedule(#[from] crate::schedule::ScheduleError),
    /// An environment knob that does not parse.
    #[error(transparent)]
    Knob(#[from] crate::config::KnobError),
    /// Loom runs programs of protocol operations only.
    #[error("loom explores programs of protocol operations only; process {0} runs a closure")]
    LoomNeedsOps(usize),
    /// One schedule gave two different traces.
    #[error(transparent)]
    Nondeterministic(#[from] crate::determinism::Nondeterminism),
    /// A scenario without processes.
    #[error("the scenario has no processes")]
    NoProcesses,
}

/// A violation found while exploring: the execution and its schedule.
#[derive(Debug)]
pub(crate) struct Found {
    pub execution: Execution,
    pub schedule: Schedule,
}

fn run_custom(program: &Program, ctx: &Ctx<ShuttleRuntime>) -> bool {
    if let Program::Custom(body) = program {
        body(ctx);
    }
    true
}

fn no_custom(_: &Program, _: &Ctx<LoomRuntime>) -> bool {
    false
}

/// Runs one schedule that follows `choices`, recording what it did
/// (and, with `trace`, every call).
pub(crate) fn replay(scenario: &Scenario, choices: Vec<Choice>, trace: bool) -> Found {
    let log: Log = Arc::default();
    let out: Arc<Mutex<Option<Execution>>> = Arc::default();
    let (s, o) = (Arc::new(scenario.clone()), out.clone());
    let scheduler = Recording::new(Guided::new(choices), log.clone(), Arc::default());
    quietly(|| {
        Runner::new(scheduler, Config::new()).run(move || {
            *o.lock().unwrap() = Some(execute::<ShuttleRuntime>(&s, run_custom, trace));
        })
    });
    let execution = out.lock().unwrap().take().expect("the schedule ran once");
    let schedule = log.lock().unwrap().clone();
    Found {
        execution,
        schedule,
    }
}

/// Explores with one shuttle scheduler until a violation or the end of
/// its budget; returns the schedules run and what was found.
fn shuttle_search(
    scenario: &Scenario,
    scheduler: impl Scheduler + 'static,
) -> (usize, Option<Found>) {
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (stop2, found2, count2) = (stop.clone(), found.clone(), count.clone());
    let body = move || {
        count2.fetch_add(1, Ordering::Relaxed);
        let execution = execute::<ShuttleRuntime>(&s, run_custom, false);
        if execution.violation.is_some() && !stop2.swap(true, Ordering::SeqCst) {
            *found2.lock().unwrap() = Some(execution);
        }
    };
    quietly(|| Runner::new(Recording::new(scheduler, log.clone(), stop), Config::new()).run(body));
    let found = found.lock().unwrap().take().map(|execution| Found {
        execution,
        schedule: log.lock().unwrap().clone(),
    });
    (count.load(Ordering::Relaxed), found)
}

/// Explores every loom schedule up to the preemption bound; stops at the
/// first violation by unwinding out of loom with a [`Stop`] (through
/// `resume_unwind`, which skips the panic hook: nothing is printed).
fn loom_search(scenario: &Scenario, preemptions: usize) -> (usize, Option<Execution>) {
    loom_run(scenario, preemptions, false)
}

/// As [`loom_search`], with every call traced.
fn loom_search_traced(scenario: &Scenario, preemptions: usize) -> (usize, Option<Execution>) {
    loom_run(scenario, preemptions, true)
}

fn loom_run(scenario: &Scenario, preemptions: usize, trace: bool) -> (usize, Option<Execution>) {
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (found2, count2) = (found.clone(), count.clone());
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    let outcome = quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            builder.check(move || {
                count2.fetch_add(1, Ordering::Relaxed);
                let execution = execute::<LoomRuntime>(&s, no_custom, trace);
                if execution.violation.is_some() {
                    *found2.lock().unwrap() = Some(execution);
                    std::panic::resume_unwind(Box::new(Stop));
                }
            })
        }))
    });
    let found = found.lock().unwrap().take();
    if let Err(panic) = outcome
        && found.is_none()
    {
        std::panic::resume_unwind(panic);
    }
    (count.load(Ordering::Relaxed), found)
}

/// The unwinding payload that stops loom at the first violation.
struct Stop;

impl Scenario {
    /// Explores this scenario with `strategy` (environment knobs applied:
    /// see [`Strategy::with_env`]), shrinks the first violation found, and
    /// reports.
    pub fn explore(&self, strategy: Strategy) -> Result<Report, ExploreError> {
        let strategy = strategy.with_env()?;
        self.explore_exactly(strategy)
    }

    /// As [`Scenario::explore`], ignoring the environment.
    pub fn explore_exactly(&self, strategy: Strategy) -> Result<Report, ExploreError> {
        if self.processes.is_empty() {
            return Err(ExploreError::NoProcesses);
        }
        let start = Instant::now();
        let (schedules, found) = match &strategy {
            Strategy::Random { seed, iterations } => {
                shuttle_search(self, RandomScheduler::new_from_seed(*seed, *iterations))
            }
            Strategy::Pct {
                seed,
                depth,
                iterations,
            } => shuttle_search(
                self,
                PctScheduler::new_from_seed(*seed, *depth, *iterations),
            ),
            Strategy::Dfs { max_iterations } => {
                shuttle_search(self, DfsScheduler::new(*max_iterations, false))
            }
            Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            } => {
                let random = RandomScheduler::new_from_seed(*seed, *iterations);
                let (n, found) = shuttle_search(self, random);
                if found.is_some() {
                    (n, found)
                } else {
                    let pct = PctScheduler::new_from_seed(*seed, *depth, *iterations);
                    let (m, found) = shuttle_search(self, pct);
                    (n + m, found)
                }
            }
            Strategy::Replay(text) => {
                let found = replay(self, decode(text)?, false);
                let violated = found.execution.violation.is_some();
                (1, violated.then_some(found))
            }
            Strategy::Loom { preemptions } => {
                if let Some(i) = self
                    .processes
                    .iter()
                    .position(|p| matches!(p, Program::Custom(_)))
                {
                    return Err(ExploreError::LoomNeedsOps(i));
                }
                let (n, found) = loom_search(self, *preemptions);
                let elapsed = start.elapsed();
                // Loom explores in a fixed order: the same bound finds the
                // same execution first, this time traced.
                let counterexample = found.map(|_| {
                    let (_, traced) = loom_search_traced(self, *preemptions);
                    let execution = traced.expect("loom finds the same violation again");
                    Counterexample::new(self, execution, None, Duration::ZERO)
                });
                return Ok(Report::new(self, &strategy, n, elapsed, counterexample));
            }
        };
        let elapsed = start.elapsed();
        let counterexample = found.map(|found| {
            let shrink_start = Instant::now();
            let small = if matches!(strategy, Strategy::Replay(_)) {
                found
            } else {
                shrink(self, found)
            };
            let shown = replay(self, small.schedule.choices(), true);
            Counterexample::new(
                self,
                shown.execution,
                Some(shown.schedule),
                shrink_start.elapsed(),
            )
        });
        Ok(Report::new(
            self,
            &strategy,
            schedules,
            elapsed,
            counterexample,
        ))
    }
}
