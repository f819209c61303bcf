//! PCT for any scenario: shuttle's PCT scheduler learns the length of its
//! executions from the first one, counting only the steps where more than
//! one task could run, and refuses to go on (it panics) when there were
//! none. A scenario with one process and no fault threads is such a
//! sequential program: with one task there is nothing to choose, and
//! every schedule is the same one, so that first execution was the whole
//! search. [`Pct`] ends the search there instead; the schedule it records
//! is that execution's, written and replayed like any other.
//!
//! An execution that took no choice of task but drew random values can
//! still differ in them: the rest of the budget then draws them as the
//! random scheduler does (its task choices are as empty as PCT's).

use shuttle::scheduler::{PctScheduler, RandomScheduler, Schedule, Scheduler, Task, TaskId};

/// Shuttle's PCT scheduler, ending after one execution where it would
/// refuse a sequential one (see the module docs).
pub(crate) struct Pct {
    pct: PctScheduler,
    seed: u64,
    iterations: usize,
    phase: Phase,
}

enum Phase {
    /// Before the first execution.
    Start,
    /// In the first execution: whether a step offered a choice of task,
    /// and whether it drew a random value.
    First { choice: bool, random: bool },
    /// The first execution offered a choice: PCT as shuttle has it.
    Pct,
    /// Sequential, with random values: the random scheduler draws them.
    Random(RandomScheduler),
    /// Sequential: the one schedule has run.
    Done,
}

impl Pct {
    /// PCT from `seed` at `depth`, for at most `iterations` schedules.
    pub(crate) fn new(seed: u64, depth: usize, iterations: usize) -> Pct {
        Pct {
            pct: PctScheduler::new_from_seed(seed, depth, iterations),
            seed,
            iterations,
            phase: Phase::Start,
        }
    }
}

impl Scheduler for Pct {
    fn new_execution(&mut self) -> Option<Schedule> {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Start => Phase::First {
                choice: false,
                random: false,
            },
            Phase::First { choice: true, .. } | Phase::Pct => Phase::Pct,
            Phase::First {
                choice: false,
                random: true,
            } => Phase::Random(RandomScheduler::new_from_seed(
                self.seed,
                self.iterations.saturating_sub(1),
            )),
            Phase::Random(random) => Phase::Random(random),
            Phase::First { .. } | Phase::Done => Phase::Done,
        };
        match &mut self.phase {
            Phase::First { .. } | Phase::Pct => self.pct.new_execution(),
            Phase::Random(random) => random.new_execution(),
            Phase::Start | Phase::Done => None,
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        match &mut self.phase {
            Phase::Random(random) => random.next_task(runnable, current, is_yielding),
            Phase::First { choice, .. } => {
                *choice |= runnable.len() > 1;
                self.pct.next_task(runnable, current, is_yielding)
            }
            _ => self.pct.next_task(runnable, current, is_yielding),
        }
    }

    fn next_u64(&mut self) -> u64 {
        match &mut self.phase {
            Phase::Random(random) => random.next_u64(),
            Phase::First { random, .. } => {
                *random = true;
                self.pct.next_u64()
            }
            _ => self.pct.next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use lockcheck_fs::Fs;

    use crate::{Scenario, Strategy};

    fn one_process() -> Scenario {
        Scenario::new("one process").process(|ctx| {
            let p = ctx.proc();
            p.write_file("a", b"1").unwrap();
            p.write_file("b", b"2").unwrap();
            if p.read_file("a").unwrap() != b"1" {
                ctx.fail("a does not read back");
            }
        })
    }

    #[test]
    fn pct_explores_a_one_process_scenario_as_its_one_schedule() {
        let pct = Strategy::Pct {
            seed: 3,
            depth: 3,
            iterations: 50,
        };
        let report = one_process().explore_exactly(pct).unwrap();
        assert_eq!(report.schedules, 1);
        assert_eq!(report.violated(), None);
    }

    #[test]
    fn random_then_pct_explores_a_one_process_scenario() {
        let report = one_process()
            .explore_exactly(Strategy::standard(3))
            .unwrap();
        assert_eq!(report.schedules, 10_000 + 1);
        assert_eq!(report.violated(), None);
    }

    #[test]
    fn pct_finds_a_one_process_violation_and_its_schedule_replays() {
        let failing = Scenario::new("fails alone").process(|ctx| {
            ctx.proc().write_file("a", b"1").unwrap();
            ctx.fail("always fails");
        });
        let pct = Strategy::Pct {
            seed: 3,
            depth: 3,
            iterations: 50,
        };
        let report = failing.explore_exactly(pct).unwrap();
        assert_eq!(report.schedules, 1);
        let c = report.counterexample.expect("a violation");
        let schedule = c.schedule.expect("a shuttle schedule");
        let again = failing.explore_exactly(Strategy::Replay(schedule)).unwrap();
        assert_eq!(again.violated(), Some("assertion"));
    }
}
