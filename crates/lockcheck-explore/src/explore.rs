//! Running a scenario under a strategy: shuttle's schedulers wrapped so
//! that each schedule is recorded, the first violation stops the search,
//! and its schedule is shrunk and handed back replayable; or loom.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockcheck_fs::sync::ShuttleRuntime;
use shuttle::scheduler::{DfsScheduler, RandomScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

use crate::ctx::Ctx;
use crate::loom_search::{loom_can_run, loom_search};
use crate::pct::Pct;
use crate::quiet::quietly_catching;
use crate::reach::Tally;
use crate::report::{Counterexample, Report};
use crate::run::{Execution, execute};
use crate::scenario::{Program, Scenario};
use crate::schedule::{Choice, Guided, Log, Recording, Schedule, decode};
use crate::shrink::shrink;
use crate::strategy::Strategy;
use crate::verdict::{Limit, SHUTTLE_MAX_STEPS};

/// Why a scenario could not be explored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    /// More threads than loom can run (it aborts the program past them).
    #[error(
        "{scenario}: loom runs at most {max} threads, one per process and one per crash or \
         pause fault; this scenario needs {} ({processes} processes, {faults} faults): \
         use a shuttle strategy or fewer processes",
        processes + faults
    )]
    LoomThreads {
        /// The scenario's name.
        scenario: String,
        /// Its processes.
        processes: usize,
        /// Its crash and pause faults.
        faults: usize,
        /// Loom's limit.
        max: usize,
    },
    /// A limit of the explorer cut the one schedule asked for short.
    #[error("the schedule stopped at {0}: no verdict")]
    Limit(Limit),
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

/// Runs one schedule that follows `choices`, recording what it did
/// (and, with `trace`, every call); the limit that cut it short, if one
/// did before a violation.
pub(crate) fn replay(
    scenario: &Scenario,
    choices: Vec<Choice>,
    trace: bool,
) -> Result<Found, Limit> {
    let log: Log = Arc::default();
    let out: Arc<Mutex<Option<Execution>>> = Arc::default();
    let (s, o) = (Arc::new(scenario.clone()), out.clone());
    let scheduler = Recording::new(Guided::new(choices), log.clone(), Arc::default());
    let run = quietly_catching(|| {
        Runner::new(scheduler, shuttle_config()).run(move || {
            *o.lock().unwrap() = Some(execute::<ShuttleRuntime>(&s, run_custom, trace));
        })
    });
    if let Err(escaped) = run {
        match Limit::from_panic(&escaped.payload_text()) {
            Some(limit) => return Err(limit),
            None => escaped.unexpected(),
        }
    }
    let execution = out.lock().unwrap().take().expect("the schedule ran once");
    if let Some(limit) = &execution.limit
        && execution.violation.is_none()
    {
        return Err(limit.clone());
    }
    let schedule = log.lock().unwrap().clone();
    Ok(Found {
        execution,
        schedule,
    })
}

/// Told how many schedules have run, after each one (for a progress bar).
#[derive(Clone, Default)]
pub(crate) struct Ticker {
    hook: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    base: usize,
}

