//! Model files: a scenario, how to explore it, and the verdict expected,
//! in a small TOML format (documented in `models/README.md`).
//!
//! ```
//! use lockcheck::model::{Expect, parse};
//!
//! let text = r#"
//! protocol = "lockfile/unlink-then-write"
//! workload = "holder-and-contender"
//! properties = ["mutual-exclusion"]
//! expect = "violation"
//! violates = "mutual-exclusion"
//! "#;
//! let model = parse("models/refresh.toml", text.as_bytes()).unwrap();
//! assert_eq!(model.name, "refresh");
//! assert_eq!(model.expect, Expect::Violation("mutual-exclusion"));
//! assert_eq!(model.scenario.processes.len(), 2);
//!
//! let bad = parse("bad.toml", b"protocol = \"lockfile/unlink\"\nexpect = \"safe\"\n").unwrap_err();
//! assert!(bad.to_string().starts_with("bad.toml:1:12: unknown variant \"lockfile/unlink\""));
//! ```

mod build;
mod error;
mod faults;
pub mod ops;
mod raw;
mod strategy;
pub mod workload;

use std::fmt;
use std::path::Path;

use lockcheck_explore::{Scenario, Strategy, Verdict};

pub use build::variant_names;
pub use error::{ModelError, line_column};

/// Most processes a model may run (shuttle names tasks a to z).
pub const MAX_PROCESSES: usize = 16;
/// Most operations one process may run.
pub const MAX_OPS: usize = 1_000;

/// The verdict a model expects (`expect = "..."`). A verdict of
/// `unknown` (a limit of the explorer reached) is never expected: it
/// always fails the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expect {
    /// No property fails within the budget, and every process gets
    /// somewhere (completes an operation, or enters its critical section
    /// if it takes a lock) in some execution.
    Safe,
    /// No property fails, and some process gets nowhere in any execution
    /// (e.g. every acquire fails): a model that demonstrates a protocol
    /// that cannot make progress.
    Vacuous,
    /// The property of this name fails.
    Violation(&'static str),
}

impl Expect {
    /// Whether the exploration's `verdict` is this expectation.
    pub fn matches(&self, verdict: &Verdict) -> bool {
        match (self, verdict) {
            (Expect::Safe, Verdict::Safe) => true,
            (Expect::Vacuous, Verdict::Vacuous { .. }) => true,
            (Expect::Violation(p), Verdict::Violation(q)) => p == q,
            _ => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Safe => f.write_str("safe"),
            Expect::Vacuous => f.write_str("vacuous"),
            Expect::Violation(p) => write!(f, "violation ({p})"),
        }
    }
}

/// A model: a named scenario, its exploration strategy, and its expected
/// verdict.
#[derive(Clone, Debug)]
pub struct Model {
    /// Its name (the file's stem unless `name` says otherwise).
    pub name: String,
    /// What it demonstrates, one line.
    pub about: Option<String>,
    /// The file it came from, as given.
    pub file: String,
    /// What runs.
    pub scenario: Scenario,
    /// How it is explored (the `LOCKCHECK_*` variables override it).
    pub strategy: Strategy,
    /// The verdict expected.
    pub expect: Expect,
}

/// Parses the model file `file` whose contents are `bytes`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Model, ModelError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let ok = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
            let (line, column) = line_column(ok, ok.len());
            return Err(ModelError {
                file: file.to_string(),
                line,
                column,
                message: format!(
                    "expected UTF-8 text (a TOML model file), found byte 0x{:02x}",
                    bytes[e.valid_up_to()]
                ),
            });
        }
    };
    let raw: raw::RawModel = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        ModelError::at(file, text, offset, plain(e.message().trim()))
    })?;
    build::build(file, text, raw)
}

/// serde's message with Rust's integer type names said in words.
fn plain(message: &str) -> String {
    message
        .replace("expected usize", "expected a non-negative integer")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected u32", "expected a non-negative integer below 2^32")
}

/// Reads and parses the model file at `path`.
pub fn load(path: &Path) -> Result<Model, ModelError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ModelError::unreadable(&file, e))?;
    parse(&file, &bytes)
}

/// The model files under `path`: the file itself, or the `.toml` files of
/// a directory (not recursing), sorted by name.
pub fn find(path: &Path) -> Result<Vec<std::path::PathBuf>, ModelError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ModelError::unreadable(&file, e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| ModelError::unreadable(&file, e))? {
        let entry = entry.map_err(|e| ModelError::unreadable(&file, e))?;
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") && p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    if out.is_empty() {
        return Err(ModelError::unreadable(
            &file,
            "expected a directory holding .toml model files, found none",
        ));
    }
    Ok(out)
}
