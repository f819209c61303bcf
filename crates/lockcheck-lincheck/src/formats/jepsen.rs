//! Jepsen and Knossos EDN histories: one map per event,
//! `{:process 0, :type :invoke, :f :put, :key "k", :value "v"}`, usually one
//! a line (a top-level vector or list of maps, and `#jepsen.history.Op{}`
//! records, are read too). Events whose `:process` is not an integer (the
//! `:nemesis`) are skipped.

use super::edn::{Edn, Located, read_all};
use super::error::FormatError;
use crate::history::{History, ProcessId};
use crate::specs::kv::{KvInput, KvOutput, KvSpec};
use crate::specs::register::{RegisterInput, RegisterOutput};

/// The type of a Jepsen event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    /// `:invoke`.
    Invoke,
    /// `:ok`.
    Ok,
    /// `:fail`.
    Fail,
    /// `:info`.
    Info,
}

/// One Jepsen event, with where it was read.
#[derive(Clone, Debug, PartialEq)]
pub struct JepsenEvent {
    /// Line of the map.
    pub line: usize,
    /// Column of the map.
    pub column: usize,
    /// `:process`.
    pub process: ProcessId,
    /// `:type`.
    pub kind: EventType,
    /// `:f`, without the colon.
    pub f: String,
    /// `:key`, if present.
    pub key: Option<Edn>,
    /// `:value` (`Nil` if absent).
    pub value: Edn,
}

fn event(loc: &Located) -> Result<Option<JepsenEvent>, FormatError> {
    let (line, column) = (loc.line, loc.column);
    let m = &loc.value;
    if !matches!(m, Edn::Map(_) | Edn::Tagged(_, _)) {
        return Err(FormatError::syntax(
            line,
            column,
            "an event map",
            "another value",
        ));
    }
    let missing = |k: &str| FormatError::syntax(line, column, format!("a map with {k}"), "none");
    let process = match m.get("process").ok_or_else(|| missing(":process"))? {
        Edn::Int(p) if *p >= 0 => *p as ProcessId,
        Edn::Int(_) => {
            return Err(FormatError::syntax(
                line,
                column,
                "a process number >= 0",
                "a negative one",
            ));
        }
        _ => return Ok(None),
    };
    let kind = match m.get("type").ok_or_else(|| missing(":type"))? {
        Edn::Keyword(k) if k == "invoke" => EventType::Invoke,
        Edn::Keyword(k) if k == "ok" => EventType::Ok,
        Edn::Keyword(k) if k == "fail" => EventType::Fail,
        Edn::Keyword(k) if k == "info" => EventType::Info,
        other => {
            return Err(FormatError::syntax(
                line,
                column,
                ":type :invoke, :ok, :fail or :info",
                format!("{other:?}"),
            ));
        }
    };
    let f = match m.get("f").ok_or_else(|| missing(":f"))? {
        Edn::Keyword(k) | Edn::Symbol(k) | Edn::Str(k) => k.clone(),
        other => {
            return Err(FormatError::syntax(
                line,
                column,
                ":f as a keyword",
                format!("{other:?}"),
            ));
        }
    };
    Ok(Some(JepsenEvent {
        line,
        column,
        process,
        kind,
        f,
        key: m.get("key").cloned(),
        value: m.get("value").cloned().unwrap_or(Edn::Nil),
    }))
}

/// Reads the events of an EDN history, in order.
pub fn parse_jepsen_edn(text: &str) -> Result<Vec<JepsenEvent>, FormatError> {
    let mut out = Vec::new();
    for top in read_all(text)? {
        match &top.value {
            Edn::Vector(items) | Edn::List(items) => {
                for v in items {
                    let loc = Located {
                        line: top.line,
                        column: top.column,
                        value: v.clone(),
                    };
                    out.extend(event(&loc)?);
                }
            }
            _ => out.extend(event(&top)?),
        }
    }
    Ok(out)
}

