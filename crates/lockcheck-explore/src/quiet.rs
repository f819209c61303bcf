//! Quiet exploration: panics that an execution catches and reports as
//! violations (a deadlock report, a failed assertion in a user's process)
//! would otherwise each print a message and a backtrace, thousands of
//! times in a long search. While this thread explores, the panic hook
//! stays silent; on every other thread, and on this one afterwards, it
//! behaves as before.
//!
//! Silent is not hidden: the hook keeps the message and place of the last
//! panic, and a panic that escapes the exploration (one no execution
//! turned into a violation and that is no limit of the explorer: a bug in
//! lockcheck or in code it runs) is printed, message and place, before it
//! goes on unwinding.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The last silenced panic, as "MESSAGE (at FILE:LINE:COLUMN)".
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

/// A panic that escaped a quiet exploration.
pub(crate) struct Escaped {
    /// What to tell the user: the panic's message and place.
    pub message: String,
    /// The panic, to unwind on with.
    pub payload: Box<dyn Any + Send>,
}

impl Escaped {
    /// The text of the panic's payload (without its place).
    pub(crate) fn payload_text(&self) -> String {
        payload_message(self.payload.as_ref())
    }

    /// A panic no caller expected: tells the user its message and place
    /// on standard error, then unwinds on with it.
    pub(crate) fn unexpected(self) -> ! {
        eprintln!("{}", self.message);
        resume_unwind(self.payload)
    }
}

/// Runs `f` with this thread's panics silent, catching a panic out of it.
pub(crate) fn quietly_catching<T>(f: impl FnOnce() -> T) -> Result<T, Escaped> {
    install();
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(self.0));
        }
    }
    let restore = Restore(QUIET.with(|q| q.replace(true)));
    LAST.with(|l| l.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(f));
    drop(restore);
    result.map_err(|payload| {
        let what = LAST
            .with(|l| l.borrow_mut().take())
            .unwrap_or_else(|| payload_message(payload.as_ref()));
        Escaped {
            message: format!(
                "lockcheck: unexpected panic while exploring (a bug in lockcheck, or in \
                 code it runs, not a verdict): {what}"
            ),
            payload,
        }
    })
}

/// The text of a panic's payload.
pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic with no message".into())
}

/// Wraps the panic hook, after shuttle has installed its own (it does so
/// at its first execution), so that ours is outermost.
fn install() {
    INSTALL.call_once(|| {
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, 1);
        shuttle::Runner::new(scheduler, shuttle::Config::new()).run(|| {});
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
                return;
            }
            let message = payload_message(info.payload());
            let shown = match info.location() {
                Some(at) => format!("{message} (at {at})"),
                None => message,
            };
            LAST.with(|l| *l.borrow_mut() = Some(shown));
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_that_escapes_the_exploration_keeps_its_message_and_place() {
        let line = line!() + 1;
        let escaped = quietly_catching(|| panic!("the scheduler refuses")).err();
        let escaped = escaped.expect("the panic escapes");
        let place = format!("(at {}:{line}:", file!());
        assert!(
            escaped.message.starts_with(
                "lockcheck: unexpected panic while exploring (a bug in lockcheck, or in \
                 code it runs, not a verdict): the scheduler refuses"
            ),
            "{}",
            escaped.message
        );
        assert!(escaped.message.contains(&place), "{}", escaped.message);
        assert_eq!(
            payload_message(escaped.payload.as_ref()),
            "the scheduler refuses"
        );
    }

    #[test]
    fn a_panic_caught_inside_the_exploration_is_not_reported_as_escaped() {
        let value = quietly_catching(|| {
            let _ = catch_unwind(|| panic!("caught and turned into a violation"));
            7
        });
        assert!(matches!(value, Ok(7)));
        assert!(!QUIET.with(Cell::get), "quiet ends with the exploration");
    }
}
