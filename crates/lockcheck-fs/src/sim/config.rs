//! The knobs of one simulation, fixed when it is created.

use std::time::{Duration, SystemTime};

use super::durable::Profile;

/// How a [`crate::SimFs`] behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Which not-yet-durable changes a power loss may keep.
    pub profile: Profile,
    /// A `write` longer than this many bytes becomes several atomic steps of
    /// at most this size, and concurrent readers can see the file between
    /// them (a torn write); other writes and truncates of the inode wait
    /// for the last step, as on Linux. `None`: every write is one step.
    pub torn_write_size: Option<usize>,
    /// `RLIMIT_NOFILE` (soft) of every process: its descriptors are
    /// numbered below this, and an `open` when all of them are taken fails
    /// with `EMFILE` (before it looks at the path), so a loop that leaks
    /// descriptors shows. Linux's default soft limit is 1024.
    pub nofile_limit: usize,
    /// Record every call in the trace ([`crate::SimFs::trace`]).
    pub trace: bool,
    /// What `now()` returns at virtual time zero.
    pub start_time: SystemTime,
    /// How an flock conversion (shared to exclusive or back) behaves.
    pub flock_conversion: FlockConversion,
    /// The processes' parent (the harness) ignores `SIGCHLD`, as with
    /// `SA_NOCLDWAIT`: a process that exits is reaped at once, so no
    /// zombie answers `kill(pid, 0)`. Off: an exited process is a zombie
    /// until [`crate::SimFs::reap`], as under a parent that waits late.
    pub reap_on_exit: bool,
}

/// How `flock` converts a lock the open file description already holds
/// into the other kind (shared to exclusive, or exclusive to shared).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlockConversion {
    /// Linux 6.x (`flock_lock_inode` in fs/locks.c): one step. The old
    /// lock is dropped and the new one taken under one hold of the inode's
    /// lock list, so a conversion that succeeds lets no waiter in between.
    /// A conversion that meets a conflict has already dropped the old
    /// lock: without waiting it fails with `EWOULDBLOCK` holding nothing;
    /// waiting, it waits holding nothing.
    #[default]
    Atomic,
    /// What flock(2) allows ("converting a lock is not guaranteed to be
    /// atomic"): the old lock is dropped in one step and the new one taken
    /// in a later step, so another process can get in between. For
    /// protocols that must be safe on any kernel the man page covers.
    TwoStep,
}

impl Default for SimConfig {
    /// In-order durability, atomic writes, 1024 descriptors, tracing on,
    /// atomic flock conversion, zombies until reaped, starting at
    /// 2025-01-01T00:00:00Z.
    fn default() -> Self {
        SimConfig {
            profile: Profile::InOrder,
            torn_write_size: None,
            nofile_limit: 1024,
            reap_on_exit: false,
            trace: true,
            start_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600),
            flock_conversion: FlockConversion::Atomic,
        }
    }
}