/// Builds a history from events, mapping invocations to inputs and ok
/// events to outputs; fail and info events complete the pending operation.
pub fn build_history<I, O>(
    events: &[JepsenEvent],
    mut input: impl FnMut(&JepsenEvent) -> Result<I, FormatError>,
    mut output: impl FnMut(&JepsenEvent) -> Result<O, FormatError>,
) -> Result<History<I, O>, FormatError> {
    let mut h = History::new();
    for e in events {
        let r = match e.kind {
            EventType::Invoke => h.invoke(e.process, input(e)?).map(drop),
            EventType::Ok => h.ok(e.process, output(e)?).map(drop),
            EventType::Fail => h.fail(e.process).map(drop),
            EventType::Info => h.info(e.process).map(drop),
        };
        r.map_err(|source| FormatError::History {
            line: e.line,
            column: e.column,
            source,
        })?;
    }
    Ok(h)
}

fn text(e: &JepsenEvent, v: &Edn, what: &str) -> Result<String, FormatError> {
    match v {
        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Ok(s.clone()),
        Edn::Int(i) => Ok(i.to_string()),
        Edn::Nil => Ok(String::new()),
        other => Err(FormatError::syntax(
            e.line,
            e.column,
            what,
            format!("{other:?}"),
        )),
    }
}

fn bad_f(e: &JepsenEvent, expected: &str) -> FormatError {
    FormatError::syntax(e.line, e.column, expected, format!(":f :{}", e.f))
}

/// Reads a key-value EDN history (`:f :get|:put|:append`, `:key`, string
/// `:value`s; a get that saw `nil` saw the empty string) with `spec`'s ids.
pub fn parse_kv_edn(text_: &str, spec: &KvSpec) -> Result<History<KvInput, KvOutput>, FormatError> {
    let events = parse_jepsen_edn(text_)?;
    let key = |e: &JepsenEvent| -> Result<String, FormatError> {
        let k = e
            .key
            .as_ref()
            .ok_or_else(|| FormatError::syntax(e.line, e.column, "a map with :key", "none"))?;
        text(e, k, "a string :key")
    };
    build_history(
        &events,
        |e| {
            let k = key(e)?;
            match e.f.as_str() {
                "get" => Ok(spec.get(&k)),
                "put" => Ok(spec.put(&k, &text(e, &e.value, "a string :value")?)),
                "append" => Ok(spec.append(&k, &text(e, &e.value, "a string :value")?)),
                _ => Err(bad_f(e, ":f :get, :put or :append")),
            }
        },
        |e| match e.f.as_str() {
            "get" => Ok(spec.saw(&text(e, &e.value, "a string :value")?)),
            "put" | "append" => Ok(KvOutput::Done),
            _ => Err(bad_f(e, ":f :get, :put or :append")),
        },
    )
}

/// Reads a Knossos CAS-register EDN history (`:f :read|:write|:cas`,
/// integer or nil values, `[from to]` for cas). As in Knossos, a `:fail`
/// did not happen (unlike the etcd log format, where a failed cas returned
/// false).
pub fn parse_register_edn(
    text_: &str,
) -> Result<History<RegisterInput, RegisterOutput>, FormatError> {
    let events = parse_jepsen_edn(text_)?;
    let int = |e: &JepsenEvent| match e.value {
        Edn::Int(i) => Ok(i),
        ref other => Err(FormatError::syntax(
            e.line,
            e.column,
            "an integer :value",
            format!("{other:?}"),
        )),
    };
    build_history(
        &events,
        |e| match e.f.as_str() {
            "read" => Ok(RegisterInput::Read),
            "write" => Ok(RegisterInput::Write(int(e)?)),
            "cas" => match &e.value {
                Edn::Vector(v) | Edn::List(v) => match v[..] {
                    [Edn::Int(from), Edn::Int(to)] => Ok(RegisterInput::Cas { from, to }),
                    _ => Err(FormatError::syntax(
                        e.line,
                        e.column,
                        "[from to] integers",
                        format!("{v:?}"),
                    )),
                },
                other => Err(FormatError::syntax(
                    e.line,
                    e.column,
                    "a [from to] :value",
                    format!("{other:?}"),
                )),
            },
            _ => Err(bad_f(e, ":f :read, :write or :cas")),
        },
        |e| match e.f.as_str() {
            "read" => match e.value {
                Edn::Nil => Ok(RegisterOutput::Read(None)),
                _ => Ok(RegisterOutput::Read(Some(int(e)?))),
            },
            "write" => Ok(RegisterOutput::Written),
            "cas" => Ok(RegisterOutput::Cas(true)),
            _ => Err(bad_f(e, ":f :read, :write or :cas")),
        },
    )
}
