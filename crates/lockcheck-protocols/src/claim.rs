//! Seed 001's atomic task claiming (`TaskPool.claim_task`,
//! `A2AClient.claim_task`).
//!
//! A task pool is a directory with `available/` and `claimed/`; a task is
//! the JSON object `available/<task_id>.json`. Claiming moves it to
//! `claimed/<task_id>.json` with `claimed_by` (the agent) and `claimed_at`
//! (UTC, RFC 3339, on the claimer's clock; the seed gives no format) added, and gives
//! the task data back; or gives nothing, "already claimed or timeout". Two
//! variants ([`ClaimVariant`]):
//!
//! - `claim/locked`, the seed's: "1. Acquire exclusive lock 2. Double-check
//!   file still exists 3. Read and modify data 4. Write to temp file +
//!   fsync 5. Atomic move to final location 6. Delete old file 7. Release
//!   lock". The lock is [`crate::flock_lock`]'s per-task flock lock file
//!   `available/<task_id>.lock` ("Lock files are created in the same
//!   directory as task files"), acquired with "Non-blocking lock attempts
//!   with retry loop" for the timeout ("Default timeout: 10 seconds"), and
//!   by default deleted on release ("Lock released and file deleted in
//!   `finally` block": [`Release::UnlinkOnRelease`]); the lock variant is a
//!   parameter ([`TaskPool::with_lock`]). Before locking, a task that is
//!   not in `available/` fails at once (the seed's "Fail-fast: Immediate
//!   failure detection for unavailable tasks"; the check under the lock is
//!   the "double-check"). Step 4 is [`safe_json_write`]; after step 6 we
//!   also `fsync` `available/` so the claim is durable (the seed does not
//!   say).
//! - `claim/by-rename`, without a lock: `rename(available/<id>.json,
//!   claimed/<id>.json)` takes the task atomically (`ENOENT`: someone else
//!   got it), then the claimed file is rewritten with `claimed_by` through
//!   [`safe_json_write`]. It never times out. Between the two steps the
//!   claimed file names no owner, and a crash there leaves it ownerless.
//!
//! In both, the double check is what makes claims unique: under the lock
//! (or by the rename) a claimer finds the task file gone once anyone has
//! claimed it. So `flock/unlink-on-release`'s flaw (two holders at once)
//! is harmless while each task is published once; it bites when a task is
//! put back into `available/` (requeued) while a waiter still holds a
//! descriptor of the deleted lock file: that waiter and a newcomer on the
//! new lock file both hold "the" lock, both read the requeued task and
//! write `claimed/`; the second to delete the task file fails with
//! `ENOENT` ([`ClaimError::Io`]), and the claimed record may name it while
//! the other agent was told it has the task. `tests/claim_seed001.rs`
//! finds this under shuttle; `flock/keep-file` and
//! `flock/unlink-with-recheck` do not show it.
//!
//! Each claim is reported to a [`Recorder`] as one `claim/claim` operation:
//! input `{"task", "agent", "variant", "lock"}`, outcome `Ok {"task": data}`,
//! `Fail {"reason": "not available"}` or `Fail {"reason": "timeout",
//! "waited_ms"}`, or `Info {"error"}` for an I/O error (which may strike
//! after the claim took effect). The flock lock inside is not recorded.
//!
//! # Example
//!
//! ```
//! use lockcheck_fs::SimFs;
//! use lockcheck_protocols::claim::{ClaimVariant, TaskPool};
//! use lockcheck_protocols::history::NoHistory;
//! use serde_json::json;
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let pool = TaskPool::new("tasks", ClaimVariant::Locked);
//! pool.add_task(&a, "task-123", &json!({"task_id": "task-123"}))?;
//! let task = pool.claim_task(&a, &NoHistory, "task-123", "agent-1")?;
//! let task = task.expect("claimed");
//! assert_eq!(task["claimed_by"], "agent-1");
//! assert_eq!(task["claimed_at"], "2025-01-01T00:00:00.000Z"); // virtual time 0
//! assert_eq!(pool.claim_task(&b, &NoHistory, "task-123", "agent-2")?, None);
//! # Ok::<(), lockcheck_protocols::claim::ClaimError>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lockcheck_fs::{Errno, Process, errno_of};
use serde_json::{Map, Value, json};

