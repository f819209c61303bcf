//! The owner record kept in a lock file, and reading it back.

use std::path::Path;
use std::time::{Duration, SystemTime};

use lockcheck_fs::{Errno, Process, errno_of};
use serde::{Deserialize, Serialize};

use super::LockError;

/// What a lock file says about its holder: the JSON object the seed's
/// `LockManager` writes (`json.dump(..., indent=2)`), plus the fencing
/// token in the [`super::Refresh::Fenced`] variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The agent id that holds the lock.
    pub owner: String,
    /// The pid of the holder's process; a dead pid makes the lock stale.
    pub pid: u32,
    /// When the lock was taken, in seconds since the UNIX epoch.
    pub acquired_at: f64,
    /// When the lock was last taken or refreshed, in seconds since the
    /// UNIX epoch; older than `stale_after` makes the lock stale.
    pub refreshed_at: f64,
    /// The fencing token of this acquisition (fenced variant only): larger
    /// than every token handed out before it for the same lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<u64>,
}

impl Record {
    /// The record as the lock file holds it: pretty-printed JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a record always serializes")
    }

    /// Parses a lock file's contents. An empty file is corrupt too.
    pub fn parse(bytes: &[u8]) -> Result<Record, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// Whether the holder no longer counts: its refresh is older than
    /// `stale_after` at `now`, or its process is not alive.
    pub fn is_stale(&self, p: &impl Process, now: f64, stale_after: Duration) -> bool {
        now - self.refreshed_at > stale_after.as_secs_f64() || !p.is_alive(self.pid)
    }

    /// `owner`, or `owner#token` in the fenced variant: who holds it, as
    /// error messages and histories show it.
    pub fn holder(&self) -> String {
        match self.token {
            Some(t) => format!("{}#{t}", self.owner),
            None => self.owner.clone(),
        }
    }
}

/// Seconds since the UNIX epoch on `p`'s clock (negative before 1970).
pub(super) fn now_secs(p: &impl Process) -> f64 {
    secs(p.now())
}

/// Seconds since the UNIX epoch of a time.
pub(super) fn secs(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// What reading a lock file found.
pub(super) enum Found {
    /// No lock file.
    Missing,
    /// A file that does not parse as a record (empty, torn or garbage).
    Corrupt(String),
    /// A record.
    Record(Record),
}

/// Reads and parses the lock file at `path`.
pub(super) fn read(p: &impl Process, path: &Path) -> Result<Found, LockError> {
    match p.read_file(path) {
        Ok(bytes) => Ok(match Record::parse(&bytes) {
            Ok(r) => Found::Record(r),
            Err(reason) => Found::Corrupt(reason),
        }),
        Err(e) if errno_of(&e) == Some(Errno::ENOENT) => Ok(Found::Missing),
        Err(e) => Err(LockError::Io(e)),
    }
}

/// `unlink`, where a name already gone is no error.
pub(super) fn unlink_if_exists(p: &impl Process, path: &Path) -> std::io::Result<()> {
    match p.unlink(path) {
        Err(e) if errno_of(&e) != Some(Errno::ENOENT) => Err(e),
        _ => Ok(()),
    }
}
