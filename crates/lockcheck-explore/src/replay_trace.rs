//! Replaying one schedule with every call traced, whether or not a
//! property fails on it: what `lockcheck replay` prints.

use crate::explore::{ExploreError, replay};
use crate::property::Violation;
use crate::scenario::Scenario;
use crate::schedule::decode;

/// One schedule run again, traced.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// Every call the processes made, one line each, indented by process
    /// (as a counterexample's timeline).
    pub timeline: Vec<String>,
    /// The first property violated, if any.
    pub violation: Option<Violation>,
    /// The schedule string of what ran (the given one, normalized).
    pub schedule: String,
    /// The protocol operations it ran, when the scenario records them
    /// ([`Scenario::record_history`], or `linearizable` checked).
    pub history: Option<crate::OpHistory>,
}

impl Scenario {
    /// Runs exactly the schedule `schedule` (a string such as
    /// `v1:a10b10a9`, as counterexamples print it) with every call
    /// traced, and returns the whole timeline and the first violation.
    /// Unlike exploring with [`crate::Strategy::Replay`], the timeline is
    /// given even when no property fails.
    pub fn replay_traced(&self, schedule: &str) -> Result<Replayed, ExploreError> {
        if self.processes.is_empty() {
            return Err(ExploreError::NoProcesses);
        }
        let choices = decode(schedule)?;
        let found = replay(self, choices, true).map_err(ExploreError::Limit)?;
        let e = &found.execution;
        let timeline = e
            .trace
            .iter()
            .filter(|t| t.step >= e.setup_steps)
            .map(|t| {
                let lane = e.pids.iter().position(|p| *p == t.pid);
                let indent = "    ".repeat(lane.unwrap_or(0));
                let who = match lane {
                    Some(i) => format!("{i}:p{}", t.pid),
                    None => format!("p{}", t.pid),
                };
                format!("{:>5}  {indent}[{who}] {} = {}", t.step, t.call, t.result)
            })
            .collect();
        Ok(Replayed {
            timeline,
            violation: e.violation.clone(),
            schedule: found.schedule.encode(),
            history: found.execution.history,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Op, Property, Protocol, Scenario, Strategy};
    use lockcheck_protocols::lockfile::Refresh;

    #[test]
    fn a_replayed_schedule_gives_the_whole_trace_and_the_same_violation() {
        let s = Scenario::protocol("r", Protocol::lockfile(Refresh::UnlinkThenWrite))
            .before(0, [Op::Acquire])
            .ops([Op::Critical, Op::Refresh, Op::Critical, Op::Release])
            .ops([Op::Acquire, Op::Critical, Op::Release])
            .only([Property::MutualExclusion]);
        let strategy = Strategy::Random {
            seed: 4,
            iterations: 2_000,
        };
        let report = s.explore_exactly(strategy).unwrap();
        let c = report.assert_violates("mutual-exclusion");
        let schedule = c.schedule.clone().unwrap();
        let r = s.replay_traced(&schedule).unwrap();
        assert_eq!(r.violation.as_ref(), Some(&c.violation));
        assert!(r.timeline.len() >= c.timeline.len());
        assert_eq!(r.timeline[..c.timeline.len()], c.timeline[..]);
        assert_eq!(r.schedule, schedule);
    }

    #[test]
    fn a_schedule_that_breaks_nothing_still_shows_its_trace() {
        let s = Scenario::protocol("s", Protocol::lockfile(Refresh::WriteTempThenReplace)).ops([
            Op::Acquire,
            Op::Critical,
            Op::Release,
        ]);
        let r = s.replay_traced("v1:a").unwrap();
        assert!(r.violation.is_none());
        assert!(
            r.timeline.iter().any(|l| l.contains("open(")),
            "{:?}",
            r.timeline
        );
        assert!(s.replay_traced("v1:?").is_err());
    }
}

#[cfg(test)]
mod progress_tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::{Op, Protocol, Scenario, Strategy};
    use lockcheck_protocols::lockfile::Refresh;

    #[test]
    fn progress_is_told_every_schedule_across_both_phases() {
        let s = Scenario::protocol("p", Protocol::lockfile(Refresh::Fenced))
            .ops([Op::Acquire, Op::Critical, Op::Release])
            .ops([Op::Acquire, Op::Critical, Op::Release]);
        let (calls, last) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, l) = (calls.clone(), last.clone());
        let strategy = Strategy::RandomThenPct {
            seed: 1,
            iterations: 50,
            depth: 2,
        };
        let report = s
            .explore_exactly_with_progress(strategy, move |n| {
                c.fetch_add(1, Ordering::Relaxed);
                l.fetch_max(n, Ordering::Relaxed);
            })
            .unwrap();
        assert_eq!(report.schedules, 100);
        assert_eq!(calls.load(Ordering::Relaxed), 100);
        assert_eq!(last.load(Ordering::Relaxed), 100);
        let loom = s
            .explore_exactly_with_progress(Strategy::Loom { preemptions: 1 }, |_| {})
            .unwrap();
        assert!(loom.schedules > 0);
    }
}
