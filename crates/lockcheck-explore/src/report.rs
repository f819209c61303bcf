//! What an exploration reports: the verdict, and for a violation a
//! counterexample a person can read and replay.

use std::fmt;
use std::time::Duration;

use crate::property::Violation;
use crate::run::Execution;
use crate::scenario::Scenario;
use crate::schedule::Schedule;
use crate::strategy::Strategy;

/// The result of exploring a scenario.
#[derive(Debug)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// The strategy, as text.
    pub strategy: String,
    /// Schedules run before stopping (at the first violation, or at the
    /// end of the budget).
    pub schedules: usize,
    /// Time spent exploring (shrinking not included).
    pub elapsed: Duration,
    /// The first violation found, shrunk; `None` when none was found.
    pub counterexample: Option<Counterexample>,
}

impl Report {
    pub(crate) fn new(
        scenario: &Scenario,
        strategy: &Strategy,
        schedules: usize,
        elapsed: Duration,
        counterexample: Option<Counterexample>,
    ) -> Report {
        Report {
            scenario: scenario.name.clone(),
            strategy: strategy.to_string(),
            schedules,
            elapsed,
            counterexample,
        }
    }

    /// The stable name of the property violated, if any.
    pub fn violated(&self) -> Option<&'static str> {
        self.counterexample
            .as_ref()
            .map(|c| c.violation.property.name())
    }

    /// Panics with the counterexample if a violation was found.
    #[track_caller]
    pub fn assert_safe(&self) {
        if let Some(c) = &self.counterexample {
            panic!("{c}");
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
                "expected {property} to be violated; {} found nothing in {} schedules",
                self.strategy, self.schedules
            ),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.counterexample {
            None => write!(
                f,
                "{}: no violation in {} schedules ({}), {:.1?}",
                self.scenario, self.schedules, self.strategy, self.elapsed
            ),
            Some(c) => write!(
                f,
                "{}: violation after {} schedules ({}), {:.1?}\n{c}",
                self.scenario, self.schedules, self.strategy, self.elapsed
            ),
        }
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
