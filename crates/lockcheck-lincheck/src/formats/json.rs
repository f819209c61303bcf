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
//! A syntax error names the line and column of the text; events that parse
//! but do not form a history (an `ok` with nothing pending) are reported
//! at the line and column where the event starts.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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

/// Where something starts in the text: line and column (in characters),
/// from 1.
pub(crate) type Place = (usize, usize);

/// An event and where it starts in the text.
pub(crate) type Placed<I, O> = (Place, Event<I, O>);

/// The events of a JSON history document, each with where it starts in
/// the text, not yet checked to form one.
pub(crate) fn parse_events<I: DeserializeOwned, O: DeserializeOwned>(
    text: &str,
) -> Result<Vec<Placed<I, O>>, FormatError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw<'a> {
        #[serde(borrow)]
        events: Vec<&'a RawValue>,
    }
    let doc: Raw = serde_json::from_str(text).map_err(|e| syntax(&e, (1, 1)))?;
    doc.events
        .into_iter()
        .map(|raw| {
            let at = place(text, raw.get());
            let event = serde_json::from_str(raw.get()).map_err(|e| syntax(&e, at))?;
            Ok((at, event))
        })
        .collect()
}

/// Where `part`, a slice of `text`, starts in it.
fn place(text: &str, part: &str) -> Place {
    let offset = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// serde_json's error `e` in a part of the text that starts at `at`, as a
/// syntax error at its place in the whole text.
fn syntax(e: &serde_json::Error, at: Place) -> FormatError {
    let (line, column) = match e.line() {
        0 | 1 => (at.0, at.1 + e.column().saturating_sub(1)),
        l => (at.0 + l - 1, e.column()),
    };
    let message = e.to_string();
    let found = message
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&message)
        .to_string();
    FormatError::Syntax {
        line,
        column,
        expected: "a JSON history {\"events\": [...]}".to_string(),
        found,
    }
}

/// A history of `events`; an event that does not fit is reported where it
/// starts.
pub(crate) fn into_history<I, O>(
    events: impl IntoIterator<Item = Placed<I, O>>,
) -> Result<History<I, O>, FormatError> {
    let mut h = History::new();
    for ((line, column), e) in events {
        h.push(e).map_err(|source| FormatError::History {
            line,
            column,
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
