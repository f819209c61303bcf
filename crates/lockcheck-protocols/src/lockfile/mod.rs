//! Lock file with an owner record (seed 004, claude-swarm's `LockManager`).
//!
//! A lock on `<name>` is the file `<name>.lock` holding a JSON [`Record`]:
//! owner (agent id), pid, `acquired_at`, `refreshed_at` (seconds since the
//! UNIX epoch) and, in the fenced variant, a fencing `token`.
//!
//! - **acquire**: create `<name>.lock` with `O_EXCL` and write the record.
//!   If it exists, read it: a holder whose `refreshed_at` is older than
//!   `stale_after`, or whose pid is dead, is stale; the stale file is
//!   unlinked and acquisition retried. Otherwise: "held by `<owner>`".
//! - **refresh** and **release**: only by the owner, checked by reading the
//!   record. Refresh rewrites the record with a new `refreshed_at`, in one
//!   of three ways, the [`Refresh`] variants: the seed's vulnerable one, the
//!   seed's fix as written, and a fenced one.
//!
//! ```
//! use std::time::Duration;
//! use lockcheck_fs::SimFs;
//! use lockcheck_protocols::history::NoHistory;
//! use lockcheck_protocols::lockfile::{LockFile, Refresh};
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let lock = LockFile::new("", "task", Refresh::Fenced).stale_after(Duration::from_secs(30));
//! let lease_a = lock.acquire(&a, &NoHistory, "agent-a")?;
//! let refused = lock.acquire(&b, &NoHistory, "agent-b").unwrap_err();
//! assert_eq!(refused.to_string(), "held by agent-a#1");
//!
//! // a stalls past its lease: b takes the lock over with a larger token,
//! // and a's late refresh is refused.
//! fs.advance(Duration::from_secs(31));
//! let lease_b = lock.acquire(&b, &NoHistory, "agent-b")?;
//! assert_eq!((lease_a.token, lease_b.token), (Some(1), Some(2)));
//! let late = lock.refresh(&a, &NoHistory, &lease_a).unwrap_err();
//! assert_eq!(late.to_string(), "not the owner: expected agent-a#1, the record says agent-b#2");
//! lock.release(&b, &NoHistory, &lease_b)?;
//! # Ok::<(), lockcheck_protocols::lockfile::LockError>(())
//! ```
//!
//! **Corrupt or empty records.** The seed says (its "Edge Cases Handled",
//! 4. Lock File Corruption): "`_read_lock()` returns None; Corrupted file is
//! deleted; New lock can be acquired". The seed variants keep exactly that:
//! an acquirer that finds a file that does not parse (empty counts: Python's
//! `json.load` fails on it) unlinks it and retries. Note what it implies:
//! the seed's acquire creates the file and writes the record in two steps,
//! so a file caught between them is empty, and a concurrent acquirer
//! deletes it and takes the lock. Refresh and release of a corrupt record
//! fail with [`LockError::Corrupt`] (the seed's `_read_lock()` gives None,
//! so there is no owner to match). The fenced variant never shows a
//! partial record (it publishes records with `link` and `rename` of fully
//! written temp files), so a corrupt file there is outside damage: it is
//! left alone, [`LockError::Corrupt`], until its mtime is older than
//! `stale_after`, and then treated as stale.
//!
//! Threads of one process that share a lock must serialize their calls
//! themselves, as the seed's `threading.Lock` does; this module holds no
//! in-process lock (a std mutex would stall shuttle's and loom's
//! schedulers, which only see their own primitives).

mod error;
mod record;
mod refresh;
mod token;
mod variant;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lockcheck_fs::{Errno, OpenOptions, Process, errno_of};
use serde_json::{Value, json};

use crate::history::{Outcome, Recorder, operation};
pub use error::LockError;
pub use record::Record;
use record::{Found, now_secs, read, unlink_if_exists};
pub use variant::Refresh;

/// How many times acquire retries after removing a stale or corrupt file.
const MAX_ATTEMPTS: u32 = 8;

/// One lock file and how it is used: where, how old a record may get, and
/// which refresh variant. Cheap to clone; clones share the counter that
/// makes the fenced variant's temp names unique within a process.
#[derive(Clone, Debug)]
pub struct LockFile {
    dir: PathBuf,
    name: String,
    stale_after: Duration,
    variant: Refresh,
    temp_seq: Arc<AtomicU64>,
}