use crate::flock_lock::{Acquire, FlockError, FlockLock, Release};
use crate::history::{NoHistory, Outcome, Recorder, operation};
use crate::safe_json::{
    ReadRetry, SafeJsonError, create_dir_all, safe_json_try_read, safe_json_write,
};

/// Seed 001's default lock timeout: 10 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How a task is taken from `available/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClaimVariant {
    /// The seed's: under the task's flock lock, check, read, write the
    /// claimed file (temp + fsync + rename), delete the available one.
    Locked,
    /// `rename` the task file into `claimed/`, then add the owner.
    ByRename,
}

impl ClaimVariant {
    /// Every variant, the seed's first.
    pub const ALL: [ClaimVariant; 2] = [ClaimVariant::Locked, ClaimVariant::ByRename];

    /// The stable name, e.g. `"claim/by-rename"`.
    pub fn name(self) -> &'static str {
        match self {
            ClaimVariant::Locked => "claim/locked",
            ClaimVariant::ByRename => "claim/by-rename",
        }
    }
}

crate::variant::stable_names!(ClaimVariant);

/// What a claim gave.
#[derive(Clone, Debug, PartialEq)]
pub enum ClaimOutcome {
    /// This agent claimed the task; the data as written to `claimed/`.
    Claimed(Value),
    /// The task is not in `available/`: already claimed (or never added).
    NotAvailable,
    /// `claim/locked` only: another process held the task's lock for the
    /// whole timeout.
    Timeout {
        /// How long this process waited, by its own clock.
        waited: Duration,
    },
}

impl ClaimOutcome {
    /// The seed's return value: the task data, or `None` ("already claimed
    /// or timeout").
    pub fn into_task(self) -> Option<Value> {
        match self {
            ClaimOutcome::Claimed(task) => Some(task),
            _ => None,
        }
    }
}

