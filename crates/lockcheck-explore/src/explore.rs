//! Running a scenario under a strategy: shuttle's schedulers wrapped so
//! that each schedule is recorded, the first violation stops the search,
//! and its schedule is shrunk and handed back replayable; or loom.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockcheck_fs::sync::{LoomRuntime, ShuttleRuntime};
use shuttle::scheduler::{DfsScheduler, RandomScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};

use crate::ctx::Ctx;
use crate::pct::Pct;
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
    /// A setup the simulated file system refuses.
    #[error(transparent)]
    Setup(#[from] crate::setup::SetupError),
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

/// Shuttle's settings for lockcheck's runs: shuttle prints no failing
/// schedule of its own when an execution fails (lockcheck reports its own
/// replayable schedule string; shuttle's would point at the wrong replay).
fn shuttle_config() -> Config {
    let mut config = Config::new();
    config.failure_persistence = FailurePersistence::None;
    config
}

/// Runs one schedule that follows `choices`, recording what it did
/// (and, with `trace`, every call).
pub(crate) fn replay(scenario: &Scenario, choices: Vec<Choice>, trace: bool) -> Found {
    let log: Log = Arc::default();
    let out: Arc<Mutex<Option<Execution>>> = Arc::default();
    let (s, o) = (Arc::new(scenario.clone()), out.clone());
    let scheduler = Recording::new(Guided::new(choices), log.clone(), Arc::default());
    quietly(|| {
        Runner::new(scheduler, shuttle_config()).run(move || {
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

/// Told how many schedules have run, after each one (for a progress bar).
#[derive(Clone, Default)]
pub(crate) struct Ticker {
    hook: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    base: usize,
}

impl Ticker {
    fn tick(&self, n: usize) {
        if let Some(hook) = &self.hook {
            hook(self.base + n);
        }
    }

    /// This ticker, counting on from `base` schedules already run.
    fn after(&self, base: usize) -> Ticker {
        Ticker {
            hook: self.hook.clone(),
            base: self.base + base,
        }
    }
}

/// Explores with one shuttle scheduler until a violation or the end of
/// its budget; returns the schedules run and what was found.
pub(crate) fn shuttle_search(
    scenario: &Scenario,
    scheduler: impl Scheduler + 'static,
    ticker: &Ticker,
) -> (usize, Option<Found>) {
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (stop2, found2, count2) = (stop.clone(), found.clone(), count.clone());
    let ticker = ticker.clone();
    let body = move || {
        let n = count2.fetch_add(1, Ordering::Relaxed) + 1;
        let execution = execute::<ShuttleRuntime>(&s, run_custom, false);
        ticker.tick(n);
        if execution.violation.is_some() && !stop2.swap(true, Ordering::SeqCst) {
            *found2.lock().unwrap() = Some(execution);
        }
    };
    quietly(|| {
        Runner::new(
            Recording::new(scheduler, log.clone(), stop),
            shuttle_config(),
        )
        .run(body)
    });
    let found = found.lock().unwrap().take().map(|execution| Found {
        execution,
        schedule: log.lock().unwrap().clone(),
    });
    (count.load(Ordering::Relaxed), found)
}

/// Explores every loom schedule up to the preemption bound; stops at the
/// first violation by unwinding out of loom with a [`Stop`] (through
/// `resume_unwind`, which skips the panic hook: nothing is printed).
fn loom_search(
    scenario: &Scenario,
    preemptions: usize,
    ticker: &Ticker,
) -> (usize, Option<Execution>) {
    loom_run(scenario, preemptions, false, ticker)
}

/// As [`loom_search`], with every call traced.
fn loom_search_traced(scenario: &Scenario, preemptions: usize) -> (usize, Option<Execution>) {
    loom_run(scenario, preemptions, true, &Ticker::default())
}

fn loom_run(
    scenario: &Scenario,
    preemptions: usize,
    trace: bool,
    ticker: &Ticker,
) -> (usize, Option<Execution>) {
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (found2, count2) = (found.clone(), count.clone());
    let ticker = ticker.clone();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    let outcome = quietly(|| {
        catch_unwind(AssertUnwindSafe(|| {
            builder.check(move || {
                let n = count2.fetch_add(1, Ordering::Relaxed) + 1;
                let execution = execute::<LoomRuntime>(&s, no_custom, trace);
                ticker.tick(n);
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
        self.explore_ticking(strategy, &Ticker::default())
    }

    /// As [`Scenario::explore_exactly`], calling `progress` after each
    /// schedule with the number of schedules run so far (for a progress
    /// bar; keep it cheap: it runs once per schedule).
    pub fn explore_exactly_with_progress(
        &self,
        strategy: Strategy,
        progress: impl Fn(usize) + Send + Sync + 'static,
    ) -> Result<Report, ExploreError> {
        let ticker = Ticker {
            hook: Some(Arc::new(progress)),
            base: 0,
        };
        self.explore_ticking(strategy, &ticker)
    }

    fn explore_ticking(&self, strategy: Strategy, ticker: &Ticker) -> Result<Report, ExploreError> {
        if self.processes.is_empty() {
            return Err(ExploreError::NoProcesses);
        }
        self.check_setup()?;
        let start = Instant::now();
        let (schedules, found) = match &strategy {
            Strategy::Random { seed, iterations } => {
                let random = RandomScheduler::new_from_seed(*seed, *iterations);
                shuttle_search(self, random, ticker)
            }
            Strategy::Pct {
                seed,
                depth,
                iterations,
            } => shuttle_search(self, Pct::new(*seed, *depth, *iterations), ticker),
            Strategy::Dfs { max_iterations } => {
                shuttle_search(self, DfsScheduler::new(*max_iterations, false), ticker)
            }
            Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            } => {
                let random = RandomScheduler::new_from_seed(*seed, *iterations);
                let (n, found) = shuttle_search(self, random, ticker);
                if found.is_some() {
                    (n, found)
                } else {
                    let pct = Pct::new(*seed, *depth, *iterations);
                    let (m, found) = shuttle_search(self, pct, &ticker.after(n));
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
                let (n, found) = loom_search(self, *preemptions, ticker);
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
