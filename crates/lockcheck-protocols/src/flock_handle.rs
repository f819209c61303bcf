//! A flock lock file kept open between acquisitions, for a process that
//! takes the same lock many times: acquire is one `flock(LOCK_EX)`,
//! release one `flock(LOCK_UN)`, with no `open` and `close` around them.
//!
//! Only `flock/keep-file` allows it. With the file never deleted, the
//! descriptor opened once always names the lock's inode; a variant that
//! deletes the file on release would leave a kept descriptor on a dead
//! inode (the `flock/unlink-on-release` race), so [`FlockLock::handle`]
//! refuses them.
//!
//! A `flock` lock belongs to the open file description: each thread that
//! takes the lock needs its own handle (two threads sharing one handle
//! would not exclude each other).
//!
//! ```
//! use lockcheck_fs::{SimFs, Wait};
//! use lockcheck_protocols::flock_lock::{FlockLock, Release};
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let lock = FlockLock::new("locks", Release::KeepFile);
//! let mut ha = lock.handle(&a, "task")?;
//! let mut hb = lock.handle(&b, "task")?;
//! assert!(ha.lock(&a, Wait::NonBlock)?);
//! assert!(!hb.lock(&b, Wait::NonBlock)?); // held by a
//! ha.unlock(&a)?;
//! assert!(hb.lock(&b, Wait::NonBlock)?);
//! hb.unlock(&b)?;
//! ha.close(&a)?;
//! hb.close(&b)?;
//! # Ok::<(), lockcheck_protocols::flock_lock::FlockError>(())
//! ```

use std::path::PathBuf;

use lockcheck_fs::{Errno, Fd, LockApi, LockKind, OpenOptions, Process, Wait, errno_of};

use crate::flock_lock::{FlockError, FlockLock, Release};

/// The lock file of one key, open in one process (see the module docs).
/// Close it with [`FlockHandle::close`]; dropping it leaks the descriptor
/// until the process exits.
#[must_use = "a handle holds an open descriptor: close it"]
#[derive(Debug)]
pub struct FlockHandle {
    key: String,
    fd: Fd,
    held: bool,
}

impl FlockLock {
    /// Opens (creating it and its directory if needed) the lock file of
    /// `key` once, for many acquisitions. `flock/keep-file` only: other
    /// variants give [`FlockError::HandleNeedsKeepFile`].
    pub fn handle<P: Process>(&self, p: &P, key: &str) -> Result<FlockHandle, FlockError> {
        if self.variant() != Release::KeepFile {
            return Err(FlockError::HandleNeedsKeepFile {
                variant: self.variant().name(),
            });
        }
        let path: PathBuf = self.path(key);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            match p.mkdir(dir) {
                Err(e) if errno_of(&e) != Some(Errno::EEXIST) => return Err(e.into()),
                _ => {}
            }
        }
        let fd = p.open(&path, OpenOptions::new().write(true).create(true))?;
        Ok(FlockHandle {
            key: key.to_string(),
            fd,
            held: false,
        })
    }
}

impl FlockHandle {
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether this handle holds the lock now.
    pub fn is_held(&self) -> bool {
        self.held
    }

    /// Takes the lock: blocks until it is free ([`Wait::Block`], always
    /// `true`), or tries once ([`Wait::NonBlock`]: `false` if another
    /// process holds it). Taking a lock this handle holds is a no-op.
    pub fn lock<P: Process>(&mut self, p: &P, wait: Wait) -> Result<bool, FlockError> {
        if self.held {
            return Ok(true);
        }
        match p.lock(self.fd, LockApi::Flock, LockKind::Exclusive, wait) {
            Ok(()) => {
                self.held = true;
                Ok(true)
            }
            Err(e) if errno_of(&e) == Some(Errno::EWOULDBLOCK) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Releases the lock (the file stays, and stays open).
    pub fn unlock<P: Process>(&mut self, p: &P) -> Result<(), FlockError> {
        if self.held {
            p.unlock(self.fd, LockApi::Flock)?;
            self.held = false;
        }
        Ok(())
    }

    /// Closes the lock file (which releases the lock if held).
    pub fn close<P: Process>(self, p: &P) -> Result<(), FlockError> {
        p.close(self.fd)?;
        Ok(())
    }
}
