//! `lockcheck lincheck HISTORY --spec NAME`: is a history linearizable?

use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use crate::lincheck::formats::{
    FormatError, parse_etcd_log, parse_json_history, parse_kv_edn, parse_kv_json,
    parse_register_edn,
};
use crate::lincheck::specs::{
    ClaimSpec, KvSpec, LeaseSpec, MutexSpec, RegisterSpec, RegistrySpec, TaskBoardSpec,
};
use crate::lincheck::{CheckOptions, History, Spec, Verdict, check_with, html};
use clap::ValueEnum;
use serde::de::DeserializeOwned;

use super::args::{Format, LincheckArgs, SpecName};
use super::{EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, EXIT_UNKNOWN};
use crate::model::line_column;

/// A history file that cannot be read: the message names the place.
fn bad(file: &str, e: &FormatError) -> String {
    let (line, column) = e.position();
    let what = e.to_string();
    let what = what
        .strip_prefix(&format!("line {line}, column {column}: "))
        .unwrap_or(&what)
        .to_string();
    // serde_json counts the column before a line's first character as 0.
    format!("{file}:{line}:{}: {what}", column.max(1))
}

/// The format of `path` holding `text`: by extension, then by its first
/// characters.
pub fn detect(path: &Path, text: &str) -> Option<Format> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => return Some(Format::Json),
        Some("edn") => return Some(Format::Edn),
        Some("log") => return Some(Format::Etcd),
        _ => {}
    }
    let t = text.trim_start();
    if t.starts_with("{\"")
        || t.starts_with("{ \"")
        || t.starts_with("{\n") && t.contains("\"events\"")
    {
        Some(Format::Json)
    } else if t.starts_with("{:")
        || t.starts_with('[')
        || t.starts_with('(')
        || t.starts_with("{ :")
    {
        Some(Format::Edn)
    } else if t
        .lines()
        .next()
        .is_some_and(|l| l.contains("jepsen.util") || l.starts_with("INFO"))
    {
        Some(Format::Etcd)
    } else {
        None
    }
}

/// Checks `h` against `spec`, prints the verdict, writes the HTML.
fn finish<S: Spec>(
    spec: &S,
    h: &History<S::Input, S::Output>,
    args: &LincheckArgs,
    file: &str,
) -> u8
where
    S::Input: Debug,
    S::Output: Debug,
{
    let mut options = CheckOptions::default();
    if let Some(secs) = args.time_limit {
        options = options.with_time_limit(Duration::from_secs_f64(secs));
    }
    let verdict = check_with(spec, h, &options);
    let text = match &verdict {
        Verdict::Linearizable { witness } => {
            format!(
                "linearizable ({} operations in the witness order)",
                witness.len()
            )
        }
        other => {
            let mut s = other.to_string();
            if s.len() > 2000 {
                let mut cut = 2000;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s.truncate(cut);
                s.push_str(" ...");
            }
            s
        }
    };
    println!("{file}: {} operations: {text}", h.ops().len());
    if let Some(out) = &args.html {
        let page = html::render_html(h, Some(&verdict), file);
        if let Err(e) = std::fs::write(out, page) {
            eprintln!("error: {}: cannot write the HTML: {e}", out.display());
            return EXIT_BAD_INPUT;
        }
        println!("wrote {}", out.display());
    }
    match verdict {
        Verdict::Linearizable { .. } => EXIT_OK,
        Verdict::NotLinearizable(_) => EXIT_MISMATCH,
        Verdict::Unknown { .. } => EXIT_UNKNOWN,
    }
}

fn json<S: Spec>(spec: &S, text: &str, args: &LincheckArgs, file: &str) -> Result<u8, String>
where
    S::Input: Debug + DeserializeOwned,
    S::Output: Debug + DeserializeOwned,
{
    let h = parse_json_history::<S::Input, S::Output>(text).map_err(|e| bad(file, &e))?;
    Ok(finish(spec, &h, args, file))
}

/// Reads and checks; `Err` is a message for bad input.
fn check(args: &LincheckArgs) -> Result<u8, String> {
    let file = args.history.display().to_string();
    let bytes =
        std::fs::read(&args.history).map_err(|e| format!("{file}: cannot read the file: {e}"))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let ok = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        let (line, column) = line_column(ok, ok.len());
        format!(
            "{file}:{line}:{column}: expected UTF-8 text (a history), found byte 0x{:02x}",
            bytes[e.valid_up_to()]
        )
    })?;
    if text.trim().is_empty() {
        return Err(format!(
            "{file}:1:1: expected a history, found an empty file"
        ));
    }
    let format = match args.format.or_else(|| detect(&args.history, text)) {
        Some(f) => f,
        None => {
            return Err(format!(
                "{file}:1:1: cannot tell the history's format from its name or first characters: expected --format json, edn or etcd"
            ));
        }
    };
    let wrong = |fits: &str| {
        let name = |v: &dyn Fn() -> Option<clap::builder::PossibleValue>| {
            v().map(|p| p.get_name().to_string()).unwrap_or_default()
        };
        Err(format!(
            "{file}: the {} spec cannot read {} histories: {fits}",
            name(&|| args.spec.to_possible_value()),
            name(&|| format.to_possible_value()),
        ))
    };
    match (format, args.spec) {
        (Format::Etcd, SpecName::Register) => {
            let h = parse_etcd_log(text).map_err(|e| bad(&file, &e))?;
            Ok(finish(&RegisterSpec, &h, args, &file))
        }
        (Format::Etcd, _) => wrong("etcd logs feed the register spec"),
        (Format::Edn, SpecName::Register) => {
            let h = parse_register_edn(text).map_err(|e| bad(&file, &e))?;
            Ok(finish(&RegisterSpec, &h, args, &file))
        }
        (Format::Edn | Format::Json, SpecName::Kv | SpecName::KvWholeMap) => {
            let spec = if args.spec == SpecName::Kv {
                KvSpec::per_key()
            } else {
                KvSpec::whole_map()
            };
            let h = if format == Format::Edn {
                parse_kv_edn(text, &spec)
            } else {
                parse_kv_json(text, &spec)
            };
            let h = h.map_err(|e| bad(&file, &e))?;
            Ok(finish(&spec, &h, args, &file))
        }
        (Format::Edn, _) => wrong("EDN histories feed the register, kv and kv-whole-map specs"),
        (Format::Json, SpecName::Register) => json(&RegisterSpec, text, args, &file),
        (Format::Json, SpecName::Mutex) => json(&MutexSpec, text, args, &file),
        (Format::Json, SpecName::Lease) => json(&LeaseSpec, text, args, &file),
        (Format::Json, SpecName::Claim) => json(&ClaimSpec, text, args, &file),
        (Format::Json, SpecName::Registry) => json(&RegistrySpec, text, args, &file),
        (Format::Json, SpecName::Taskboard) => json(&TaskBoardSpec, text, args, &file),
    }
}

/// The largest `--time-limit`, in seconds: about 31 years, far past any
/// check anyone waits for, and far inside what a clock can add.
const MAX_TIME_LIMIT_SECS: f64 = 1e9;

/// Runs `lincheck`; returns the exit status.
pub fn run(args: &LincheckArgs) -> u8 {
    if let Some(t) = args.time_limit
        && !(t.is_finite() && t > 0.0 && t <= MAX_TIME_LIMIT_SECS)
    {
        eprintln!(
            "error: --time-limit: expected a number of seconds greater than 0 and at most \
             {MAX_TIME_LIMIT_SECS:e} (about 31 years), found {t}"
        );
        return EXIT_BAD_INPUT;
    }
    match check(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_BAD_INPUT
        }
    }
}
