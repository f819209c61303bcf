//! The setup's check: before any exploration, the scenario's setup (its
//! starting files, then what its protocol needs) runs once on a plain
//! SimFs, so that a file it cannot write is an error naming the entry and
//! what was expected, not a panic in every execution.

use std::fmt;
use std::path::Path;

use lockcheck_fs::{Errno, FileKind, Fs, SimFs, errno_of};

use crate::scenario::Scenario;

/// A setup the simulated file system refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupError {
    /// The starting file to blame (an index into [`Scenario::files`]), if
    /// one is.
    pub file: Option<usize>,
    /// What went wrong and what was expected.
    pub message: String,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SetupError {}

impl SetupError {
    /// Starting file `index` could not be written: `e`, from `p`.
    pub(crate) fn file(
        scenario: &Scenario,
        p: &impl Fs,
        index: usize,
        e: &std::io::Error,
    ) -> SetupError {
        let path = &scenario.files[index].0;
        let is_file = |at: &Path| p.stat(at).is_ok_and(|m| m.kind == FileKind::File);
        let why = if path.ends_with('/') || path.ends_with("/.") || path == "." {
            "expected a file name, found a directory path".to_string()
        } else if let Some(parent) = Path::new(path).ancestors().skip(1).find(|a| is_file(a)) {
            format!(
                "expected its parent {:?} to be a directory, but it is a starting file",
                parent.display().to_string()
            )
        } else if errno_of(e) == Some(Errno::EISDIR) {
            "expected a file, but the path is a directory (the parent of another starting file)"
                .to_string()
        } else {
            format!("the simulated file system refused it: {e}")
        };
        SetupError {
            file: Some(index),
            message: format!("the setup cannot write the starting file {path:?}: {why}"),
        }
    }

    /// The protocol needs `path` (a directory, or a file it creates), and
    /// the setup could not make it: `e`.
    pub(crate) fn needs(scenario: &Scenario, path: &str, e: &dyn fmt::Display) -> SetupError {
        let clash = |f: &str| {
            f == path
                || path.starts_with(&format!("{}/", f.trim_end_matches('/')))
                || f.starts_with(&format!("{path}/"))
        };
        let file = scenario.files.iter().position(|(f, _)| clash(f));
        let protocol = scenario
            .protocol
            .as_ref()
            .map_or_else(|| "the scenario".to_string(), |p| p.name().to_string());
        let message = match file {
            Some(i) => format!(
                "{protocol} needs {path:?} for itself, and the starting file {:?} is in its way \
                 ({e}): expected no starting file at, above or under {path:?}",
                scenario.files[i].0
            ),
            None => format!("{protocol} cannot set up {path:?}: {e}"),
        };
        SetupError { file, message }
    }
}

impl Scenario {
    /// Runs the setup (the starting files, then what the protocol needs)
    /// once, on a plain SimFs: an error names what it cannot do. Every
    /// exploration and replay does this first.
    pub fn check_setup(&self) -> Result<(), SetupError> {
        let fs = SimFs::with_config(self.sim_config(false));
        crate::run::setup(self, &fs)
    }
}
