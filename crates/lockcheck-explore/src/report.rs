//! What an exploration reports: the verdict, and for a violation a
//! counterexample a person can read and replay.

use std::fmt;
use std::time::Duration;

use crate::property::Violation;
use crate::reach::{Reached, Tally};
use crate::run::Execution;
use crate::scenario::Scenario;
use crate::schedule::Schedule;
use crate::strategy::Strategy;
use crate::verdict::{Limit, Verdict};

/// The result of exploring a scenario.
#[derive(Debug)]
#[non_exhaustive]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The strategy, as text.
    pub strategy: String,
    /// Schedules run before stopping (at the first violation or limit,
    /// or at the end of the budget).
    pub schedules: usize,
    /// Time spent exploring (shrinking not included).
    pub elapsed: Duration,
    /// The first violation found, shrunk; `None` when none was found.
    pub counterexample: Option<Counterexample>,
    /// What the executions reached: per process, operations completed and
    /// critical sections entered; distinct interleavings.
    pub reached: Reached,
    /// The explorer's limit that stopped the search before its budget was
    /// explored, if one did (then the verdict is unknown).
    pub limit: Option<Limit>,
    /// Why this exploration is less than the one the code asked for, when
    /// the environment's knobs shrank it or replaced it by a replay
    /// ([`crate::Strategy::shortfall`]); set by [`Scenario::explore`].
    pub shortfall: Option<String>,
}

impl Report {
    pub(crate) fn new(
        scenario: &Scenario,
        strategy: &Strategy,
        schedules: usize,
        elapsed: Duration,
        counterexample: Option<Counterexample>,
        tally: &Tally,
    ) -> Report {
        Report {
            scenario: scenario.name.clone(),
            strategy: strategy.to_string(),
            schedules,
            elapsed,
            counterexample,
            reached: tally.reached(),
            // A violation found before the limit stands.
            limit: tally.limit(),
            shortfall: None,
        }
    }

    /// The verdict: a violation if one was found; else unknown if a limit
    /// of the explorer stopped the search; else vacuous if some process
    /// got nowhere in any execution ([`crate::ProcessReach::idle`]); else
    /// safe.
    pub fn verdict(&self) -> Verdict {
        if let Some(c) = &self.counterexample {
            return Verdict::Violation(c.violation.property.name());
        }
        if let Some(limit) = &self.limit {
            return Verdict::Unknown(limit.clone());
        }
        let idle = self.reached.idle();
        if idle.is_empty() {
            Verdict::Safe
        } else {
            Verdict::Vacuous { idle }
        }
    }

    /// The stable name of the property violated, if any.
    pub fn violated(&self) -> Option<&'static str> {
        self.counterexample
            .as_ref()
            .map(|c| c.violation.property.name())
    }

    /// A claim of safety: panics unless the verdict is [`Verdict::Safe`]
    /// (with the counterexample of a violation, the limit of an unknown,
    /// the idle processes of a vacuous verdict) and the whole budget the
    /// code asked for was explored: a run whose `LOCKCHECK_ITERATIONS` or
    /// `LOCKCHECK_PREEMPTIONS` shrank the budget, or whose
    /// `LOCKCHECK_REPLAY` replaced it by one schedule, claims nothing
    /// ([`Report::shortfall`]).
    #[track_caller]
    pub fn assert_safe(&self) {
        let what = format!(
            "{}: {} schedules ({})",
            self.scenario, self.schedules, self.strategy
        );
        match self.verdict() {
            Verdict::Safe => {}
            Verdict::Violation(_) => {
                if let Some(c) = &self.counterexample {
                    panic!("{c}");
                }
            }
            verdict => panic!("{what}: {verdict}; reached {}", self.reached),
        }
        if let Some(shortfall) = &self.shortfall {
            panic!("{what}: no violation, but no claim of safety either: {shortfall}");
        }
    }

    /// Panics unless the violation found is of the property named
    /// `property`; returns the counterexample.
    #[track_caller]
    pub fn assert_violates(&self, property: &str) -> &Counterexample {
        match &self.counterexample {
            Some(c) if c.violation.property.name() == property => c,
            Some(c) => panic!("expected {property} to be violated, found:\n{c}"),
            None => panic!(
                "expected {property} to be violated; {} found nothing in {} schedules: {}",
                self.strategy,
                self.schedules,
                self.verdict()
            ),
        }
    }
}