impl LockFile {
    /// The lock `<dir>/<name>.lock` with the given refresh variant, stale
    /// after 300 s without a refresh (change with [`Self::stale_after`]).
    pub fn new(dir: impl AsRef<Path>, name: &str, variant: Refresh) -> LockFile {
        LockFile {
            dir: dir.as_ref().to_path_buf(),
            name: name.to_string(),
            stale_after: Duration::from_secs(300),
            variant,
            temp_seq: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Sets how long a record stays fresh without a refresh.
    pub fn stale_after(mut self, d: Duration) -> LockFile {
        self.stale_after = d;
        self
    }

    /// The refresh variant.
    pub fn variant(&self) -> Refresh {
        self.variant
    }

    /// The lock file, `<dir>/<name>.lock`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.name))
    }

    /// The seed's fixed temp name, `<dir>/<name>.lock.tmp`
    /// ([`Refresh::WriteTempThenReplace`]).
    pub fn fixed_temp_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock.tmp", self.name))
    }

    /// The fenced variant's token counter, `<dir>/<name>.lock.token`.
    pub fn token_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock.token", self.name))
    }

    /// Writes `data` to a fresh temp file for the fenced variant,
    /// `<dir>/<name>.lock.<pid>-<n>.tmp`, created with `O_EXCL` (the next
    /// `n` if the name is taken: another `LockFile` value of this pid, or a
    /// process in another pid namespace), so no two writers ever share one.
    /// On a failed write the temp file is removed.
    fn write_unique_temp(&self, p: &impl Process, data: &[u8]) -> std::io::Result<PathBuf> {
        let opts = OpenOptions::new().write(true).create_new(true);
        loop {
            let n = self.temp_seq.fetch_add(1, Ordering::Relaxed);
            let temp = self
                .dir
                .join(format!("{}.lock.{}-{n}.tmp", self.name, p.pid()));
            let fd = match p.open(&temp, opts) {
                Ok(fd) => fd,
                Err(e) if errno_of(&e) == Some(Errno::EEXIST) => continue,
                Err(e) => return Err(e),
            };
            let written = p.write_all(fd, data);
            let closed = p.close(fd);
            if let Err(e) = written.and(closed) {
                let _ = unlink_if_exists(p, &temp);
                return Err(e);
            }
            return Ok(temp);
        }
    }

    /// Reads the lock file: `None` if there is none.
    pub fn read(&self, p: &impl Process) -> Result<Option<Record>, LockError> {
        match read(p, &self.path())? {
            Found::Missing => Ok(None),
            Found::Record(r) => Ok(Some(r)),
            Found::Corrupt(reason) => Err(self.corrupt(reason)),
        }
    }

    fn corrupt(&self, reason: String) -> LockError {
        LockError::Corrupt {
            path: self.path(),
            reason,
        }
    }

    /// Takes the lock for `owner`; returns the record written (the lease,
    /// to pass to [`Self::refresh`] and [`Self::release`]). Reported as
    /// `lockfile/acquire`.
    pub fn acquire(
        &self,
        p: &impl Process,
        rec: &impl Recorder,
        owner: &str,
    ) -> Result<Record, LockError> {
        operation(
            rec,
            p.pid(),
            "lockfile/acquire",
            || json!({ "owner": owner, "variant": self.variant.name() }),
            || self.acquire_body(p, owner),
            |r| match r {
                Ok(record) => Outcome::Ok(record_value(record)),
                Err(e) => e.outcome(),
            },
        )
    }

    fn acquire_body(&self, p: &impl Process, owner: &str) -> Result<Record, LockError> {
        let path = self.path();
        for _ in 0..MAX_ATTEMPTS {
            if self.variant == Refresh::Fenced {
                // Look first: a token is taken only when the lock looks free.
                if let Some(held) = self.check_existing(p)? {
                    return Err(held);
                }
                let now = now_secs(p);
                let record = Record {
                    owner: owner.to_string(),
                    pid: p.pid(),
                    acquired_at: now,
                    refreshed_at: now,
                    token: Some(token::next_token(p, &self.token_path())?),
                };
                let temp = self.write_unique_temp(p, &record.to_json())?;
                let linked = p.link(&temp, &path);
                let cleaned = unlink_if_exists(p, &temp);
                match linked {
                    // Held now: a temp file left behind does not undo that.
                    Ok(()) => return Ok(record),
                    Err(e) if errno_of(&e) == Some(Errno::EEXIST) => {
                        cleaned?;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let opts = OpenOptions::new().write(true).create_new(true);
            match p.open(&path, opts) {
                Ok(fd) => {
                    let now = now_secs(p);
                    let record = Record {
                        owner: owner.to_string(),
                        pid: p.pid(),
                        acquired_at: now,
                        refreshed_at: now,
                        token: None,
                    };
                    let written = p.write_all(fd, &record.to_json());
                    p.close(fd)?;
                    written?;
                    return Ok(record);
                }
                Err(e) if errno_of(&e) == Some(Errno::EEXIST) => {
                    if let Some(held) = self.check_existing(p)? {
                        return Err(held);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(LockError::Contended {
            path,
            attempts: MAX_ATTEMPTS,
        })
    }

    /// Looks at an existing lock file for acquire: `Some(error)` when it is
    /// held; `None` when there is none or it was stale (or, in the seed
    /// variants, corrupt) and has been unlinked, so acquire should retry.
    fn check_existing(&self, p: &impl Process) -> Result<Option<LockError>, LockError> {
        let path = self.path();
        let now = now_secs(p);
        match read(p, &path)? {
            Found::Missing => return Ok(None),
            Found::Record(r) if !r.is_stale(p, now, self.stale_after) => {
                return Ok(Some(LockError::Held { owner: r.holder() }));
            }
            Found::Record(_) => {}
            Found::Corrupt(reason) if self.variant == Refresh::Fenced => {
                let age = match p.stat(&path) {
                    Ok(m) => now - record::secs(m.mtime),
                    Err(e) if errno_of(&e) == Some(Errno::ENOENT) => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                if age <= self.stale_after.as_secs_f64() {
                    return Ok(Some(self.corrupt(reason)));
                }
            }
            Found::Corrupt(_) => {}
        }
        unlink_if_exists(p, &path)?;
        Ok(None)
    }

    /// Rewrites the record with a new `refreshed_at`, if `lease` still
    /// holds it (its owner; and its token, when fenced), in the way the
    /// variant says. Returns the new record. Reported as
    /// `lockfile/refresh`.
    pub fn refresh(
        &self,
        p: &impl Process,
        rec: &impl Recorder,
        lease: &Record,
    ) -> Result<Record, LockError> {
        operation(
            rec,
            p.pid(),
            "lockfile/refresh",
            || json!({ "owner": lease.owner, "token": lease.token, "variant": self.variant.name() }),
            || refresh::refresh(self, p, lease),
            |r| match r {
                Ok(record) => Outcome::Ok(record_value(record)),
                Err(e) => e.outcome(),
            },
        )
    }

    /// Removes the lock file if `lease` still holds it (its owner; and its
    /// token, when fenced). Reported as `lockfile/release`.
    pub fn release(
        &self,
        p: &impl Process,
        rec: &impl Recorder,
        lease: &Record,
    ) -> Result<(), LockError> {
        operation(
            rec,
            p.pid(),
            "lockfile/release",
            || json!({ "owner": lease.owner, "token": lease.token, "variant": self.variant.name() }),
            || {
                self.check_owner(p, lease)?;
                p.unlink(self.path())?;
                Ok(())
            },
            |r: &Result<(), LockError>| match r {
                Ok(()) => Outcome::Ok(Value::Null),
                Err(e) => e.outcome(),
            },
        )
    }

    /// Reads the record and checks that `lease` holds it: the owner, and in
    /// the fenced variant the token too. Returns the record found.
    fn check_owner(&self, p: &impl Process, lease: &Record) -> Result<Record, LockError> {
        let found = match read(p, &self.path())? {
            Found::Missing => return Err(LockError::NotHeld { path: self.path() }),
            Found::Corrupt(reason) => return Err(self.corrupt(reason)),
            Found::Record(r) => r,
        };
        let ours = found.owner == lease.owner
            && (self.variant != Refresh::Fenced || found.token == lease.token);
        if !ours {
            return Err(LockError::NotOwner {
                expected: lease.holder(),
                found: found.holder(),
            });
        }
        Ok(found)
    }
}

/// A record as a history value.
fn record_value(r: &Record) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}
