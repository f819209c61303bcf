//! Why a registry operation failed.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a registry operation failed. Every error but [`RegistryError::Io`]
/// means the registry was not changed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The lock stayed held by another process for the whole timeout (the
    /// seed's `TimeoutError`: "Could not acquire lock on {path} after
    /// {timeout}s").
    #[error("could not acquire lock on {path:?}: still held by another process after {waited:?}")]
    Timeout {
        /// The locked file (the registry, or its lock file).
        path: PathBuf,
        /// How long this process waited, by its own clock.
        waited: Duration,
    },
    /// The registry file does not exist (the seed's `FileNotFoundError`);
    /// create it first with [`super::LockedRegistryFile::create`].
    #[error("registry {path:?} does not exist: expected a registry JSON file there")]
    NotFound {
        /// The registry file.
        path: PathBuf,
    },
    /// The registry file is not a registry document (the seed's
    /// `json.JSONDecodeError`), e.g. a torn write left a stale tail.
    #[error("registry {path:?} is corrupt: {source}")]
    Corrupt {
        /// The registry file.
        path: PathBuf,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// No agent has this id.
    #[error("no agent with id {id:?} in the registry")]
    AgentNotFound {
        /// The id asked for.
        id: String,
    },
    /// A file-system call failed (the errno is in the error). The registry
    /// may or may not have been written.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl RegistryError {
    /// A short stable name of the error kind, for histories: `"timeout"`,
    /// `"not_found"`, `"corrupt"`, `"agent_not_found"` or `"io"`.
    pub fn kind(&self) -> &'static str {
        match self {
            RegistryError::Timeout { .. } => "timeout",
            RegistryError::NotFound { .. } => "not_found",
            RegistryError::Corrupt { .. } => "corrupt",
            RegistryError::AgentNotFound { .. } => "agent_not_found",
            RegistryError::Io(_) => "io",
        }
    }

    /// Whether the registry certainly was not changed (every error but `Io`).
    pub fn left_registry_unchanged(&self) -> bool {
        !matches!(self, RegistryError::Io(_))
    }
}