impl fmt::Display for Report {
    /// One line: the verdict, the budget, what was reached; then the
    /// counterexample of a violation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} in {} schedules ({}), {:.1?}; reached {}",
            self.scenario,
            self.verdict(),
            self.schedules,
            self.strategy,
            self.elapsed,
            self.reached
        )?;
        if let Some(shortfall) = &self.shortfall {
            write!(f, "\nnot the budget asked for: {shortfall}")?;
        }
        if let Some(c) = &self.counterexample {
            write!(f, "\n{c}")?;
        }
        Ok(())
    }
}

/// A violation with everything needed to understand and replay it.
#[derive(Debug, Clone)]
pub struct Counterexample {
    /// The scenario's name.
    pub scenario: String,
    /// What failed.
    pub violation: Violation,
    /// The shrunk schedule's string (shuttle strategies); `None` under loom,
    /// whose replay is re-running the same bound.
    pub schedule: Option<String>,
    /// Preemptions in the schedule.
    pub preemptions: usize,
    /// The processes' calls up to the violation, one line each, indented
    /// by process.
    pub timeline: Vec<String>,
    /// One command line that replays it.
    pub replay: String,
    /// Time spent shrinking.
    pub shrink_time: Duration,
    /// The protocol operations of this execution, when the scenario
    /// records them ([`Scenario::record_history`], or `linearizable`
    /// checked): for [`crate::OpHistory::check`], or to save or draw.
    pub history: Option<crate::OpHistory>,
}

impl Counterexample {
    pub(crate) fn new(
        scenario: &Scenario,
        execution: Execution,
        schedule: Option<Schedule>,
        shrink_time: Duration,
    ) -> Counterexample {
        let violation = execution
            .violation
            .clone()
            .expect("a counterexample has a violation");
        let test = std::thread::current()
            .name()
            .filter(|n| *n != "main")
            .map(|n| format!(" -- --exact {n}"))
            .unwrap_or_default();
        let replay = match &schedule {
            Some(s) => format!("LOCKCHECK_REPLAY={} cargo test{test}", s.encode()),
            None => format!("cargo test{test} (loom explores in a fixed order)"),
        };
        Counterexample {
            scenario: scenario.name.clone(),
            timeline: timeline(&execution, violation.step),
            preemptions: schedule.as_ref().map_or(0, Schedule::preemptions),
            schedule: schedule.map(|s| s.encode()),
            violation,
            replay,
            shrink_time,
            history: execution.history,
        }
    }
}

/// The processes' steps, from the first after setup to the violation.
fn timeline(execution: &Execution, until: Option<u64>) -> Vec<String> {
    execution
        .trace
        .iter()
        .filter(|e| e.step >= execution.setup_steps && until.is_none_or(|u| e.step <= u))
        .map(|e| {
            let lane = execution.pids.iter().position(|p| *p == e.pid);
            let indent = "    ".repeat(lane.unwrap_or(0));
            let who = match lane {
                Some(i) => format!("{i}:p{}", e.pid),
                None => format!("p{}", e.pid),
            };
            format!("{:>5}  {indent}[{who}] {} = {}", e.step, e.call, e.result)
        })
        .collect()
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.scenario, self.violation)?;
        writeln!(
            f,
            "timeline (step, [process:pid] call = result), {} preemption(s):",
            self.preemptions
        )?;
        for line in &self.timeline {
            writeln!(f, "{line}")?;
        }
        if let Some(s) = &self.schedule {
            writeln!(f, "schedule: {s}")?;
        }
        write!(f, "replay: {}", self.replay)
    }
}
