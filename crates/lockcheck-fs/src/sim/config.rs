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
}

impl Default for SimConfig {
    /// In-order durability, atomic writes, 1024 descriptors, tracing on, starting at
    /// 2025-01-01T00:00:00Z.
    fn default() -> Self {
        SimConfig {
            profile: Profile::InOrder,
            torn_write_size: None,
            nofile_limit: 1024,
            trace: true,
            start_time: SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600),
        }
    }
}
