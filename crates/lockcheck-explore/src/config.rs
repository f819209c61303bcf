//! The exploration knobs (seed, iterations, preemption bound) and the one
//! place that reads their environment overrides.

use std::env;

/// Environment variable overriding the seed of random and PCT exploration.
pub const SEED_VAR: &str = "LOCKCHECK_SEED";
/// Environment variable overriding how many schedules are explored.
pub const ITERATIONS_VAR: &str = "LOCKCHECK_ITERATIONS";
/// Environment variable overriding the preemption bound (loom) and the PCT
/// depth.
pub const PREEMPTIONS_VAR: &str = "LOCKCHECK_PREEMPTIONS";

/// Environment variable that replays one schedule (its string, as a
/// counterexample prints it) instead of exploring.
pub const REPLAY_VAR: &str = "LOCKCHECK_REPLAY";

/// The schedule [`REPLAY_VAR`] asks to replay, checked to parse; the
/// variables are read through `get`.
pub fn replay_from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<String>, KnobError> {
    let Some(value) = get(REPLAY_VAR) else {
        return Ok(None);
    };
    match crate::schedule::decode(&value) {
        Ok(_) => Ok(Some(value.trim().to_string())),
        Err(_) => Err(KnobError {
            var: REPLAY_VAR,
            value,
            expected: "a schedule string such as v1:a3b2a",
        }),
    }
}

/// How hard and from where to explore. Values set in code are defaults;
/// [`Knobs::with_env`] lets the environment override each one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// Seed of the random and PCT schedulers.
    pub seed: u64,
    /// Schedules to explore per scheduler.
    pub iterations: usize,
    /// Preemption bound for loom; depth for PCT.
    pub preemptions: usize,
}

impl Default for Knobs {
    /// Seed 0, 10,000 schedules, preemption bound 2.
    fn default() -> Knobs {
        Knobs {
            seed: 0,
            iterations: 10_000,
            preemptions: 2,
        }
    }
}

/// An environment knob that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?}: expected {expected}")]
pub struct KnobError {
    /// The variable.
    pub var: &'static str,
    /// What it held.
    pub value: String,
    /// What it should hold.
    pub expected: &'static str,
}

impl Knobs {
    /// These knobs, with each one the environment sets replaced by its
    /// value. Fails on the first variable that does not parse.
    pub fn with_env(self) -> Result<Knobs, KnobError> {
        self.with_vars(|var| env::var(var).ok())
    }

    /// As [`Knobs::with_env`], reading variables through `get`.
    pub fn with_vars(self, get: impl Fn(&str) -> Option<String>) -> Result<Knobs, KnobError> {
        let parse = |var: &'static str, expected: &'static str, min: u64| {
            get(var)
                .map(|value| {
                    let n = value.trim().replace('_', "").parse::<u64>().ok();
                    n.filter(|n| *n >= min).ok_or(KnobError {
                        var,
                        value,
                        expected,
                    })
                })
                .transpose()
        };
        let seed = parse(SEED_VAR, "an unsigned integer", 0)?;
        let iterations = parse(ITERATIONS_VAR, "a positive integer", 1)?;
        let preemptions = parse(PREEMPTIONS_VAR, "an unsigned integer", 0)?;
        Ok(Knobs {
            seed: seed.unwrap_or(self.seed),
            iterations: iterations.map_or(self.iterations, |n| n as usize),
            preemptions: preemptions.map_or(self.preemptions, |n| n as usize),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |var| pairs.iter().find(|(k, _)| k == var).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_environment_overrides_each_knob_it_sets() {
        let k = Knobs::default()
            .with_vars(vars(&[(SEED_VAR, "7"), (ITERATIONS_VAR, "1_000")]))
            .unwrap();
        assert_eq!((k.seed, k.iterations, k.preemptions), (7, 1000, 2));
    }

    #[test]
    fn a_bad_knob_fails_naming_the_variable_and_what_was_expected() {
        let e = Knobs::default()
            .with_vars(vars(&[(ITERATIONS_VAR, "0")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "LOCKCHECK_ITERATIONS=\"0\": expected a positive integer"
        );
        let e = Knobs::default()
            .with_vars(vars(&[(SEED_VAR, "abc")]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "LOCKCHECK_SEED=\"abc\": expected an unsigned integer"
        );
    }
}
