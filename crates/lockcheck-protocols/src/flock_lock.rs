//! A lock file per key, locked with an exclusive `flock` (seeds 000 and 001).
//!
//! The lock for `key` is the file `<dir>/<key>.lock`: a process opens it
//! (creating it if needed) and takes `flock(fd, LOCK_EX)` on it. What
//! happens to the file on release is the whole story, so it is the
//! variant ([`Release`]):
//!
//! - `flock/unlink-on-release` is seed 001's task claiming: "Creates a
//!   `.lock` file for each task and acquires an exclusive lock using
//!   `fcntl.flock()`", and "Lock released and file deleted in `finally`
//!   block". The classic bug: a waiter that opened the old file keeps
//!   its descriptor on the old inode; once the holder unlocks and unlinks,
//!   the waiter gets a lock on a file no name points to, while a newcomer
//!   creates a new file at the path and locks that one. Two holders.
//! - `flock/keep-file` never deletes the lock file: every process locks
//!   the same inode, which is correct (the file stays behind, empty).
//! - `flock/unlink-with-recheck` deletes the lock file on release, but
//!   while still holding the lock, and after every acquisition compares the
//!   locked descriptor (`fstat`) with the path (`stat`): if the path is gone
//!   or names another inode, it closes and tries again. This is the known
//!   correct way to delete lock files.
//!
//! Seed 000's `FileLock` ("lock → read → modify → write → unlock", "timeout
//! and retry", "context manager pattern for safe cleanup") does not say
//! whether its lock file is deleted, so it is either `flock/keep-file` or
//! `flock/unlink-on-release`; both are here. It names the lock after the
//! protected file (`FileLock("…/working_tasks.json")`): use that file name
//! as the key. Note that if such a lock were taken on the data file itself,
//! seed 000's own write-to-temp-and-rename would replace the locked inode
//! under its waiters, the same race as unlinking; this module always locks
//! a separate `.lock` file.
//!
//! Acquisition ([`Acquire`]) either blocks in `flock`, or tries `LOCK_NB`
//! and on `EWOULDBLOCK` sleeps a retry delay and tries again until a
//! timeout measured with [`lockcheck_fs::Clock::now`] has passed (seed 001:
//! "Non-blocking lock attempts with retry loop", "Default timeout: 10
//! seconds"; the seeds give no retry delay, we default to 100 ms). The
//! descriptor is opened once and kept across retries, as seed 001's loop
//! does, which is what lets a waiter end up on an unlinked inode.
//!
//! [`FlockLock::acquire`] and [`FlockGuard::release`] report
//! `flock/acquire` and `flock/release` operations to a [`Recorder`]. For
//! hand-ordered or explorer-driven steps, [`FlockLock::attempt`] and
//! [`Attempt::poll`] expose one acquisition step at a time (unrecorded).
//!
//! # Example: two holders under `flock/unlink-on-release`
//!
//! ```
//! use lockcheck_fs::{Fs, SimFs, Wait};
//! use lockcheck_protocols::flock_lock::{FlockLock, Polled, Release};
//! use lockcheck_protocols::history::NoHistory;
//!
//! let fs = SimFs::new();
//! let (a, b, c) = (fs.spawn(), fs.spawn(), fs.spawn());
//! let lock = FlockLock::new("", Release::UnlinkOnRelease);
//! let held_by_a = lock.try_acquire(&a, &NoHistory, "task-1")?.unwrap();
//! // B opens task-1.lock and finds it locked; it keeps the descriptor.
//! let Polled::Busy(b_waits) = lock.attempt(&b, "task-1")?.poll(&b, Wait::NonBlock)? else {
//!     unreachable!()
//! };
//! held_by_a.release(&a, &NoHistory)?; // unlock, close, unlink
//! let held_by_c = lock.try_acquire(&c, &NoHistory, "task-1")?.unwrap(); // a new file
//! let Polled::Acquired(held_by_b) = b_waits.poll(&b, Wait::NonBlock)? else {
//!     unreachable!()
//! };
//! // B and C both hold "the lock", on two different inodes.
//! assert_ne!(held_by_b.ino(), held_by_c.ino());
//! assert_eq!(b.fstat(held_by_b.fd())?.nlink, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With `flock/unlink-with-recheck` the same steps give B [`Polled::Stale`].

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lockcheck_fs::{Errno, Fd, LockApi, LockKind, OpenOptions, Process, Wait, errno_of};
use serde_json::json;

