//! Schedules: the scheduling decisions of one execution, recorded while an
//! explorer runs, written as a short string, and followed again to replay
//! (or, changed, to shrink) that execution.
//!
//! The string form is `v1:` then runs of decisions: a letter names the task
//! run (`a` is shuttle's task 0, the test's main thread; `b` the first
//! spawned thread, and so on), `~` a random value, and a number after a
//! letter repeats it: `v1:a3b2a` is a, a, a, b, b, a.

use std::sync::{Arc, Mutex};

use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};

/// One scheduling decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Run this task (shuttle's task number).
    Task(usize),
    /// Hand the running task a random value.
    Random,
}

/// A decision and whether it preempted: the running task could have gone
/// on (it was runnable and did not yield) and another was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// What was decided.
    pub choice: Choice,
    /// Whether it was a preemption.
    pub preempted: bool,
    /// The task that was running, when it was runnable and not yielding:
    /// the choice that would not have preempted.
    pub stay: Option<usize>,
}

impl Decision {
    /// Running `chosen` where `stay` (if any) would not have preempted.
    fn task(chosen: TaskId, stay: Option<TaskId>) -> Decision {
        Decision {
            choice: Choice::Task(chosen.into()),
            preempted: stay.is_some_and(|s| s != chosen),
            stay: stay.map(Into::into),
        }
    }
}

/// The decisions of one execution, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The decisions.
    pub decisions: Vec<Decision>,
}

/// A schedule string that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad schedule {text:?} at character {at}: expected {expected}")]
pub struct ScheduleError {
    /// The string.
    pub text: String,
    /// Where it went wrong (0-based, in characters).
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

const TASKS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

impl Schedule {
    /// How many decisions preempted a runnable task.
    pub fn preemptions(&self) -> usize {
        self.decisions.iter().filter(|d| d.preempted).count()
    }

    /// The choices alone.
    pub fn choices(&self) -> Vec<Choice> {
        self.decisions.iter().map(|d| d.choice).collect()
    }

    /// The string form (see the module docs).
    pub fn encode(&self) -> String {
        encode(&self.choices())
    }
}

/// Writes choices in the string form (see the module docs).
pub fn encode(choices: &[Choice]) -> String {
    let mut out = String::from("v1:");
    let mut i = 0;
    while i < choices.len() {
        let run = choices[i..]
            .iter()
            .take_while(|c| **c == choices[i])
            .count();
        match choices[i] {
            Choice::Task(t) => out.push(TASKS.get(t).map_or('?', |b| *b as char)),
            Choice::Random => out.push('~'),
        }
        if run > 1 {
            out.push_str(&run.to_string());
        }
        i += run;
    }
    out
}

/// Reads the string form back.
pub fn decode(text: &str) -> Result<Vec<Choice>, ScheduleError> {
    let fail = |at, expected| ScheduleError {
        text: text.to_string(),
        at,
        expected,
    };
    let body = text
        .trim()
        .strip_prefix("v1:")
        .ok_or_else(|| fail(0, "the prefix `v1:`"))?;
    let chars: Vec<char> = body.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = i + 3;
        let choice = match chars[i] {
            '~' => Choice::Random,
            c if c.is_ascii_lowercase() => Choice::Task((c as u8 - b'a') as usize),
            _ => return Err(fail(at, "a task letter a-z or `~`")),
        };
        i += 1;
        let digits: String = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        i += digits.len();
        let run = if digits.is_empty() {
            1
        } else {
            match digits.parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => return Err(fail(at + 1, "a repeat count from 1 to 1000000")),
            }
        };
        out.extend(std::iter::repeat_n(choice, run));
    }
    Ok(out)
}

/// Where a [`Recording`] scheduler hands over the decisions of the last
/// execution it ran, once the search ends.
pub type Log = Arc<Mutex<Schedule>>;

