//! Operation histories: every protocol operation reports its invocation and
//! its outcome to a [`Recorder`], so explorers and the linearizability
//! checker can see what each process asked for and what it got.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Whether an event starts an operation or says how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// The operation was called.
    Invoke,
    /// It took effect and returned this value.
    Ok,
    /// It certainly did not take effect.
    Fail,
    /// Unknown: it may have taken effect, at any time after its call (a
    /// crash or an I/O error in the middle).
    Info,
}

/// One event of a history, in real-time order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The process (pid) that runs the operation; a process runs one
    /// operation at a time, so its events pair up in order.
    pub process: u32,
    /// Invocation or outcome.
    pub kind: EventKind,
    /// The operation's stable name, e.g. `"lockfile/acquire"`.
    pub op: String,
    /// Arguments (for `Invoke`) or result (otherwise), as JSON.
    pub value: Value,
}

/// How an operation ended, for [`operation`].
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Took effect; the value is what it returned.
    Ok(Value),
    /// Did not take effect.
    Fail(Value),
    /// May or may not have taken effect.
    Info(Value),
}

/// Where operations report. Implementations must be cheap when
/// [`Recorder::enabled`] is false: callers then build no values at all.
pub trait Recorder: Send + Sync {
    /// Whether events are wanted.
    fn enabled(&self) -> bool {
        true
    }
    /// Appends one event.
    fn record(&self, event: Event);
}

/// Records nothing and costs nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHistory;

impl Recorder for NoHistory {
    fn enabled(&self) -> bool {
        false
    }
    fn record(&self, _event: Event) {}
}

/// Keeps every event in memory, in the order they were recorded.
#[derive(Debug, Default)]
pub struct History {
    events: Mutex<Vec<Event>>,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Recorder for History {
    fn record(&self, event: Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event);
    }
}

impl<R: Recorder + ?Sized> Recorder for &R {
    fn enabled(&self) -> bool {
        (**self).enabled()
    }
    fn record(&self, event: Event) {
        (**self).record(event)
    }
}

/// Runs `body` as one operation named `op` of `process`: records the
/// invocation with `input()`, runs the body, and records `outcome(&result)`.
/// With a disabled recorder neither closure is called.
pub fn operation<T, E>(
    recorder: &impl Recorder,
    process: u32,
    op: &str,
    input: impl FnOnce() -> Value,
    body: impl FnOnce() -> Result<T, E>,
    outcome: impl FnOnce(&Result<T, E>) -> Outcome,
) -> Result<T, E> {
    if !recorder.enabled() {
        return body();
    }
    let event = |kind, value| Event {
        process,
        kind,
        op: op.to_string(),
        value,
    };
    recorder.record(event(EventKind::Invoke, input()));
    let result = body();
    let (kind, value) = match outcome(&result) {
        Outcome::Ok(v) => (EventKind::Ok, v),
        Outcome::Fail(v) => (EventKind::Fail, v),
        Outcome::Info(v) => (EventKind::Info, v),
    };
    recorder.record(event(kind, value));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_operation_records_its_invocation_then_its_outcome() {
        let h = History::new();
        let r: Result<u32, ()> = operation(
            &h,
            7,
            "counter/add",
            || json!({"n": 2}),
            || Ok(5),
            |r| Outcome::Ok(json!(r.unwrap())),
        );
        assert_eq!(r, Ok(5));
        let events = h.events();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[0].kind, events[1].kind),
            (EventKind::Invoke, EventKind::Ok)
        );
        assert_eq!(events[1].value, json!(5));
        assert_eq!(
            serde_json::to_string(&events[0]).unwrap(),
            r#"{"process":7,"kind":"invoke","op":"counter/add","value":{"n":2}}"#
        );
    }

    #[test]
    fn a_disabled_recorder_builds_no_values() {
        let r: Result<(), ()> = operation(
            &NoHistory,
            1,
            "x",
            || unreachable!(),
            || Ok(()),
            |_| unreachable!(),
        );
        assert_eq!(r, Ok(()));
    }
}
