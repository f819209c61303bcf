//! Our JSON history format: `{"events": [ ... ]}`, each event one of
//!
//! ```json
//! {"type": "invoke", "process": 0, "input": <the spec's input>}
//! {"type": "ok",     "process": 0, "output": <the spec's output>}
//! {"type": "fail",   "process": 0}
//! {"type": "info",   "process": 0}
//! ```
//!
//! in real-time order. Inputs and outputs are the spec's types as serde
//! writes them (for example `{"cas": {"from": 1, "to": 2}}` or `"read"`).
//!
//! A syntax error names the line and column of the text. Events that parse
//! but do not form a history (an `ok` with nothing pending) are reported with
//! `line` = the event's 1-based position in `events` and column 1; in the
//! layout [`to_json`] writes, that event is on line `position + 1`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::FormatError;
use crate::history::{Event, History};

/// The document: a list of events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonHistory<I, O> {
    /// The events, in real-time order.
    pub events: Vec<Event<I, O>>,
}

/// Reads a JSON history.
pub fn parse_json_history<I: DeserializeOwned, O: DeserializeOwned>(
    text: &str,
) -> Result<History<I, O>, FormatError> {
    into_history(parse_events(text)?)
}

/// The events of a JSON history document, not yet checked to form one.
pub(crate) fn parse_events<I: DeserializeOwned, O: DeserializeOwned>(
    text: &str,
) -> Result<Vec<Event<I, O>>, FormatError> {
    let doc: JsonHistory<I, O> = serde_json::from_str(text).map_err(|e| FormatError::Syntax {
        line: e.line(),
        column: e.column(),
        expected: "a JSON history {\"events\": [...]}".to_string(),
        found: e.to_string(),
    })?;
    Ok(doc.events)
}

/// A history of `events`; an event that does not fit is reported at its
/// 1-based position, column 1 (see the module docs).
pub(crate) fn into_history<I, O>(
    events: impl IntoIterator<Item = Event<I, O>>,
) -> Result<History<I, O>, FormatError> {
    let mut h = History::new();
    for (i, e) in events.into_iter().enumerate() {
        h.push(e).map_err(|source| FormatError::History {
            line: i + 1,
            column: 1,
            source,
        })?;
    }
    Ok(h)
}

/// Writes a history as JSON (one event a line).
pub fn to_json<I: Serialize + Clone, O: Serialize + Clone>(history: &History<I, O>) -> String {
    let mut out = String::from("{\"events\": [\n");
    let events = history.to_events();
    for (i, e) in events.iter().enumerate() {
        // Events of serializable inputs and outputs always serialize.
        out.push_str(
            &serde_json::to_string(e)
                .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string())),
        );
        out.push_str(if i + 1 < events.len() { ",\n" } else { "\n" });
    }
    out.push_str("]}\n");
    out
}