/// Wraps a shuttle scheduler, keeping the current execution's decisions,
/// and stops exploring once told to. When the search ends (told to stop,
/// or the wrapped scheduler is done), the last execution's decisions go to
/// the log: the test body sets `stop` when an execution fails, so that
/// execution's schedule is what the log then holds.
pub struct Recording<S> {
    /// Not dropped when the search stops early: shuttle's random scheduler
    /// prints a "failing seed" notice when dropped mid-search, which
    /// would point users at the wrong replay mechanism.
    inner: std::mem::ManuallyDrop<S>,
    current: Schedule,
    log: Log,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl<S> Recording<S> {
    /// Wraps `inner`; the last execution's decisions go to `log`; no new
    /// execution starts once `stop` is set.
    pub fn new(inner: S, log: Log, stop: Arc<std::sync::atomic::AtomicBool>) -> Recording<S> {
        Recording {
            inner: std::mem::ManuallyDrop::new(inner),
            current: Schedule::default(),
            log,
            stop,
        }
    }

    fn hand_over(&mut self) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        *log = std::mem::take(&mut self.current);
    }
}

impl<S> Drop for Recording<S> {
    fn drop(&mut self) {
        if !self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            // SAFETY: dropped once, here, and never used again.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.inner) };
        }
        // Stopped early: the scheduler is leaked (a few words), see above.
    }
}

impl<S: Scheduler> Scheduler for Recording<S> {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if self.stop.load(std::sync::atomic::Ordering::SeqCst) {
            self.hand_over();
            return None;
        }
        let Some(next) = self.inner.new_execution() else {
            self.hand_over();
            return None;
        };
        self.current.decisions.clear();
        Some(next)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let chosen = self.inner.next_task(runnable, current, is_yielding)?;
        let stay = current.filter(|c| !is_yielding && runnable.iter().any(|t| t.id() == *c));
        self.current.decisions.push(Decision::task(chosen, stay));
        Some(chosen)
    }

    fn next_u64(&mut self) -> u64 {
        self.current.decisions.push(Decision {
            choice: Choice::Random,
            preempted: false,
            stay: None,
        });
        self.inner.next_u64()
    }
}

/// Follows a list of choices for one execution; where the list runs out,
/// or names a task that cannot run, it lets the running task go on (or,
/// if it cannot, runs the lowest-numbered runnable task). Random values
/// come from a fixed generator.
pub struct Guided {
    choices: Vec<Choice>,
    pos: usize,
    started: bool,
    rng: u64,
}

impl Guided {
    /// A scheduler for one execution that follows `choices`.
    pub fn new(choices: Vec<Choice>) -> Guided {
        Guided {
            choices,
            pos: 0,
            started: false,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }
}

impl Scheduler for Guided {
    fn new_execution(&mut self) -> Option<ShuttleSchedule> {
        if self.started {
            return None;
        }
        self.started = true;
        Some(ShuttleSchedule::new(0))
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let can = |t: usize| runnable.iter().any(|r| usize::from(r.id()) == t);
        let wanted = self.choices.get(self.pos).copied();
        self.pos += 1;
        if let Some(Choice::Task(t)) = wanted
            && can(t)
        {
            return Some(TaskId::from(t));
        }
        if let Some(c) = current.filter(|c| !is_yielding && can((*c).into())) {
            return Some(c);
        }
        runnable.iter().map(|t| t.id()).min()
    }

    fn next_u64(&mut self) -> u64 {
        self.pos += 1;
        // xorshift64*: deterministic, and good enough for test data.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_string_round_trips() {
        let choices = vec![
            Choice::Task(0),
            Choice::Task(0),
            Choice::Task(1),
            Choice::Random,
            Choice::Task(2),
            Choice::Task(2),
            Choice::Task(2),
        ];
        let text = encode(&choices);
        assert_eq!(text, "v1:a2b~c3");
        assert_eq!(decode(&text).unwrap(), choices);
    }

    #[test]
    fn a_bad_schedule_string_names_the_place() {
        let e = decode("v1:a2B").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bad schedule \"v1:a2B\" at character 5: expected a task letter a-z or `~`"
        );
        assert_eq!(decode("a2").unwrap_err().at, 0);
        assert!(decode("v1:a99999999999").is_err());
    }
}
