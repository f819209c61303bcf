//! Task boards updated by many agents: seed 000's `update_task_board` and
//! seed 002's `atomic_assign_task`, `atomic_check_and_assign` and
//! `atomic_batch_assign`, each a read-modify-write of one JSON board file
//! under an flock lock ([`crate::flock_lock`]), read and written with
//! [`crate::safe_json`].
//!
//! **Locks.** The board `<dir>/<name>` has two kinds of lock files:
//! - the board lock `<dir>/<name>.lock`: seed 000's
//!   `FileLock("…/working_tasks.json")` ("a file lock specific to this
//!   file") and seed 002's "State file lock: `.todo2/state.todo2.json.lock`
//!   (for batch operations)";
//! - the task locks `<dir>/locks/task_<id>.lock`: seed 002's "Task-specific
//!   locks: `.todo2/locks/task_{task_id}.lock`".
//!
//! Every operation takes its lock(s), then reads, modifies and writes the
//! whole board, then unlocks ("lock → read → modify → write →
//! unlock"). Which lock is the variant ([`LockScope`]):
//! - `taskboard/task-lock`, seed 002's granularity: an assignment (and a
//!   check-and-assign) takes only its task's lock ("Task-level locks: Lock
//!   individual tasks for assignment", Pattern 3 `with task_lock(...)`:
//!   load state, modify, `_save_todo2_state(state)`); a batch assignment
//!   and seed 000's status update take the board lock ("State file lock:
//!   Lock entire state file for batch operations"). Flawed: the lock
//!   covers one task but the write covers the whole file, so two
//!   assignments of different tasks, or an assignment and a batch or an
//!   update, run their read-modify-writes at once and the later write
//!   drops the earlier one's change. A batch and a single assignment of the
//!   same task can both succeed: two agents are told they own it.
//! - `taskboard/board-lock`, the fix: every operation takes the board lock,
//!   seed 000's pattern, so read-modify-writes of the board never overlap.
//! - `taskboard/task-then-board`, the fix that keeps the task locks: the
//!   seed's "Lock Hierarchy" (1. task-level locks, 2. state file lock) read
//!   as a global lock order. An operation takes the locks of the tasks it
//!   touches, sorted by id, then the board lock, and releases them in
//!   reverse. Every read-modify-write is under the board lock, and since
//!   every process takes locks in one order, no cycle of waiters (deadlock)
//!   can form.
//!
//! In the seed, each operation holds one lock, so its variant cannot
//! deadlock; its flaw is granularity, not order.
//!
//! Lock acquisition retries (every 100 ms) until a timeout: seed 002's
//! "Medium timeout (5s): Default for assignments", "Long timeout (10s+):
//! For batch operations"; seed 000 gives none, we use 10 s. A lock timeout
//! is the seed's `(False, "Lock timeout")`: [`NotAssigned::LockTimeout`].
//!
//! Each operation is recorded as `taskboard/update`, `taskboard/assign`,
//! `taskboard/check_and_assign` or `taskboard/batch_assign`;
//! [`violations`] checks a board file and such a history.
//!
//! # Example
//!
//! ```
//! use lockcheck_fs::SimFs;
//! use lockcheck_protocols::history::History;
//! use lockcheck_protocols::taskboard::{
//!     Assignee, Board, LockScope, NotAssigned, Task, TaskBoard, violations,
//! };
//! use lockcheck_fs::Fs;
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let board = TaskBoard::new(".todo2/state.todo2.json", LockScope::BoardLock);
//! board.create(&a, &Board::todo2(vec![Task::new("T-123", "todo")]))?;
//! let history = History::new();
//! board.assign_task(&a, &history, "T-123", &Assignee::agent("agent-1"))?.unwrap();
//! let second = board.assign_task(&b, &history, "T-123", &Assignee::agent("agent-2"))?;
//! assert_eq!(
//!     second,
//!     Err(NotAssigned::AlreadyAssigned { existing_assignee: "agent:agent-1".into() })
//! );
//! assert_eq!(board.update_task_board(&b, &history, "T-123", "in_progress")?, true);
//! let bytes = a.read_file(".todo2/state.todo2.json")?;
//! assert!(violations(&bytes, &["T-123"], &history.events()).is_empty());
//! assert_eq!(a.read_dir(".todo2")?, ["state.todo2.json", "state.todo2.json.lock"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod board;
mod invariants;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use lockcheck_fs::Process;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use board::{Assignee, Board, NotAssigned, Task};
pub use invariants::{Violation, acknowledged_assignments, violations};

use crate::flock_lock::{Acquire, FlockError, FlockGuard, FlockLock, Release};
use crate::history::{NoHistory, Outcome, Recorder, operation};
use crate::safe_json::{SafeJsonError, create_dir_all, safe_json_read, safe_json_write};

