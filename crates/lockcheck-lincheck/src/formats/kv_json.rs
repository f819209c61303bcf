//! Key-value histories in our JSON format. The kv spec works on interned
//! ids ([`KvSpec`]), so the document names keys and values as strings and
//! the reader interns them with the spec that will check the history:
//!
//! ```json
//! {"events": [
//!   {"type": "invoke", "process": 0, "input": {"put": {"key": "x", "value": "1"}}},
//!   {"type": "invoke", "process": 1, "input": {"get": {"key": "x"}}},
//!   {"type": "ok", "process": 0, "output": "done"},
//!   {"type": "ok", "process": 1, "output": {"value": "1"}},
//!   {"type": "invoke", "process": 0, "input": {"append": {"key": "x", "value": "2"}}},
//!   {"type": "info", "process": 0}
//! ]}
//! ```
//!
//! A get that saw an absent key saw `""` (`{"value": null}` means the same).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::error::FormatError;
use super::json::{Place, into_history, parse_events};
use crate::history::{Event, History, ProcessId};
use crate::specs::{KvInput, KvOutput, KvSpec};

/// A kv operation as the document names it.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum TextInput {
    Get { key: String },
    Put { key: String, value: String },
    Append { key: String, value: String },
}

/// What it returned, as the document names it.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum TextOutput {
    Value(Option<String>),
    Done,
}

/// Reads a key-value JSON history, interning its keys and values with
/// `spec` (check it with the same spec, or a clone). An output of the
/// wrong kind for its operation (`"done"` for a get, a value for a put or
/// an append) is an error at that event, as is anything [`History::push`]
/// refuses.
pub fn parse_kv_json(text: &str, spec: &KvSpec) -> Result<History<KvInput, KvOutput>, FormatError> {
    let events = parse_events::<TextInput, TextOutput>(text)?;
    // Whether each process's pending operation is a get.
    let mut pending: BTreeMap<ProcessId, bool> = BTreeMap::new();
    let mut out = Vec::with_capacity(events.len());
    for (at, e) in events {
        out.push((
            at,
            match e {
                Event::Invoke { process, input } => {
                    pending.insert(process, matches!(input, TextInput::Get { .. }));
                    Event::Invoke {
                        process,
                        input: match input {
                            TextInput::Get { key } => spec.get(&key),
                            TextInput::Put { key, value } => spec.put(&key, &value),
                            TextInput::Append { key, value } => spec.append(&key, &value),
                        },
                    }
                }
                Event::Ok { process, output } => {
                    let output = match (pending.remove(&process), output) {
                        (Some(false), TextOutput::Value(_)) => {
                            return Err(wrong_output(
                                at,
                                "\"done\" for a put or an append",
                                "a value",
                            ));
                        }
                        (Some(true), TextOutput::Done) => {
                            return Err(wrong_output(at, "{\"value\": ...} for a get", "\"done\""));
                        }
                        (_, TextOutput::Value(seen)) => {
                            spec.saw(seen.as_deref().unwrap_or_default())
                        }
                        (_, TextOutput::Done) => KvOutput::Done,
                    };
                    Event::Ok { process, output }
                }
                Event::Fail { process } => {
                    pending.remove(&process);
                    Event::Fail { process }
                }
                Event::Info { process } => {
                    pending.remove(&process);
                    Event::Info { process }
                }
            },
        ));
    }
    into_history(out)
}

