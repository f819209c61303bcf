//! The determinism check: one schedule, run twice, must give the same
//! trace bit for bit. A difference means the scenario (or the code under
//! test) depends on something the simulation does not control: the real
//! clock, a random number generator, a hash map's iteration order, a real
//! file or thread. Then no counterexample can be trusted to replay.

use lockcheck_fs::TraceEvent;

use crate::explore::{ExploreError, replay};
use crate::scenario::Scenario;
use crate::schedule::decode;

/// Two runs of one schedule that differ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "nondeterministic: the same schedule gave different traces from step {step}: {first} / {second}"
)]
pub struct Nondeterminism {
    /// The first step that differs.
    pub step: usize,
    /// That step in the first run (`end` if the run had ended).
    pub first: String,
    /// That step in the second run.
    pub second: String,
}

impl Scenario {
    /// Runs `schedule` twice, traced, and checks that the traces are
    /// identical; returns the trace.
    pub fn check_deterministic(&self, schedule: &str) -> Result<Vec<TraceEvent>, ExploreError> {
        if self.processes.is_empty() {
            return Err(ExploreError::NoProcesses);
        }
        let choices = decode(schedule)?;
        self.check_setup()?;
        let a = replay(self, choices.clone(), true)
            .map_err(ExploreError::Limit)?
            .execution
            .trace;
        let b = replay(self, choices, true)
            .map_err(ExploreError::Limit)?
            .execution
            .trace;
        let shown = |t: Option<&TraceEvent>| t.map_or("end".to_string(), |e| e.to_string());
        match (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            None => Ok(a),
            Some(step) => Err(ExploreError::Nondeterministic(Nondeterminism {
                step,
                first: shown(a.get(step)),
                second: shown(b.get(step)),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use lockcheck_fs::Fs;

    use super::*;

    #[test]
    fn a_scenario_of_simulated_calls_replays_identically() {
        let s = Scenario::new("plain")
            .process(|cx| cx.proc().write_file("a", b"1").unwrap())
            .process(|cx| cx.proc().write_file("a", b"2").unwrap());
        let trace = s.check_deterministic("v1:ab2a3").unwrap();
        assert!(trace.len() >= 6, "{trace:?}");
    }

    #[test]
    fn state_kept_outside_the_simulation_is_caught_as_nondeterminism() {
        let runs = Arc::new(AtomicU32::new(0));
        let s = Scenario::new("leaky").process(move |cx| {
            let n = runs.fetch_add(1, Ordering::SeqCst);
            cx.proc().write_file("a", n.to_string().as_bytes()).unwrap();
        });
        let e = s.check_deterministic("v1:a").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "nondeterministic: the same schedule gave different traces from step 1"
            ),
            "{e}"
        );
    }
}
