//! What can go wrong with a lock file.

use std::path::PathBuf;

use serde_json::json;

use crate::history::Outcome;

/// Why a lock-file operation did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another owner holds the lock and it is not stale.
    #[error("held by {owner}")]
    Held {
        /// The holder the record names (`owner#token` when fenced).
        owner: String,
    },
    /// The record names someone else (refresh or release by a non-owner,
    /// or by a holder that was taken over).
    #[error("not the owner: expected {expected}, the record says {found}")]
    NotOwner {
        /// Who called (`owner#token` when fenced).
        expected: String,
        /// Who the record names.
        found: String,
    },
    /// There is no lock file (refresh or release of a lock nobody holds).
    #[error("not held: {path} does not exist")]
    NotHeld {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file does not parse as a record.
    #[error("corrupt lock record in {path}: {reason}")]
    Corrupt {
        /// The lock file.
        path: PathBuf,
        /// What the JSON parser said.
        reason: String,
    },
    /// Acquisition kept finding stale files that vanished or reappeared.
    #[error("gave up on {path} after {attempts} attempts")]
    Contended {
        /// The lock file.
        path: PathBuf,
        /// How many times it tried.
        attempts: u32,
    },
    /// A file-system call failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl LockError {
    /// The history outcome of an operation that failed this way: an I/O
    /// error may have struck after the operation took effect.
    pub(super) fn outcome(&self) -> Outcome {
        let value = json!({ "error": self.to_string() });
        match self {
            LockError::Io(_) => Outcome::Info(value),
            _ => Outcome::Fail(value),
        }
    }
}
