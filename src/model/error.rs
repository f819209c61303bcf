//! Errors of model files: each names the file, the line and column, and
//! what was expected there.

use std::fmt;
use std::ops::Range;

/// A model file that cannot be read or does not describe a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    /// The file, as given.
    pub file: String,
    /// Line (from 1); 0 when the file could not be read at all.
    pub line: usize,
    /// Column in characters (from 1); 0 when the file could not be read.
    pub column: usize,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl ModelError {
    /// An error at byte `offset` of `text`.
    pub fn at(file: &str, text: &str, offset: usize, message: impl Into<String>) -> ModelError {
        let (line, column) = line_column(text, offset);
        ModelError {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at the start of `span` of `text`.
    pub fn spanned(
        file: &str,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> ModelError {
        ModelError::at(file, text, span.start, message)
    }

    /// The file could not be read.
    pub fn unreadable(file: &str, why: impl fmt::Display) -> ModelError {
        ModelError {
            file: file.to_string(),
            line: 0,
            column: 0,
            message: format!("cannot read the file: {why}"),
        }
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for ModelError {}

/// The 1-based line and column (in characters) of byte `offset` of `text`
/// (clamped to the text, and to a character boundary).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one_in_characters() {
        assert_eq!(line_column("ab\ncé d", 0), (1, 1));
        assert_eq!(line_column("ab\ncé d", 3), (2, 1));
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("ab", 99), (1, 3));
    }
}
