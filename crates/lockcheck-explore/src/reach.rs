//! What an exploration reached: per process, the operations it completed
//! and the critical sections it entered, summed over every execution, and
//! how many distinct interleavings it saw. A "safe" verdict means little
//! when a process never got anywhere: [`Reached::idle`] names such
//! processes, and [`crate::Verdict::Vacuous`] reports them.

use std::collections::HashSet;
use std::fmt;

use crate::program::Op;
use crate::run::Execution;
use crate::scenario::{Program, Scenario};
use crate::verdict::Limit;

/// What one process reached, summed over every execution explored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessReach {
    /// Operations that completed with a result: a protocol operation that
    /// returned (an acquire that got the lock, a claim won or lost, an
    /// agent added, a release), or a user's [`crate::Ctx::completed`].
    /// An acquire that fails or times out, or an operation that errs,
    /// does not count.
    pub completed: u64,
    /// Critical sections entered ([`crate::Ctx::enter`]).
    pub entered: u64,
    /// Whether this process's program takes a lock ([`Op::Acquire`]): then
    /// it made progress only if it entered its critical section. Other
    /// programs (registry adds, claims, task-board updates) made progress
    /// if an operation completed; a user's closure if it did either.
    pub takes_lock: bool,
}

impl ProcessReach {
    /// Whether the process got nowhere in any execution: it takes a lock
    /// and never entered its critical section, or it completed no
    /// operation and entered no critical section.
    pub fn idle(&self) -> bool {
        if self.takes_lock {
            self.entered == 0
        } else {
            self.completed == 0 && self.entered == 0
        }
    }
}

/// What an exploration reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reached {
    /// Per process, by number.
    pub processes: Vec<ProcessReach>,
    /// Distinct interleavings seen: executions whose sequences of
    /// file-system steps (which process took each) differ.
    pub interleavings: usize,
}

impl Reached {
    /// The processes that got nowhere in any execution, by number.
    pub fn idle(&self) -> Vec<usize> {
        (0..self.processes.len())
            .filter(|i| self.processes[*i].idle())
            .collect()
    }
}

impl fmt::Display for Reached {
    /// `2 interleaving(s); process 0: 3 operation(s), 1 critical section(s); ...`:
    /// operations completed, critical sections entered.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} interleaving(s)", self.interleavings)?;
        for (i, p) in self.processes.iter().enumerate() {
            write!(
                f,
                "; process {i}: {} operation(s), {} critical section(s)",
                p.completed, p.entered
            )?;
        }
        Ok(())
    }
}

/// Accumulates what the executions of one exploration reached.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    reached: Reached,
    seen: HashSet<u64>,
    limit: Option<Limit>,
}

impl Tally {
    /// A tally for `scenario`'s processes.
    pub(crate) fn new(scenario: &Scenario) -> Tally {
        let processes = scenario
            .processes
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let before = scenario.prelude.iter().filter(|(j, _)| *j == i);
                let mut ops = before.flat_map(|(_, ops)| ops.iter());
                let takes_lock = matches!(p, Program::Ops(body) if body.contains(&Op::Acquire))
                    || ops.any(|op| *op == Op::Acquire);
                ProcessReach {
                    takes_lock,
                    ..ProcessReach::default()
                }
            })
            .collect();
        Tally {
            reached: Reached {
                processes,
                interleavings: 0,
            },
            seen: HashSet::new(),
            limit: None,
        }
    }

    /// Adds one execution; true if a limit of the explorer cut it short
    /// without a violation (the search stops there).
    pub(crate) fn add(&mut self, execution: &Execution) -> bool {
        let pairs = self.reached.processes.iter_mut().zip(&execution.progress);
        for (reach, (completed, entered)) in pairs {
            reach.completed += completed;
            reach.entered += entered;
        }
        if self.seen.insert(execution.fingerprint) {
            self.reached.interleavings += 1;
        }
        match &execution.limit {
            Some(limit) if execution.violation.is_none() => {
                self.stopped(limit.clone());
                true
            }
            _ => false,
        }
    }

    /// The search stopped at `limit` (the first one met is kept).
    pub(crate) fn stopped(&mut self, limit: Limit) {
        self.limit.get_or_insert(limit);
    }

    /// The limit the search stopped at, if any.
    pub(crate) fn limit(&self) -> Option<Limit> {
        self.limit.clone()
    }

    /// What was reached.
    pub(crate) fn reached(&self) -> Reached {
        self.reached.clone()
    }
}