/// Why a claim failed with an error rather than an outcome.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// Reading or writing a task file failed (including a task file that is
    /// not a JSON object).
    #[error(transparent)]
    Json(#[from] SafeJsonError),
    /// Taking or releasing the task lock failed (not a timeout).
    #[error(transparent)]
    Lock(#[from] FlockError),
    /// Another file-system call failed.
    #[error("{path}: {source}")]
    Io {
        /// The file the call was about.
        path: PathBuf,
        /// The error, with its errno.
        source: io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> ClaimError + '_ {
    move |source| ClaimError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A task pool directory and how its tasks are claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPool {
    dir: PathBuf,
    variant: ClaimVariant,
    lock: Release,
    retry_delay: Duration,
}

impl TaskPool {
    /// The pool in `dir` (`dir/available`, `dir/claimed`), claimed as
    /// `variant` says; `claim/locked` uses the seed's lock lifecycle
    /// ([`Release::UnlinkOnRelease`]), retrying every 100 ms.
    pub fn new(dir: impl AsRef<Path>, variant: ClaimVariant) -> TaskPool {
        TaskPool {
            dir: dir.as_ref().to_path_buf(),
            variant,
            lock: Release::UnlinkOnRelease,
            retry_delay: Duration::from_millis(100),
        }
    }

    /// The same pool with another flock lock variant (`claim/locked` only).
    pub fn with_lock(mut self, lock: Release) -> TaskPool {
        self.lock = lock;
        self
    }

    /// The same pool, retrying a held lock every `delay`.
    pub fn with_retry_delay(mut self, delay: Duration) -> TaskPool {
        self.retry_delay = delay;
        self
    }

    /// The claim variant.
    pub fn variant(&self) -> ClaimVariant {
        self.variant
    }

    /// The flock lock variant `claim/locked` uses.
    pub fn lock_variant(&self) -> Release {
        self.lock
    }

    /// `available/`.
    pub fn available_dir(&self) -> PathBuf {
        self.dir.join("available")
    }

    /// `claimed/`.
    pub fn claimed_dir(&self) -> PathBuf {
        self.dir.join("claimed")
    }

    /// `available/<task_id>.json`.
    pub fn available_path(&self, task_id: &str) -> PathBuf {
        self.available_dir().join(format!("{task_id}.json"))
    }

    /// `claimed/<task_id>.json`.
    pub fn claimed_path(&self, task_id: &str) -> PathBuf {
        self.claimed_dir().join(format!("{task_id}.json"))
    }

    /// The task lock `claim/locked` takes: `available/<task_id>.lock`.
    pub fn lock(&self) -> FlockLock {
        FlockLock::new(self.available_dir(), self.lock)
    }

    /// Publishes a task: writes `task` to `available/<task_id>.json` with
    /// [`safe_json_write`] (creating the directories). Not recorded.
    pub fn add_task<P: Process>(
        &self,
        p: &P,
        task_id: &str,
        task: &Value,
    ) -> Result<(), ClaimError> {
        Ok(safe_json_write(p, self.available_path(task_id), task)?)
    }

    /// Seed 001's `claim_task(task_id, agent_id)`: the task data, or `None`
    /// when already claimed or the lock stayed held for [`DEFAULT_TIMEOUT`].
    pub fn claim_task<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        agent_id: &str,
    ) -> Result<Option<Value>, ClaimError> {
        let outcome = self.claim(p, rec, task_id, agent_id, DEFAULT_TIMEOUT)?;
        Ok(outcome.into_task())
    }

    /// Claims `task_id` for `agent_id`, waiting at most `timeout` for the
    /// task's lock, and records a `claim/claim` operation.
    pub fn claim<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        agent_id: &str,
        timeout: Duration,
    ) -> Result<ClaimOutcome, ClaimError> {
        let input = || {
            json!({"task": task_id, "agent": agent_id, "variant": self.variant.name(),
                   "lock": self.lock.name()})
        };
        let outcome = |r: &Result<ClaimOutcome, ClaimError>| match r {
            Ok(ClaimOutcome::Claimed(task)) => Outcome::Ok(json!({ "task": task })),
            Ok(ClaimOutcome::NotAvailable) => Outcome::Fail(json!({"reason": "not available"})),
            Ok(ClaimOutcome::Timeout { waited }) => {
                Outcome::Fail(json!({"reason": "timeout", "waited_ms": waited.as_millis() as u64}))
            }
            Err(e) => Outcome::Info(json!({ "error": e.to_string() })),
        };
        let body = || match self.variant {
            ClaimVariant::Locked => self.claim_locked(p, task_id, agent_id, timeout),
            ClaimVariant::ByRename => self.claim_by_rename(p, task_id, agent_id),
        };
        operation(rec, p.pid(), "claim/claim", input, body, outcome)
    }

    fn claim_locked<P: Process>(
        &self,
        p: &P,
        task_id: &str,
        agent_id: &str,
        timeout: Duration,
    ) -> Result<ClaimOutcome, ClaimError> {
        let available = self.available_path(task_id);
        if !p.exists(&available).map_err(io_at(&available))? {
            return Ok(ClaimOutcome::NotAvailable); // fail fast
        }
        let mode = Acquire::Retry {
            timeout,
            retry_delay: self.retry_delay,
        };
        let guard = match self.lock().with_mode(mode).acquire(p, &NoHistory, task_id) {
            Ok(guard) => guard,
            Err(FlockError::Timeout { waited, .. }) => return Ok(ClaimOutcome::Timeout { waited }),
            Err(e) => return Err(e.into()),
        };
        let claimed = self.move_under_lock(p, task_id, agent_id);
        let released = guard.release(p, &NoHistory); // the seed's `finally`
        let outcome = claimed?;
        released?;
        Ok(outcome)
    }

    fn move_under_lock<P: Process>(
        &self,
        p: &P,
        task_id: &str,
        agent_id: &str,
    ) -> Result<ClaimOutcome, ClaimError> {
        let available = self.available_path(task_id);
        if !p.exists(&available).map_err(io_at(&available))? {
            return Ok(ClaimOutcome::NotAvailable); // the double check
        }
        let read =
            safe_json_try_read::<Map<String, Value>, P>(p, &available, ReadRetry::default())?;
        let Some(task) = read else {
            return Ok(ClaimOutcome::NotAvailable);
        };
        let task = stamp(p, task, agent_id);
        safe_json_write(p, self.claimed_path(task_id), &task)?;
        p.unlink(&available).map_err(io_at(&available))?;
        let dir = self.available_dir();
        p.fsync_dir(&dir).map_err(io_at(&dir))?;
        Ok(ClaimOutcome::Claimed(task))
    }

    fn claim_by_rename<P: Process>(
        &self,
        p: &P,
        task_id: &str,
        agent_id: &str,
    ) -> Result<ClaimOutcome, ClaimError> {
        let claimed_dir = self.claimed_dir();
        create_dir_all(p, &claimed_dir).map_err(io_at(&claimed_dir))?;
        let (available, claimed) = (self.available_path(task_id), self.claimed_path(task_id));
        match p.rename(&available, &claimed) {
            Ok(()) => {}
            Err(e) if errno_of(&e) == Some(Errno::ENOENT) => return Ok(ClaimOutcome::NotAvailable),
            Err(e) => return Err(io_at(&available)(e)),
        }
        // The rename changes both directories: make both durable.
        for dir in [claimed_dir, self.available_dir()] {
            p.fsync_dir(&dir).map_err(io_at(&dir))?;
        }
        let read = safe_json_try_read::<Map<String, Value>, P>(p, &claimed, ReadRetry::default())?;
        let task = read.ok_or_else(|| io_at(&claimed)(Errno::ENOENT.into()))?;
        let task = stamp(p, task, agent_id);
        safe_json_write(p, &claimed, &task)?;
        Ok(ClaimOutcome::Claimed(task))
    }
}

/// Adds `claimed_by` and `claimed_at` (UTC, RFC 3339 to the millisecond).
fn stamp<P: Process>(p: &P, mut task: Map<String, Value>, agent_id: &str) -> Value {
    task.insert("claimed_by".to_string(), json!(agent_id));
    task.insert("claimed_at".to_string(), json!(rfc3339(p.now())));
    Value::Object(task)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`; times before 1970 read as 1970. A string,
/// not a float of seconds, so that the data a claimer gets back equals
/// what a reader parses from the file.
fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t.max(SystemTime::UNIX_EPOCH)).to_string()
}

/// Seed 001's `A2AClient`: an agent that claims tasks from a pool under its
/// own id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct A2AClient {
    agent_id: String,
    pool: TaskPool,
}

impl A2AClient {
    /// Agent `agent_id` claiming from `pool`.
    pub fn new(agent_id: &str, pool: TaskPool) -> A2AClient {
        A2AClient {
            agent_id: agent_id.to_string(),
            pool,
        }
    }

    /// The agent's id.
    pub fn agent_id(&self) -> &str {
        &self.agent_id
    }

    /// Seed 001's `client.claim_task(task_id, timeout=15.0)`: the task
    /// data, or `None` when already claimed or on timeout.
    pub fn claim_task<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        timeout: Duration,
    ) -> Result<Option<Value>, ClaimError> {
        let outcome = self.pool.claim(p, rec, task_id, &self.agent_id, timeout)?;
        Ok(outcome.into_task())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn claim_times_are_rfc3339_utc_to_the_millisecond() {
        let at = |secs: u64, ms: u64| {
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_millis(secs * 1000 + ms))
        };
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_709_251_199, 999), "2024-02-29T23:59:59.999Z");
        assert_eq!(at(1_735_689_600, 0), "2025-01-01T00:00:00.000Z");
    }
}