impl Ticker {
    pub(crate) fn tick(&self, n: usize) {
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

/// Shuttle's configuration for every execution: the step limit set
/// explicitly, and nothing printed on failure (lockcheck reports it).
pub(crate) fn shuttle_config() -> Config {
    let mut config = Config::new();
    config.max_steps = MaxSteps::FailAfter(SHUTTLE_MAX_STEPS);
    config.failure_persistence = FailurePersistence::None;
    config
}

/// Explores with one shuttle scheduler until a
/// violation, a limit, or the end of its budget; returns the schedules
/// run and what was found, and adds what the executions reached, and a
/// limit met, to `tally`.
pub(crate) fn shuttle_search(
    scenario: &Scenario,
    scheduler: impl Scheduler + 'static,
    ticker: &Ticker,
    tally: &Arc<Mutex<Tally>>,
) -> (usize, Option<Found>) {
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let found: Arc<Mutex<Option<Execution>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let s = Arc::new(scenario.clone());
    let (stop2, found2, count2, tally2) =
        (stop.clone(), found.clone(), count.clone(), tally.clone());
    let ticker = ticker.clone();
    let body = move || {
        let n = count2.fetch_add(1, Ordering::Relaxed) + 1;
        let execution = execute::<ShuttleRuntime>(&s, run_custom, false);
        ticker.tick(n);
        if tally2.lock().unwrap().add(&execution) {
            stop2.store(true, Ordering::SeqCst);
        }
        if execution.violation.is_some() && !stop2.swap(true, Ordering::SeqCst) {
            *found2.lock().unwrap() = Some(execution);
        }
    };
    let scheduler = Recording::new(scheduler, log.clone(), stop);
    let run = quietly_catching(|| Runner::new(scheduler, shuttle_config()).run(body));
    if let Err(escaped) = run {
        match Limit::from_panic(&escaped.payload_text()) {
            Some(limit) => tally.lock().unwrap().stopped(limit),
            None => escaped.unexpected(),
        }
    }
    let found = found.lock().unwrap().take().map(|execution| Found {
        execution,
        schedule: log.lock().unwrap().clone(),
    });
    (count.load(Ordering::Relaxed), found)
}

impl Scenario {
    /// Explores this scenario with `strategy`, the environment's knobs
    /// applied (see [`Strategy::with_env`]), shrinks the first violation
    /// found, and reports. When the knobs shrink the strategy's budget or
    /// replace it by a replay, the report says so
    /// ([`Report::shortfall`]) and [`Report::assert_safe`] refuses it.
    pub fn explore(&self, strategy: Strategy) -> Result<Report, ExploreError> {
        self.explore_with_vars(strategy, |var| std::env::var(var).ok())
    }

    /// As [`Scenario::explore`], reading the knobs' variables through
    /// `get` instead of the environment (for tests of the knobs).
    pub fn explore_with_vars(
        &self,
        strategy: Strategy,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Report, ExploreError> {
        let explored = strategy.clone().with_vars(get)?;
        let mut report = self.explore_exactly(explored.clone())?;
        report.shortfall = explored.shortfall(&strategy);
        Ok(report)
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
        let tally = Arc::new(Mutex::new(Tally::new(self)));
        let (schedules, found) = match &strategy {
            Strategy::Random { seed, iterations } => {
                let random = RandomScheduler::new_from_seed(*seed, *iterations);
                shuttle_search(self, random, ticker, &tally)
            }
            Strategy::Pct {
                seed,
                depth,
                iterations,
            } => shuttle_search(self, Pct::new(*seed, *depth, *iterations), ticker, &tally),
            Strategy::Dfs { max_iterations } => {
                let dfs = DfsScheduler::new(*max_iterations, false);
                shuttle_search(self, dfs, ticker, &tally)
            }
            Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            } => {
                let random = RandomScheduler::new_from_seed(*seed, *iterations);
                let (n, found) = shuttle_search(self, random, ticker, &tally);
                if found.is_some() || tally.lock().unwrap().limit().is_some() {
                    (n, found)
                } else {
                    let pct = Pct::new(*seed, *depth, *iterations);
                    let (m, found) = shuttle_search(self, pct, &ticker.after(n), &tally);
                    (n + m, found)
                }
            }
            Strategy::Replay(text) => match replay(self, decode(text)?, false) {
                Ok(found) => {
                    tally.lock().unwrap().add(&found.execution);
                    let violated = found.execution.violation.is_some();
                    (1, violated.then_some(found))
                }
                Err(limit) => {
                    tally.lock().unwrap().stopped(limit);
                    (1, None)
                }
            },
            Strategy::Loom { preemptions } => {
                loom_can_run(self)?;
                let (n, found) = loom_search(self, *preemptions, false, ticker, &tally);
                let elapsed = start.elapsed();
                // Loom explores in a fixed order: the same bound finds the
                // same execution first, this time traced.
                let counterexample = found.map(|_| {
                    let again = Arc::new(Mutex::new(Tally::new(self)));
                    let (_, traced) =
                        loom_search(self, *preemptions, true, &Ticker::default(), &again);
                    let execution = traced.expect("loom finds the same violation again");
                    Counterexample::new(self, execution, None, Duration::ZERO)
                });
                let tally = tally.lock().unwrap();
                return Ok(Report::new(
                    self,
                    &strategy,
                    n,
                    elapsed,
                    counterexample,
                    &tally,
                ));
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
            let shown = replay(self, small.schedule.choices(), true)
                .expect("a violating schedule replays to its violation");
            Counterexample::new(
                self,
                shown.execution,
                Some(shown.schedule),
                shrink_start.elapsed(),
            )
        });
        let tally = tally.lock().unwrap();
        Ok(Report::new(
            self,
            &strategy,
            schedules,
            elapsed,
            counterexample,
            &tally,
        ))
    }
}
