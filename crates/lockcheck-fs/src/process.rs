//! Process identity: who am I, and is the process that wrote this lock
//! record still alive?

use crate::{Clock, Fs};

/// Process identity, as used by lock records that store an owner pid.
pub trait ProcessInfo: Send + Sync {
    /// This process's id.
    fn pid(&self) -> u32;
    /// Whether a process with this id is alive now (`kill(pid, 0)`). After a
    /// crash a pid can be reused, so "alive" does not mean "the same process".
    fn is_alive(&self, pid: u32) -> bool;
}

/// Everything a lock protocol needs from its environment: the file system,
/// the clock and process identity. Implemented by [`crate::RealFs`] and
/// [`crate::SimProc`]; protocol code is written once against it.
pub trait Process: Fs + Clock + ProcessInfo {}

impl<T: Fs + Clock + ProcessInfo> Process for T {}