/// Seed 002's default lock timeout for assignments: 5 s.
pub const ASSIGN_TIMEOUT: Duration = Duration::from_secs(5);
/// Seed 002's lock timeout for batch operations ("10s+"), also used for
/// seed 000's update, which gives none: 10 s.
pub const BOARD_TIMEOUT: Duration = Duration::from_secs(10);

/// Which lock an operation takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockScope {
    /// Seed 002's: assignments take their task's lock, batches and updates
    /// the board lock. Flawed: lost updates and double assignments.
    TaskLock,
    /// Every operation takes the board lock. Correct.
    BoardLock,
    /// The seed's lock hierarchy as a global lock order: an operation takes
    /// the locks of its tasks (sorted by id), then the board lock. Correct,
    /// and cannot deadlock.
    TaskThenBoard,
}

impl LockScope {
    /// Every variant, the seed's first.
    pub const ALL: [LockScope; 3] = [
        LockScope::TaskLock,
        LockScope::BoardLock,
        LockScope::TaskThenBoard,
    ];

    /// The stable name, e.g. `"taskboard/board-lock"`.
    pub fn name(self) -> &'static str {
        match self {
            LockScope::TaskLock => "taskboard/task-lock",
            LockScope::BoardLock => "taskboard/board-lock",
            LockScope::TaskThenBoard => "taskboard/task-then-board",
        }
    }

    /// Whether the variant keeps the board's invariants.
    pub fn is_correct(self) -> bool {
        self != LockScope::TaskLock
    }
}

crate::variant::stable_names!(LockScope);

/// Why an operation failed with an error rather than an outcome.
#[derive(Debug, thiserror::Error)]
pub enum TaskBoardError {
    /// Reading or writing the board failed.
    #[error(transparent)]
    Json(#[from] SafeJsonError),
    /// Taking or releasing a lock failed (for seed 000's update, a
    /// timeout too).
    #[error(transparent)]
    Lock(#[from] FlockError),
    /// Creating the lock directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The error, with its errno.
        source: io::Error,
    },
}

/// Seed 002's `atomic_check_and_assign` result: `result["assigned"]`,
/// `result.get("existing_assignee")`, `result["reason"]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckAndAssign {
    /// Whether this call assigned the task.
    pub assigned: bool,
    /// The current assignee's `type:name`, when already assigned.
    pub existing_assignee: Option<String>,
    /// Why not assigned: `"already assigned"`, `"not found"` or
    /// `"lock timeout"`.
    pub reason: Option<String>,
}

/// Seed 002's `atomic_batch_assign` result: `result['assigned']`,
/// `result['failed']`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAssign {
    /// The tasks this call assigned, in the order asked.
    pub assigned: Vec<String>,
    /// The tasks it did not assign, and why.
    pub failed: Vec<(String, NotAssigned)>,
}

/// What an operation works on, which decides its locks.
enum Op<'a> {
    /// One task's assignment.
    Assign(&'a str),
    /// A batch assignment.
    Batch(&'a [&'a str]),
    /// Seed 000's status update of one task.
    Update(&'a str),
}

/// A task board file and how its operations lock it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskBoard {
    path: PathBuf,
    scope: LockScope,
    release: Release,
    mode: Option<Acquire>,
}

impl TaskBoard {
    /// The board at `path`, locked as `scope` says, with lock files kept
    /// ([`Release::KeepFile`]) and the seeds' timeouts.
    pub fn new(path: impl AsRef<Path>, scope: LockScope) -> TaskBoard {
        TaskBoard {
            path: path.as_ref().to_path_buf(),
            scope,
            release: Release::KeepFile,
            mode: None,
        }
    }

    /// The same board with another flock lock variant.
    pub fn with_lock(mut self, release: Release) -> TaskBoard {
        self.release = release;
        self
    }

    /// The same board, every lock acquired as `mode` says (instead of the
    /// seeds' timeouts, retrying every 100 ms).
    pub fn with_mode(mut self, mode: Acquire) -> TaskBoard {
        self.mode = Some(mode);
        self
    }

    /// The board file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The variant.
    pub fn scope(&self) -> LockScope {
        self.scope
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }

    fn name(&self) -> String {
        let name = self.path.file_name().unwrap_or_default();
        name.to_string_lossy().into_owned()
    }

    /// The board lock file, `<dir>/<name>.lock`.
    pub fn board_lock_path(&self) -> PathBuf {
        FlockLock::new(self.dir(), self.release).path(&self.name())
    }

    /// A task's lock file, `<dir>/locks/task_<id>.lock`.
    pub fn task_lock_path(&self, task_id: &str) -> PathBuf {
        FlockLock::new(self.dir().join("locks"), self.release).path(&format!("task_{task_id}"))
    }

