//! The verdict of an exploration, and the budget limits that make it
//! unknown.

use std::fmt;

/// A limit of the explorer that cut an execution short: the exploration
/// stops there and its verdict is [`Verdict::Unknown`], never a violation
/// (the protocol did nothing wrong; the explorer could not finish).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Loom's limit on the branches (scheduling decisions) of one
    /// execution: [`LOOM_MAX_BRANCHES`].
    LoomBranches {
        /// The limit.
        max: usize,
    },
    /// Shuttle's limit on the steps of one execution:
    /// [`SHUTTLE_MAX_STEPS`].
    ShuttleSteps {
        /// The limit.
        max: usize,
    },
    /// The end of SimFs's virtual time (400 years): a process began a
    /// sleep there, which can never end, and nothing else could run.
    VirtualClock,
}

/// Most branches loom may take in one execution (loom's own default,
/// set explicitly so that `LOOM_MAX_BRANCHES` does not change verdicts).
pub const LOOM_MAX_BRANCHES: usize = 1_000;

/// Most steps shuttle may take in one execution (shuttle's own default,
/// set explicitly).
pub const SHUTTLE_MAX_STEPS: usize = 1_000_000;

/// Most threads loom runs: its hard limit. An execution runs one thread
/// per process and one per crash or pause fault.
pub const LOOM_MAX_THREADS: usize = 5;

impl Limit {
    /// The limit a panic message of the explorer reports, if it reports
    /// one (loom's and shuttle's own wording).
    pub(crate) fn from_panic(message: &str) -> Option<Limit> {
        if message.contains("Model exceeded maximum number of branches") {
            Some(Limit::LoomBranches {
                max: LOOM_MAX_BRANCHES,
            })
        } else if message.contains("exceeded max_steps bound") {
            Some(Limit::ShuttleSteps {
                max: SHUTTLE_MAX_STEPS,
            })
        } else if message.starts_with("lockcheck: deadlock")
            && message.contains(lockcheck_fs::CLOCK_LIMIT_WAIT)
        {
            // Stuck only because time ran out: a limit, not a deadlock.
            Some(Limit::VirtualClock)
        } else {
            None
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::LoomBranches { max } => {
                write!(f, "loom's branch limit ({max} branches in one execution)")
            }
            Limit::ShuttleSteps { max } => {
                write!(f, "shuttle's step limit ({max} steps in one execution)")
            }
            Limit::VirtualClock => write!(f, "the end of virtual time (400 years)"),
        }
    }
}

/// What an exploration concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// No property failed within the budget, and every process made
    /// progress in some execution.
    Safe,
    /// No property failed, but these processes (by number) got nowhere in
    /// any execution (see [`crate::ProcessReach::idle`]): the safety is
    /// vacuous, e.g. because every acquire failed.
    Vacuous {
        /// The processes that got nowhere.
        idle: Vec<usize>,
    },
    /// A limit of the explorer was reached before the budget was explored.
    Unknown(Limit),
    /// The property of this name failed.
    Violation(&'static str),
}

impl Verdict {
    /// `safe`, `vacuous`, `unknown` or `violation`.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Vacuous { .. } => "vacuous",
            Verdict::Unknown(_) => "unknown",
            Verdict::Violation(_) => "violation",
        }
    }
}

impl fmt::Display for Verdict {
    /// `safe`, `vacuous (process 1 got nowhere)`, `unknown (LIMIT reached)`,
    /// `violation (PROPERTY)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Safe => f.write_str("safe"),
            Verdict::Vacuous { idle } => {
                let list: Vec<String> = idle.iter().map(usize::to_string).collect();
                let s = if idle.len() == 1 { "" } else { "es" };
                write!(f, "vacuous (process{s} {} got nowhere)", list.join(", "))
            }
            Verdict::Unknown(limit) => write!(f, "unknown ({limit} reached)"),
            Verdict::Violation(p) => write!(f, "violation ({p})"),
        }
    }
}
