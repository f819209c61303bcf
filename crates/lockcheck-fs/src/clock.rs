//! Time as a lock protocol sees it: wall-clock `now` and `sleep`.

use std::time::{Duration, SystemTime};

/// The clock of one process. Lease and staleness decisions read `now`;
/// retry loops `sleep`. [`crate::RealFs`] uses the system clock; a
/// [`crate::SimProc`] uses the simulation's virtual clock, which only moves
/// when every live process is sleeping, paused or blocked, and which can be
/// skewed per process.
pub trait Clock: Send + Sync {
    /// The current wall-clock time as this process sees it.
    fn now(&self) -> SystemTime;
    /// Suspends the calling process for `d`.
    fn sleep(&self, d: Duration);
}
