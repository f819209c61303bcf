//! How to explore: which scheduler, from which seed, for how long.

use std::fmt;

use crate::config::Knobs;

/// An exploration strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Shuttle's uniformly random scheduler.
    Random {
        /// Its seed.
        seed: u64,
        /// Schedules to run.
        iterations: usize,
    },
    /// Shuttle's PCT scheduler (probabilistic concurrency testing).
    Pct {
        /// Its seed.
        seed: u64,
        /// The bug depth it aims at (priority change points + 1).
        depth: usize,
        /// Schedules to run.
        iterations: usize,
    },
    /// Shuttle's depth-first search over every schedule, up to a limit.
    Dfs {
        /// Schedules to run at most (`None`: all of them).
        max_iterations: Option<usize>,
    },
    /// `iterations` random schedules, then as many PCT ones, from one
    /// seed: the default, since each finds bugs the other misses.
    RandomThenPct {
        /// The seed of both.
        seed: u64,
        /// Schedules per scheduler.
        iterations: usize,
        /// PCT's depth.
        depth: usize,
    },
    /// Loom: every schedule up to a preemption bound (programs of protocol
    /// operations only).
    Loom {
        /// At most this many preemptions per schedule.
        preemptions: usize,
    },
    /// Exactly one schedule, from its string (see [`crate::schedule`]).
    Replay(String),
}

impl Strategy {
    /// The budget the tests' claims about fixed variants use: 10,000
    /// random then 10,000 PCT schedules (depth 3) from `seed`.
    pub fn standard(seed: u64) -> Strategy {
        Strategy::RandomThenPct {
            seed,
            iterations: 10_000,
            depth: 3,
        }
    }

    /// Random then PCT (depth 3) as `knobs` say.
    pub fn from_knobs(knobs: Knobs) -> Strategy {
        Strategy::RandomThenPct {
            seed: knobs.seed,
            iterations: knobs.iterations,
            depth: knobs.preemptions.max(1) + 1,
        }
    }

    /// This strategy with the environment's knobs (seed, iterations,
    /// preemptions, replay) in place of its own, where set.
    pub fn with_env(self) -> Result<Strategy, crate::config::KnobError> {
        self.with_vars(|var| std::env::var(var).ok())
    }

    /// As [`Strategy::with_env`], reading variables through `get`.
    pub fn with_vars(
        self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Strategy, crate::config::KnobError> {
        if let Some(schedule) = crate::config::replay_from_vars(&get)? {
            return Ok(Strategy::Replay(schedule));
        }
        match self.knobs() {
            Some(knobs) => Ok(self.with_knobs(knobs.with_vars(get)?)),
            None => Ok(self),
        }
    }

    /// Schedules this strategy runs at most: its budget (`None`: every
    /// schedule, for loom and an unlimited DFS).
    pub fn budget(&self) -> Option<usize> {
        match self {
            Strategy::Random { iterations, .. } | Strategy::Pct { iterations, .. } => {
                Some(*iterations)
            }
            Strategy::RandomThenPct { iterations, .. } => Some(iterations.saturating_mul(2)),
            Strategy::Dfs { max_iterations } => *max_iterations,
            Strategy::Loom { .. } => None,
            Strategy::Replay(_) => Some(1),
        }
    }

    /// Why this strategy (the one explored) explores less than `asked`
    /// (the one the code gave, before the environment's knobs): a replay
    /// in place of a search, a smaller budget, or a lower preemption
    /// bound or PCT depth. `None` when it explores at least as much.
    pub fn shortfall(&self, asked: &Strategy) -> Option<String> {
        if self == asked {
            return None;
        }
        if let Strategy::Replay(s) = self {
            return Some(format!(
                "{} replaced the exploration ({asked}) by one schedule, {s}",
                crate::config::REPLAY_VAR
            ));
        }
        let smaller = |a: Option<usize>, b: Option<usize>| match (a, b) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let (mine, theirs) = (self.knobs()?, asked.knobs()?);
        let shrunk =
            smaller(self.budget(), asked.budget()) || mine.preemptions < theirs.preemptions;
        shrunk.then(|| {
            format!(
                "the environment's knobs ({}, {}) shrank the exploration from {asked} to {self}",
                crate::config::ITERATIONS_VAR,
                crate::config::PREEMPTIONS_VAR
            )
        })
    }

    /// The knobs this strategy uses (a PCT depth is preemptions + 1; a
    /// DFS without limit has `usize::MAX` iterations); `None` for a replay.
    fn knobs(&self) -> Option<Knobs> {
        let d = Knobs::default();
        Some(match *self {
            Strategy::Random { seed, iterations } => Knobs {
                seed,
                iterations,
                ..d
            },
            Strategy::Pct {
                seed,
                depth,
                iterations,
            }
            | Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            } => Knobs {
                seed,
                iterations,
                preemptions: depth.saturating_sub(1),
            },
            Strategy::Dfs { max_iterations } => Knobs {
                iterations: max_iterations.unwrap_or(usize::MAX),
                ..d
            },
            Strategy::Loom { preemptions } => Knobs { preemptions, ..d },
            Strategy::Replay(_) => return None,
        })
    }

    /// This strategy with its knobs replaced by `k`.
    fn with_knobs(self, k: Knobs) -> Strategy {
        match self {
            Strategy::Random { .. } => Strategy::Random {
                seed: k.seed,
                iterations: k.iterations,
            },
            Strategy::Pct { .. } => Strategy::Pct {
                seed: k.seed,
                depth: k.preemptions + 1,
                iterations: k.iterations,
            },
            Strategy::RandomThenPct { .. } => Strategy::RandomThenPct {
                seed: k.seed,
                iterations: k.iterations,
                depth: k.preemptions + 1,
            },
            Strategy::Dfs { .. } => Strategy::Dfs {
                max_iterations: (k.iterations != usize::MAX).then_some(k.iterations),
            },
            Strategy::Loom { .. } => Strategy::Loom {
                preemptions: k.preemptions,
            },
            replay @ Strategy::Replay(_) => replay,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Random { seed, iterations } => {
                write!(f, "random (seed {seed}, {iterations} schedules)")
            }
            Strategy::Pct {
                seed,
                depth,
                iterations,
            } => write!(
                f,
                "pct (seed {seed}, depth {depth}, {iterations} schedules)"
            ),
            Strategy::Dfs { max_iterations } => match max_iterations {
                Some(n) => write!(f, "dfs (at most {n} schedules)"),
                None => f.write_str("dfs (every schedule)"),
            },
            Strategy::RandomThenPct {
                seed,
                iterations,
                depth,
            } => write!(
                f,
                "random then pct (seed {seed}, {iterations} schedules each, depth {depth})"
            ),
            Strategy::Loom { preemptions } => {
                write!(f, "loom (preemption bound {preemptions})")
            }
            Strategy::Replay(s) => write!(f, "replay of {s}"),
        }
    }
}
