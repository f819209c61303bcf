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

use serde::Deserialize;

use super::error::FormatError;
use super::json::{into_history, parse_events};
use crate::history::{Event, History};
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
/// `spec` (check it with the same spec, or a clone).
pub fn parse_kv_json(text: &str, spec: &KvSpec) -> Result<History<KvInput, KvOutput>, FormatError> {
    let events = parse_events::<TextInput, TextOutput>(text)?;
    into_history(events.into_iter().map(|e| match e {
        Event::Invoke { process, input } => Event::Invoke {
            process,
            input: match input {
                TextInput::Get { key } => spec.get(&key),
                TextInput::Put { key, value } => spec.put(&key, &value),
                TextInput::Append { key, value } => spec.append(&key, &value),
            },
        },
        Event::Ok { process, output } => Event::Ok {
            process,
            output: match output {
                TextOutput::Value(seen) => spec.saw(seen.as_deref().unwrap_or_default()),
                TextOutput::Done => KvOutput::Done,
            },
        },
        Event::Fail { process } => Event::Fail { process },
        Event::Info { process } => Event::Info { process },
    }))
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
    fn an_ok_with_nothing_pending_is_reported_at_its_event() {
        let spec = KvSpec::per_key();
        let text = doc(&[r#"{"type": "ok", "process": 0, "output": "done"}"#]);
        let e = parse_kv_json(&text, &spec).unwrap_err();
        assert!(matches!(e, FormatError::History { line: 1, .. }), "{e}");
    }
}
