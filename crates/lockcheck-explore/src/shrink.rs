//! Shrinking a failing schedule: fewer preemptions first, then fewer
//! steps, keeping the same violated property.
//!
//! A schedule is seen as segments: runs of decisions for one task. The
//! candidates tried, each replayed and kept when it still violates the
//! same property and is smaller, are: cutting the schedule at a
//! preemption (after the cut every task runs until it blocks); dropping
//! one segment (its task's steps happen later instead); and merging a
//! segment into the next one of the same task (the task does not stop in
//! between). Greedy, until nothing helps or the replay budget is spent.
//!
//! Greedy edits get stuck when the violation needs its few preemptions at
//! places the found schedule reaches only through many others. So first,
//! when the schedule has more than one preemption, a fresh PCT search
//! with one, then two priority change points looks for the same violation
//! with fewer (PCT with depth d preempts at d - 1 points at most).

use shuttle::scheduler::PctScheduler;

use std::sync::{Arc, Mutex};

use crate::explore::{Found, Ticker, replay, shuttle_search};
use crate::reach::Tally;
use crate::scenario::Scenario;
use crate::schedule::Choice;

/// Replays tried at most while shrinking one counterexample.
const BUDGET: usize = 400;

/// Schedules each low-depth PCT search runs at most.
const PCT_BUDGET: usize = 300;

/// Seeds tried at each PCT depth. A search stops at its first violation,
/// which may still need more preemptions than the depth allows (PCT's
/// initial priorities can preempt the first task too), so a few seeds are
/// tried, keeping the smallest, until one reaches `depth - 1`.
const PCT_SEEDS: u64 = 4;

/// How small a counterexample is: preemptions, then steps to the
/// violation (or to the end).
fn size(found: &Found) -> (usize, u64) {
    let steps = found
        .execution
        .violation
        .as_ref()
        .and_then(|v| v.step)
        .unwrap_or(found.execution.steps);
    (found.schedule.preemptions(), steps)
}

/// Whether `found` violates the property named `property`.
fn same(found: &Found, property: &str) -> bool {
    found
        .execution
        .violation
        .as_ref()
        .is_some_and(|v| v.property.name() == property)
}

/// Runs of equal choices: (choice, how many).
fn segments(choices: &[Choice]) -> Vec<(Choice, usize)> {
    let mut out: Vec<(Choice, usize)> = Vec::new();
    for &c in choices {
        match out.last_mut() {
            Some((last, n)) if *last == c => *n += 1,
            _ => out.push((c, 1)),
        }
    }
    out
}

fn flatten(segments: &[(Choice, usize)]) -> Vec<Choice> {
    segments
        .iter()
        .flat_map(|&(c, n)| std::iter::repeat_n(c, n))
        .collect()
}

/// The candidates to try from `found`, most promising first.
fn candidates(found: &Found) -> Vec<Vec<Choice>> {
    let decisions = &found.schedule.decisions;
    let choices: Vec<Choice> = decisions.iter().map(|d| d.choice).collect();
    let mut out: Vec<Vec<Choice>> = (0..decisions.len())
        .filter(|&i| decisions[i].preempted)
        .map(|i| choices[..i].to_vec())
        .collect();
    let segs = segments(&choices);
    for k in (0..segs.len()).rev() {
        let mut fewer = segs.clone();
        fewer.remove(k);
        out.push(flatten(&fewer));
        if let Some(j) = (k + 1..segs.len()).find(|&j| segs[j].0 == segs[k].0) {
            let mut merged = segs.clone();
            merged[k].1 += merged[j].1;
            merged.remove(j);
            out.push(flatten(&merged));
        }
    }
    out
}

/// Shrinks `best` as the module docs say.
pub(crate) fn shrink(scenario: &Scenario, mut best: Found) -> Found {
    let property = match &best.execution.violation {
        Some(v) => v.property.name(),
        None => return best,
    };
    for depth in [2, 3] {
        for seed in 0..PCT_SEEDS {
            if best.schedule.preemptions() < depth {
                break;
            }
            let pct = PctScheduler::new_from_seed(seed, depth, PCT_BUDGET);
            let tally = Arc::new(Mutex::new(Tally::new(scenario)));
            if let (_, Some(found)) =
                shuttle_search(scenario, "pct", pct, &Ticker::default(), &tally)
                && same(&found, property)
                && size(&found) < size(&best)
            {
                best = found;
            }
        }
    }
    let mut tries = 0;
    'improve: while tries < BUDGET {
        for candidate in candidates(&best) {
            if tries >= BUDGET {
                break 'improve;
            }
            tries += 1;
            let Ok(found) = replay(scenario, candidate, false) else {
                continue;
            };
            if same(&found, property) && size(&found) < size(&best) {
                best = found;
                continue 'improve;
            }
        }
        break;
    }
    best
}