/// An output of the wrong kind in the event that starts at `at`.
fn wrong_output(at: Place, expected: &str, found: &str) -> FormatError {
    FormatError::syntax(at.0, at.1, expected, found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Verdict, check};

    fn doc(events: &[&str]) -> String {
        format!("{{\"events\": [\n{}\n]}}", events.join(",\n"))
    }

    #[test]
    fn a_get_that_saw_a_put_in_flight_is_linearizable() {
        let spec = KvSpec::per_key();
        let text = doc(&[
            r#"{"type": "invoke", "process": 0, "input": {"put": {"key": "x", "value": "1"}}}"#,
            r#"{"type": "invoke", "process": 1, "input": {"get": {"key": "x"}}}"#,
            r#"{"type": "ok", "process": 1, "output": {"value": "1"}}"#,
            r#"{"type": "ok", "process": 0, "output": "done"}"#,
        ]);
        let h = parse_kv_json(&text, &spec).unwrap();
        assert_eq!(h.len(), 2);
        assert!(matches!(check(&spec, &h), Verdict::Linearizable { .. }));
    }

    #[test]
    fn appends_build_on_each_other_and_a_stale_read_is_caught() {
        for spec in [KvSpec::per_key(), KvSpec::whole_map()] {
            let text = doc(&[
                r#"{"type": "invoke", "process": 0, "input": {"append": {"key": "x", "value": "a"}}}"#,
                r#"{"type": "ok", "process": 0, "output": "done"}"#,
                r#"{"type": "invoke", "process": 0, "input": {"append": {"key": "x", "value": "b"}}}"#,
                r#"{"type": "ok", "process": 0, "output": "done"}"#,
                r#"{"type": "invoke", "process": 1, "input": {"get": {"key": "x"}}}"#,
                r#"{"type": "ok", "process": 1, "output": {"value": "a"}}"#,
            ]);
            let h = parse_kv_json(&text, &spec).unwrap();
            assert!(matches!(check(&spec, &h), Verdict::NotLinearizable { .. }));
            let fixed = text.replace(r#"{"value": "a"}"#, r#"{"value": "ab"}"#);
            let h = parse_kv_json(&fixed, &spec).unwrap();
            assert!(matches!(check(&spec, &h), Verdict::Linearizable { .. }));
        }
    }

    #[test]
    fn a_null_read_is_the_empty_string() {
        let spec = KvSpec::per_key();
        let text = doc(&[
            r#"{"type": "invoke", "process": 0, "input": {"get": {"key": "y"}}}"#,
            r#"{"type": "ok", "process": 0, "output": {"value": null}}"#,
        ]);
        let h = parse_kv_json(&text, &spec).unwrap();
        assert!(matches!(check(&spec, &h), Verdict::Linearizable { .. }));
    }

    #[test]
    fn a_non_string_value_is_refused_as_a_syntax_error() {
        let spec = KvSpec::per_key();
        let text = doc(&[
            r#"{"type": "invoke", "process": 0, "input": {"put": {"key": "x", "value": 1}}}"#,
        ]);
        let e = parse_kv_json(&text, &spec).unwrap_err();
        assert!(matches!(e, FormatError::Syntax { .. }), "{e}");
        assert!(e.to_string().contains("expected a string"), "{e}");
    }

    #[test]
    fn an_output_of_the_wrong_kind_is_reported_at_its_event() {
        let spec = KvSpec::per_key();
        let text = doc(&[
            r#"{"type": "invoke", "process": 0, "input": {"get": {"key": "x"}}}"#,
            r#"{"type": "invoke", "process": 1, "input": {"put": {"key": "x", "value": "1"}}}"#,
            r#"{"type": "ok", "process": 0, "output": "done"}"#,
        ]);
        let e = parse_kv_json(&text, &spec).unwrap_err().to_string();
        assert!(
            e.starts_with("line 4, column 1: expected {\"value\": ...} for a get"),
            "{e}"
        );
        let text = doc(&[
            r#"{"type": "invoke", "process": 1, "input": {"append": {"key": "x", "value": "1"}}}"#,
            r#"{"type": "ok", "process": 1, "output": {"value": "1"}}"#,
        ]);
        let e = parse_kv_json(&text, &spec).unwrap_err().to_string();
        assert!(e.starts_with("line 3, column 1: expected \"done\""), "{e}");
    }

    #[test]
    fn an_ok_with_nothing_pending_is_reported_at_its_event() {
        let spec = KvSpec::per_key();
        let text = doc(&[r#"{"type": "ok", "process": 0, "output": "done"}"#]);
        let e = parse_kv_json(&text, &spec).unwrap_err();
        assert!(
            matches!(
                e,
                FormatError::History {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
    }
}