    /// Writes `board` as the whole board (creating the directories), with
    /// no lock. Not recorded.
    pub fn create<P: Process>(&self, p: &P, board: &Board) -> Result<(), TaskBoardError> {
        Ok(safe_json_write(p, &self.path, board)?)
    }

    /// Reads the board (an empty list if missing), with no lock.
    pub fn read<P: Process>(&self, p: &P) -> Result<Board, TaskBoardError> {
        Ok(safe_json_read(p, &self.path, Board::default())?)
    }

    /// Seed 000's `update_task_board(task_id, new_status)` under the board
    /// lock: sets the task's `status` and `updated_at` (seconds, on this
    /// process's clock) and writes the board back, also when the task is
    /// not found (the seed logs a warning). Returns whether it was found.
    /// Recorded as `taskboard/update`.
    pub fn update_task_board<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        new_status: &str,
    ) -> Result<bool, TaskBoardError> {
        let input = || json!({"task": task_id, "status": new_status, "variant": self.scope.name()});
        let outcome = |r: &Result<bool, TaskBoardError>| match r {
            Ok(found) => Outcome::Ok(json!({"task": task_id, "found": found})),
            Err(TaskBoardError::Lock(e @ FlockError::Timeout { .. })) => {
                Outcome::Fail(json!({"error": e.to_string()}))
            }
            Err(e) => Outcome::Info(json!({"error": e.to_string()})),
        };
        let body = || {
            let now = secs(p.now());
            self.locked(p, Op::Update(task_id), BOARD_TIMEOUT, |board| {
                (board.update_status(task_id, new_status, now), true)
            })
        };
        operation(rec, p.pid(), "taskboard/update", input, body, outcome)
    }

    /// Seed 002's `atomic_assign_task(task_id, assignee_name,
    /// assignee_type)`: `Ok(())` (assigned), or why not. Recorded as
    /// `taskboard/assign`.
    pub fn assign_task<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        assignee: &Assignee,
    ) -> Result<Result<(), NotAssigned>, TaskBoardError> {
        self.recorded_assign(p, rec, "taskboard/assign", task_id, assignee)
    }

    /// Seed 002's `atomic_check_and_assign`: the same step as
    /// [`TaskBoard::assign_task`], reported as the seed's result dict.
    /// Recorded as `taskboard/check_and_assign`.
    pub fn check_and_assign<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_id: &str,
        assignee: &Assignee,
    ) -> Result<CheckAndAssign, TaskBoardError> {
        let op = "taskboard/check_and_assign";
        let r = self.recorded_assign(p, rec, op, task_id, assignee)?;
        let (existing_assignee, reason) = match r {
            Ok(()) => (None, None),
            Err(NotAssigned::AlreadyAssigned { existing_assignee }) => {
                (Some(existing_assignee), Some("already assigned"))
            }
            Err(NotAssigned::NotFound) => (None, Some("not found")),
            Err(NotAssigned::LockTimeout { .. }) => (None, Some("lock timeout")),
        };
        Ok(CheckAndAssign {
            assigned: reason.is_none(),
            existing_assignee,
            reason: reason.map(str::to_string),
        })
    }

    /// Seed 002's `atomic_batch_assign(task_ids, ...)` under the board
    /// lock: one read, every task without an assignee assigned, one write.
    /// Recorded as `taskboard/batch_assign`.
    pub fn batch_assign<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        task_ids: &[&str],
        assignee: &Assignee,
    ) -> Result<BatchAssign, TaskBoardError> {
        let label = assignee.label();
        let input = || json!({"tasks": task_ids, "assignee": &label, "variant": self.scope.name()});
        let outcome = |r: &Result<BatchAssign, TaskBoardError>| match r {
            Ok(b) => Outcome::Ok(json!({"assigned": b.assigned, "assignee": &label,
                                        "failed": b.failed})),
            Err(e) => Outcome::Info(json!({"error": e.to_string()})),
        };
        let body = || {
            let result = self.locked(p, Op::Batch(task_ids), BOARD_TIMEOUT, |board| {
                let mut result = BatchAssign {
                    assigned: vec![],
                    failed: vec![],
                };
                for &id in task_ids {
                    match board.assign(id, assignee) {
                        Ok(()) => result.assigned.push(id.to_string()),
                        Err(why) => result.failed.push((id.to_string(), why)),
                    }
                }
                let changed = !result.assigned.is_empty();
                (result, changed)
            });
            match result {
                Err(TaskBoardError::Lock(FlockError::Timeout { waited, .. })) => {
                    let why = NotAssigned::LockTimeout {
                        waited_ms: waited.as_millis() as u64,
                    };
                    let failed = task_ids.iter().map(|t| (t.to_string(), why.clone()));
                    Ok(BatchAssign {
                        assigned: vec![],
                        failed: failed.collect(),
                    })
                }
                other => other,
            }
        };
        operation(rec, p.pid(), "taskboard/batch_assign", input, body, outcome)
    }

    fn recorded_assign<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        op: &str,
        task_id: &str,
        assignee: &Assignee,
    ) -> Result<Result<(), NotAssigned>, TaskBoardError> {
        let label = assignee.label();
        let input = || json!({"task": task_id, "assignee": &label, "variant": self.scope.name()});
        let outcome = |r: &Result<Result<(), NotAssigned>, TaskBoardError>| match r {
            Ok(Ok(())) => Outcome::Ok(json!({"task": task_id, "assignee": &label})),
            Ok(Err(why)) => {
                let mut v = json!(why);
                v["task"] = json!(task_id);
                Outcome::Fail(v)
            }
            Err(e) => Outcome::Info(json!({"error": e.to_string()})),
        };
        let body = || {
            let r = self.locked(p, Op::Assign(task_id), ASSIGN_TIMEOUT, |board| {
                let r = board.assign(task_id, assignee);
                let changed = r.is_ok();
                (r, changed)
            });
            match r {
                Err(TaskBoardError::Lock(FlockError::Timeout { waited, .. })) => {
                    let waited_ms = waited.as_millis() as u64;
                    Ok(Err(NotAssigned::LockTimeout { waited_ms }))
                }
                other => other,
            }
        };
        operation(rec, p.pid(), op, input, body, outcome)
    }

    /// The locks `op` takes under this variant, as (directory, key), in
    /// the order they are taken.
    fn locks(&self, op: Op<'_>) -> Vec<(PathBuf, String)> {
        let board = (self.dir().to_path_buf(), self.name());
        let task = |id: &str| (self.dir().join("locks"), format!("task_{id}"));
        match (self.scope, op) {
            (LockScope::TaskLock, Op::Assign(id)) => vec![task(id)],
            (LockScope::TaskLock, _) | (LockScope::BoardLock, _) => vec![board],
            (LockScope::TaskThenBoard, op) => {
                let mut ids: Vec<&str> = match op {
                    Op::Assign(id) | Op::Update(id) => vec![id],
                    Op::Batch(ids) => ids.to_vec(),
                };
                ids.sort_unstable();
                ids.dedup();
                let mut locks: Vec<_> = ids.into_iter().map(task).collect();
                locks.push(board);
                locks
            }
        }
    }

    /// Takes `op`'s locks in order, reads the board, applies `change`
    /// (which says whether to write), writes it back if so, and releases
    /// the locks in reverse order. If a lock cannot be taken, the ones
    /// taken are released and the board is not read.
    fn locked<P: Process, T>(
        &self,
        p: &P,
        op: Op<'_>,
        timeout: Duration,
        change: impl FnOnce(&mut Board) -> (T, bool),
    ) -> Result<T, TaskBoardError> {
        let mode = self.mode.unwrap_or(Acquire::Retry {
            timeout,
            retry_delay: Duration::from_millis(100),
        });
        let mut guards = Vec::new();
        for (dir, key) in self.locks(op) {
            let taken = create_dir_all(p, &dir)
                .map_err(|source| TaskBoardError::Io {
                    path: dir.clone(),
                    source,
                })
                .and_then(|()| {
                    let flock = FlockLock::new(&dir, self.release).with_mode(mode);
                    Ok(flock.acquire(p, &NoHistory, &key)?)
                });
            match taken {
                Ok(guard) => guards.push(guard),
                Err(e) => {
                    release_all(p, guards)?;
                    return Err(e);
                }
            }
        }
        let changed = self.read_modify_write(p, change);
        let released = release_all(p, guards);
        let out = changed?;
        released?;
        Ok(out)
    }

    fn read_modify_write<P: Process, T>(
        &self,
        p: &P,
        change: impl FnOnce(&mut Board) -> (T, bool),
    ) -> Result<T, TaskBoardError> {
        let mut board = self.read(p)?;
        let (out, write) = change(&mut board);
        if write {
            safe_json_write(p, &self.path, &board)?;
        }
        Ok(out)
    }
}

/// Releases `guards` in reverse order of acquisition; the first error.
fn release_all<P: Process>(p: &P, guards: Vec<FlockGuard>) -> Result<(), TaskBoardError> {
    let mut first = Ok(());
    for guard in guards.into_iter().rev() {
        let released = guard.release(p, &NoHistory);
        if first.is_ok() {
            first = released;
        }
    }
    Ok(first?)
}

/// Python's `time.time()`: seconds since the epoch, as a float.
fn secs(t: SystemTime) -> f64 {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    d.as_secs_f64()
}
