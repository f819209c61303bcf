//! Schedules: the scheduling decisions of one execution, recorded while an
//! explorer runs, written as a short string, and followed again to replay
//! (or, changed, to shrink) that execution.
//!
//! The string form is `v1:` then runs of decisions: a letter names the task
//! run (`a` is shuttle's task 0, the test's main thread; `b` the first
//! spawned thread, and so on up to `z`, task 25), `~` a random value, and a
//! number after a letter repeats it: `v1:a3b2a` is a, a, a, b, b, a.
//!
//! A task past `z` is written as its number between underscores: `_26_` is
//! task 26, and `_26_3b` is task 26 three times, then b. (Any task may be
//! written so, `_0_` is `a`; [`encode`] uses it only past `z`, so every
//! string written before this form existed reads as it did.) Underscores,
//! letters, digits and `~` need no quoting in a shell.
//!
//! A string names at most [`MAX_DECISIONS`] decisions: more than one
//! execution can take, since shuttle fails an execution after a million
//! steps.

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
#[error("bad schedule {} at character {at}: expected {expected}", shown(text))]
pub struct ScheduleError {
    /// The string (shown cut short in the message when long).
    pub text: String,
    /// Where it went wrong (0-based, in characters).
    pub at: usize,
    /// What was expected there.
    pub expected: &'static str,
}

const TASKS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// The most decisions a schedule string may name: shuttle fails an
/// execution after 1,000,000 steps, and each step is at most one decision
/// (random values, rare, are the others). Bounds what a replay allocates.
pub const MAX_DECISIONS: usize = 1_000_000;

/// The largest task number a string may name: one execution cannot
/// start more threads than it takes steps.
pub const MAX_TASK: usize = 1_000_000;

/// `text` quoted, cut short past 60 characters.
fn shown(text: &str) -> String {
    const KEEP: usize = 60;
    match text.char_indices().nth(KEEP) {
        None => format!("{text:?}"),
        Some((end, _)) => format!(
            "{:?} (cut short; {} characters in all)",
            format!("{}...", &text[..end]),
            text.chars().count()
        ),
    }
}

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
            Choice::Task(t) => match TASKS.get(t) {
                Some(letter) => out.push(*letter as char),
                None => {
                    out.push('_');
                    out.push_str(&t.to_string());
                    out.push('_');
                }
            },
            Choice::Random => out.push('~'),
        }
        if run > 1 {
            out.push_str(&run.to_string());
        }
        i += run;
    }
    out
}

/// Reads the string form back (at most [`MAX_DECISIONS`] decisions).
pub fn decode(text: &str) -> Result<Vec<Choice>, ScheduleError> {
    let fail = |at, expected| ScheduleError {
        text: text.to_string(),
        at,
        expected,
    };
    let lead = text.len() - text.trim_start().len();
    let body = text
        .trim()
        .strip_prefix("v1:")
        .ok_or_else(|| fail(0, "the prefix `v1:`"))?;
    // Positions count characters of `text`, from 0.
    let skip = text[..lead].chars().count() + 3;
    let chars: Vec<char> = body.chars().collect();
    let number = |from: usize| -> (usize, Option<usize>) {
        let len = chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        let digits: String = chars[from..from + len].iter().collect();
        (len, digits.parse::<usize>().ok())
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = i + skip;
        let choice = match chars[i] {
            '~' => Choice::Random,
            c if c.is_ascii_lowercase() => Choice::Task((c as u8 - b'a') as usize),
            '_' => {
                let (len, n) = number(i + 1);
                match n {
                    Some(t) if t <= MAX_TASK && chars.get(i + 1 + len) == Some(&'_') => {
                        i += len + 1;
                        Choice::Task(t)
                    }
                    _ => {
                        return Err(fail(
                            at + 1,
                            "a task number from 0 to 1000000 between underscores, as in `_26_`",
                        ));
                    }
                }
            }
            _ => return Err(fail(at, "a task letter a-z, `_` and a task number, or `~`")),
        };
        i += 1;
        let (len, n) = number(i);
        let run = match (len, n) {
            (0, _) => 1,
            (_, Some(n)) if (1..=MAX_DECISIONS).contains(&n) => n,
            _ => return Err(fail(i + skip, "a repeat count from 1 to 1000000")),
        };
        i += len;
        if out.len() + run > MAX_DECISIONS {
            return Err(fail(
                at,
                "at most 1000000 decisions in all (more than one execution can take)",
            ));
        }
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
    /// Not dropped when the search stops early or a panic escapes it:
    /// shuttle's random scheduler prints a "failing seed" notice when
    /// dropped mid-search, which would point users at the wrong replay
    /// mechanism.
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
        if !self.stop.load(std::sync::atomic::Ordering::SeqCst) && !std::thread::panicking() {
            // SAFETY: dropped once, here, and never used again.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.inner) };
        }
        // Stopped early, or unwinding from a panic that escaped the
        // search: the scheduler is leaked (a few words), see above.
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
            "bad schedule \"v1:a2B\" at character 5: expected a task letter a-z, `_` and a task number, or `~`"
        );
        assert_eq!(decode("a2").unwrap_err().at, 0);
        assert_eq!(decode("v1:a99999999999").unwrap_err().at, 4);
        assert_eq!(decode("v1:b_27").unwrap_err().at, 5);
        assert_eq!(decode("v1:_1000001_").unwrap_err().at, 4);
        assert_eq!(decode("  v1:a!").unwrap_err().at, 6);
    }

    #[test]
    fn tasks_past_z_are_numbered_between_underscores() {
        let choices = vec![
            Choice::Task(25),
            Choice::Task(26),
            Choice::Task(26),
            Choice::Task(27),
            Choice::Task(1000),
            Choice::Task(0),
        ];
        let text = encode(&choices);
        assert_eq!(text, "v1:z_26_2_27__1000_a");
        assert_eq!(decode(&text).unwrap(), choices);
        assert_eq!(
            decode("v1:_0_b").unwrap(),
            [Choice::Task(0), Choice::Task(1)]
        );
    }

    #[test]
    fn a_schedule_of_more_decisions_than_an_execution_takes_is_refused_before_it_is_built() {
        let text = format!("v1:{}", "a1000000b1000000".repeat(1000));
        let e = decode(&text).unwrap_err();
        assert_eq!(e.at, 11);
        assert!(e.expected.starts_with("at most 1000000 decisions"), "{e}");
        let shown = e.to_string();
        assert!(
            shown.len() < 300,
            "the message quotes the string cut short: {shown}"
        );
        assert!(
            shown.contains("(cut short; 16003 characters in all)"),
            "{shown}"
        );
        assert_eq!(
            decode(&format!("v1:a{MAX_DECISIONS}")).unwrap().len(),
            MAX_DECISIONS
        );
    }

    fn choice() -> impl proptest::strategy::Strategy<Value = Choice> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Choice::Random),
            (0..30usize).prop_map(Choice::Task),
            (0..=MAX_TASK).prop_map(Choice::Task),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_schedule_round_trips_through_its_string(
            choices in proptest::collection::vec(choice(), 0..200),
        ) {
            let text = encode(&choices);
            proptest::prop_assert!(
                text.chars().all(|c| c.is_ascii_alphanumeric() || "v:~_".contains(c)),
                "{text}"
            );
            proptest::prop_assert_eq!(decode(&text).unwrap(), choices);
        }
    }
}
