//! Jepsen etcd logs as Porcupine reads them, one event a line:
//! `INFO  jepsen.util - <process>\t:<invoke|ok|fail|info>\t:<read|write|cas>\t<nil|int|[from to]|:timed-out>`.
//!
//! Fields may be separated by tabs or runs of spaces. Lines that are not
//! operation lines (other loggers, other messages of `jepsen.util`, blank
//! lines) are skipped; a line that starts like an operation line but is
//! malformed is an error naming its line and column.
//!
//! Semantics, as Porcupine gives them: `:info` is an unknown outcome; a
//! `:fail` of a `:cas` is a cas that returned false (it found another
//! value); a `:fail` of a read or write did not happen.

use super::error::{FormatError, excerpt};
use crate::history::History;
use crate::specs::register::{RegisterInput, RegisterOutput};

/// One whitespace-separated token and its 1-based column.
fn tokens(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (col, (i, c)) in line.char_indices().enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some((col, i)),
            (true, Some((sc, si))) => {
                out.push((sc + 1, &line[si..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((sc, si)) = start {
        out.push((sc + 1, &line[si..]));
    }
    out
}

/// A value field.
#[derive(Debug, PartialEq)]
enum Value {
    Nil,
    Int(i64),
    Pair(i64, i64),
    TimedOut,
}

fn value(line_no: usize, col: usize, text: &str) -> Result<Value, FormatError> {
    let t = text.trim();
    let bad = || {
        FormatError::syntax(
            line_no,
            col,
            "nil, an integer, [from to] or :timed-out",
            excerpt(t),
        )
    };
    match t {
        "nil" => return Ok(Value::Nil),
        ":timed-out" => return Ok(Value::TimedOut),
        _ => {}
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let parts: Vec<&str> = inner.split_whitespace().collect();
        if let [a, b] = parts[..] {
            return match (a.parse(), b.parse()) {
                (Ok(a), Ok(b)) => Ok(Value::Pair(a, b)),
                _ => Err(bad()),
            };
        }
        return Err(bad());
    }
    t.parse().map(Value::Int).map_err(|_| bad())
}

/// Parses an etcd log into a register history.
pub fn parse_etcd_log(text: &str) -> Result<History<RegisterInput, RegisterOutput>, FormatError> {
    let mut h = History::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let toks = tokens(line);
        // An operation line: LEVEL jepsen.util - <digits> :<type> ...
        let is_op = toks.len() >= 5
            && toks[1].1 == "jepsen.util"
            && toks[2].1 == "-"
            && toks[3].1.bytes().all(|b| b.is_ascii_digit())
            && toks[4].1.starts_with(':');
        if !is_op {
            continue;
        }
        let process: u64 = toks[3].1.parse().map_err(|_| {
            FormatError::syntax(line_no, toks[3].0, "a process number", excerpt(toks[3].1))
        })?;
        let (tcol, kind) = toks[4];
        let Some(&(fcol, f)) = toks.get(5) else {
            return Err(FormatError::syntax(
                line_no,
                line.chars().count() + 1,
                "an operation (:read, :write or :cas)",
                "end of line",
            ));
        };
        let Some(&(vcol, _)) = toks.get(6) else {
            return Err(FormatError::syntax(
                line_no,
                line.chars().count() + 1,
                "a value",
                "end of line",
            ));
        };
        let vstart = line
            .char_indices()
            .nth(vcol - 1)
            .map_or(line.len(), |(b, _)| b);
        let v = value(line_no, vcol, &line[vstart..])?;
        let bad_value = |expected: &str| {
            FormatError::syntax(line_no, vcol, expected, excerpt(line[vstart..].trim()))
        };
        let r = match (kind, f) {
            (":invoke", ":read") => h.invoke(process, RegisterInput::Read).map(drop),
            (":invoke", ":write") => match v {
                Value::Int(n) => h.invoke(process, RegisterInput::Write(n)).map(drop),
                _ => return Err(bad_value("an integer")),
            },
            (":invoke", ":cas") => match v {
                Value::Pair(from, to) => {
                    h.invoke(process, RegisterInput::Cas { from, to }).map(drop)
                }
                _ => return Err(bad_value("[from to]")),
            },
            (":ok", ":read") => match v {
                Value::Nil => h.ok(process, RegisterOutput::Read(None)).map(drop),
                Value::Int(n) => h.ok(process, RegisterOutput::Read(Some(n))).map(drop),
                _ => return Err(bad_value("nil or an integer")),
            },
            (":ok", ":write") => h.ok(process, RegisterOutput::Written).map(drop),
            (":ok", ":cas") => h.ok(process, RegisterOutput::Cas(true)).map(drop),
            (":fail", ":cas") => h.ok(process, RegisterOutput::Cas(false)).map(drop),
            (":fail", ":read" | ":write") => h.fail(process).map(drop),
            (":info", ":read" | ":write" | ":cas") => h.info(process).map(drop),
            (":invoke" | ":ok" | ":fail" | ":info", _) => {
                return Err(FormatError::syntax(
                    line_no,
                    fcol,
                    ":read, :write or :cas",
                    excerpt(f),
                ));
            }
            _ => {
                return Err(FormatError::syntax(
                    line_no,
                    tcol,
                    ":invoke, :ok, :fail or :info",
                    excerpt(kind),
                ));
            }
        };
        r.map_err(|source| FormatError::History {
            line: line_no,
            column: toks[3].0,
            source,
        })?;
    }
    Ok(h)
}