use crate::history::{Outcome, Recorder, operation};

#[path = "flock_handle.rs"]
pub mod handle;
pub use handle::FlockHandle;

/// What a holder does with the lock file when it releases the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Release {
    /// Seed 001: unlock, close, then delete the lock file. Flawed: lets two
    /// processes hold the lock at once.
    UnlinkOnRelease,
    /// Unlock and close; the lock file stays. Correct.
    KeepFile,
    /// Delete the lock file while still holding it, then close; every
    /// acquisition checks that the locked inode is still the one at the
    /// path, and retries if not. Correct.
    UnlinkWithRecheck,
}

impl Release {
    /// Every variant, flawed first.
    pub const ALL: [Release; 3] = [
        Release::UnlinkOnRelease,
        Release::KeepFile,
        Release::UnlinkWithRecheck,
    ];

    /// The stable name, e.g. `"flock/keep-file"`.
    pub fn name(self) -> &'static str {
        match self {
            Release::UnlinkOnRelease => "flock/unlink-on-release",
            Release::KeepFile => "flock/keep-file",
            Release::UnlinkWithRecheck => "flock/unlink-with-recheck",
        }
    }

    /// Whether the variant keeps mutual exclusion.
    pub fn is_correct(self) -> bool {
        self != Release::UnlinkOnRelease
    }
}

crate::variant::stable_names!(Release);

/// How [`FlockLock::acquire`] waits for a lock that another process holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Acquire {
    /// Block in `flock(LOCK_EX)` until the lock is free; never times out.
    Block,
    /// Try `LOCK_EX|LOCK_NB`; on `EWOULDBLOCK` sleep `retry_delay` and try
    /// again, failing with [`FlockError::Timeout`] at the first failed try
    /// at or after `timeout`. A zero `retry_delay` is taken as 1 ms, so that
    /// virtual time moves. A zero `timeout` tries exactly once.
    Retry {
        /// How long to keep trying.
        timeout: Duration,
        /// How long to sleep between tries.
        retry_delay: Duration,
    },
}

impl Default for Acquire {
    /// Seed 001's default: retry for 10 s (every 100 ms).
    fn default() -> Acquire {
        Acquire::Retry {
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_millis(100),
        }
    }
}

/// Why an acquisition or release failed.
#[derive(Debug, thiserror::Error)]
pub enum FlockError {
    /// The lock stayed held by another process for the whole timeout.
    #[error("lock {key:?} still held by another process after waiting {waited:?}")]
    Timeout {
        /// The lock's key.
        key: String,
        /// How long this process waited, by its own clock.
        waited: Duration,
    },
    /// A guard was released through another process than the one holding it
    /// (its descriptor means nothing there); nothing was done, and the
    /// guard comes back to be released through its owner.
    #[error("lock {:?} is held by pid {}, not by the releasing pid {called_by}", guard.key, guard.pid)]
    NotOwner {
        /// The guard, still holding the lock.
        guard: Box<FlockGuard>,
        /// The pid of the process passed to `release`.
        called_by: u32,
    },
    /// A kept-open handle ([`FlockLock::handle`]) was asked of a variant
    /// that deletes its lock file.
    #[error("a kept-open lock handle needs flock/keep-file, not {variant}")]
    HandleNeedsKeepFile {
        /// The variant asked.
        variant: &'static str,
    },
    /// A file-system call failed (the errno is in the error).
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The lock files of one directory, one per key, released as `release` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlockLock {
    dir: PathBuf,
    release: Release,
    mode: Acquire,
}

impl FlockLock {
    /// Lock files in `dir` (which must exist), with seed 001's default
    /// acquisition: retry for 10 s.
    pub fn new(dir: impl AsRef<Path>, release: Release) -> FlockLock {
        FlockLock {
            dir: dir.as_ref().to_path_buf(),
            release,
            mode: Acquire::default(),
        }
    }

    /// The same locks, acquired as `mode` says.
    pub fn with_mode(mut self, mode: Acquire) -> FlockLock {
        self.mode = mode;
        self
    }

    /// The variant.
    pub fn variant(&self) -> Release {
        self.release
    }

    /// The acquisition mode.
    pub fn mode(&self) -> Acquire {
        self.mode
    }

