//! The error every history format returns.

use thiserror::Error;

use crate::history::HistoryError;

/// A history file could not be read. Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    /// The text is not what the format expects here.
    #[error("line {line}, column {column}: expected {expected}, found {found}")]
    Syntax {
        /// Line.
        line: usize,
        /// Column (in characters).
        column: usize,
        /// What the format expects here.
        expected: String,
        /// What is there instead.
        found: String,
    },
    /// The events parse but do not form a history (an ok with nothing
    /// pending, a second invoke while one is pending).
    #[error("line {line}, column {column}: {source}")]
    History {
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        source: HistoryError,
    },
}

impl FormatError {
    /// A syntax error.
    pub fn syntax(
        line: usize,
        column: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> FormatError {
        FormatError::Syntax {
            line,
            column,
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// The (line, column) the error points at.
    pub fn position(&self) -> (usize, usize) {
        match self {
            FormatError::Syntax { line, column, .. }
            | FormatError::History { line, column, .. } => (*line, *column),
        }
    }
}

/// Shows at most 40 characters of `s`, for a "found" message.
pub(crate) fn excerpt(s: &str) -> String {
    if s.is_empty() {
        return "end of line".to_string();
    }
    let t: String = s.chars().take(40).collect();
    if t.len() < s.len() {
        format!("`{t}...`")
    } else {
        format!("`{t}`")
    }
}