    /// The lock file of `key`: `<dir>/<key>.lock`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    /// Takes the lock of `key` as [`FlockLock::mode`] says, and records a
    /// `flock/acquire` operation.
    pub fn acquire<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        key: &str,
    ) -> Result<FlockGuard, FlockError> {
        self.recorded_acquire(p, rec, key, self.mode)
    }

    /// One non-blocking try (`Retry` with a zero timeout): `None` if another
    /// process holds the lock. Recorded as `flock/acquire`.
    pub fn try_acquire<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        key: &str,
    ) -> Result<Option<FlockGuard>, FlockError> {
        let once = Acquire::Retry {
            timeout: Duration::ZERO,
            retry_delay: Duration::ZERO,
        };
        match self.recorded_acquire(p, rec, key, once) {
            Ok(g) => Ok(Some(g)),
            Err(FlockError::Timeout { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The first step of an acquisition, for callers that order steps
    /// themselves: opens (creating) the lock file. Not recorded.
    pub fn attempt<P: Process>(&self, p: &P, key: &str) -> io::Result<Attempt> {
        let path = self.path(key);
        let fd = p.open(&path, OpenOptions::new().write(true).create(true))?;
        Ok(Attempt {
            key: key.to_string(),
            path,
            fd,
            release: self.release,
        })
    }

    fn recorded_acquire<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        key: &str,
        mode: Acquire,
    ) -> Result<FlockGuard, FlockError> {
        let input = || json!({"key": key, "variant": self.release.name()});
        let outcome = |r: &Result<FlockGuard, FlockError>| match r {
            Ok(g) => Outcome::Ok(json!({"key": key, "ino": g.ino})),
            Err(FlockError::Timeout { waited, .. }) => Outcome::Fail(
                json!({"key": key, "error": "timeout", "waited_ms": waited.as_millis() as u64}),
            ),
            Err(e) => Outcome::Fail(json!({"key": key, "error": e.to_string()})),
        };
        let body = || self.acquire_loop(p, key, mode);
        operation(rec, p.pid(), "flock/acquire", input, body, outcome)
    }

    fn acquire_loop<P: Process>(
        &self,
        p: &P,
        key: &str,
        mode: Acquire,
    ) -> Result<FlockGuard, FlockError> {
        let start = p.now();
        let wait = match mode {
            Acquire::Block => Wait::Block,
            Acquire::Retry { .. } => Wait::NonBlock,
        };
        loop {
            let mut attempt = self.attempt(p, key)?;
            loop {
                match attempt.poll(p, wait)? {
                    Polled::Acquired(guard) => return Ok(guard),
                    Polled::Stale => break,
                    Polled::Busy(a) => attempt = a,
                }
                let (timeout, delay) = match mode {
                    Acquire::Retry {
                        timeout,
                        retry_delay,
                    } => (timeout, retry_delay.max(Duration::from_millis(1))),
                    // A blocking poll is never busy; try again if it were.
                    Acquire::Block => continue,
                };
                let waited = p.now().duration_since(start).unwrap_or_default();
                if waited >= timeout {
                    attempt.abandon(p)?;
                    let key = key.to_string();
                    return Err(FlockError::Timeout { key, waited });
                }
                p.sleep(delay);
            }
        }
    }
}

/// An acquisition in progress: the lock file is open, not yet locked.
/// Finish it with [`Attempt::poll`] or give it up with [`Attempt::abandon`];
/// dropping it leaks the descriptor.
#[must_use = "an attempt holds an open descriptor: poll or abandon it"]
#[derive(Debug)]
pub struct Attempt {
    key: String,
    path: PathBuf,
    fd: Fd,
    release: Release,
}

/// What one [`Attempt::poll`] step gave.
#[derive(Debug)]
pub enum Polled {
    /// This process holds the lock.
    Acquired(FlockGuard),
    /// Another process holds the lock (non-blocking only): poll again later.
    Busy(Attempt),
    /// `flock/unlink-with-recheck` only: the lock was taken on a file that is
    /// no longer the one at the path. The descriptor is closed; start a new
    /// [`FlockLock::attempt`].
    Stale,
}

impl Attempt {
    /// The descriptor of the open lock file.
    pub fn fd(&self) -> Fd {
        self.fd
    }

    /// Takes `flock(LOCK_EX)` on the open lock file, blocking or not, and for
    /// `flock/unlink-with-recheck` checks that the locked inode is still the
    /// one at the path. On an error the descriptor is closed.
    pub fn poll<P: Process>(self, p: &P, wait: Wait) -> Result<Polled, FlockError> {
        match p.flock(self.fd, LockKind::Exclusive, wait) {
            Ok(()) => {}
            Err(e) if errno_of(&e) == Some(Errno::EWOULDBLOCK) => return Ok(Polled::Busy(self)),
            Err(e) => return Err(self.fail(p, e)),
        }
        let ino = match p.fstat(self.fd) {
            Ok(m) => m.ino,
            Err(e) => return Err(self.fail(p, e)),
        };
        if self.release == Release::UnlinkWithRecheck {
            let current = match p.stat(&self.path) {
                Ok(m) => Some(m.ino),
                Err(e) if errno_of(&e) == Some(Errno::ENOENT) => None,
                Err(e) => return Err(self.fail(p, e)),
            };
            if current != Some(ino) {
                p.close(self.fd)?;
                return Ok(Polled::Stale);
            }
        }
        Ok(Polled::Acquired(FlockGuard {
            key: self.key,
            path: self.path,
            fd: self.fd,
            ino,
            release: self.release,
            pid: p.pid(),
        }))
    }

    /// Closes the descriptor without locking.
    pub fn abandon<P: Process>(self, p: &P) -> io::Result<()> {
        p.close(self.fd)
    }

    fn fail<P: Process>(self, p: &P, e: io::Error) -> FlockError {
        let _ = p.close(self.fd);
        FlockError::Io(e)
    }
}

/// A held lock: the open, locked descriptor of the lock file. Release it
/// with [`FlockGuard::release`] through the process that acquired it.
/// Dropping it unreleased keeps the lock until that process exits, as a
/// leaked descriptor would.
#[must_use = "a guard holds the lock until released with FlockGuard::release"]
#[derive(Debug)]
pub struct FlockGuard {
    key: String,
    path: PathBuf,
    fd: Fd,
    ino: u64,
    release: Release,
    pid: u32,
}

impl FlockGuard {
    /// The lock's key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The locked descriptor, in the acquiring process.
    pub fn fd(&self) -> Fd {
        self.fd
    }

    /// The inode that was locked: compare two guards' to see whether their
    /// holders locked the same file.
    pub fn ino(&self) -> u64 {
        self.ino
    }

    /// The pid of the process that holds the lock.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Releases the lock as the variant says, and records a `flock/release`
    /// operation. `p` must be the acquiring process, checked by pid: else
    /// [`FlockError::NotOwner`], which hands the guard back. (On
    /// [`lockcheck_fs::RealFs`] every value shares the OS pid, so the check
    /// cannot tell two of them apart.)
    pub fn release<P: Process, R: Recorder>(self, p: &P, rec: &R) -> Result<(), FlockError> {
        if p.pid() != self.pid {
            return Err(FlockError::NotOwner {
                called_by: p.pid(),
                guard: Box::new(self),
            });
        }
        let key = self.key.clone();
        let input = || json!({"key": key, "variant": self.release.name()});
        let outcome = |r: &Result<(), FlockError>| match r {
            Ok(()) => Outcome::Ok(json!({"key": key})),
            Err(e) => Outcome::Info(json!({"key": key, "error": e.to_string()})),
        };
        operation(
            rec,
            self.pid,
            "flock/release",
            input,
            || self.unlock(p),
            outcome,
        )
    }

    fn unlock<P: Process>(&self, p: &P) -> Result<(), FlockError> {
        let unlink = |p: &P| match p.unlink(&self.path) {
            Err(e) if errno_of(&e) != Some(Errno::ENOENT) => Err(e),
            _ => Ok(()),
        };
        match self.release {
            Release::KeepFile => {
                let unlocked = p.unlock(self.fd, LockApi::Flock);
                p.close(self.fd)?;
                unlocked?;
            }
            Release::UnlinkOnRelease => {
                let unlocked = p.unlock(self.fd, LockApi::Flock);
                p.close(self.fd)?;
                unlocked?;
                unlink(p)?;
            }
            Release::UnlinkWithRecheck => {
                let unlinked = unlink(p);
                p.close(self.fd)?;
                unlinked?;
            }
        }
        Ok(())
    }
}
