//! The trace of SimFs calls: what each process called, in order, and what
//! it got back.

use std::fmt;

/// One atomic step of the simulation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TraceEvent {
    /// Position in the global order of steps, from 0.
    pub step: u64,
    /// The process that made the call.
    pub pid: u32,
    /// The call with its arguments, e.g. `rename("a.tmp", "a")`.
    pub call: String,
    /// What it returned, e.g. `Ok(())` or `Err(ENOENT)`.
    pub result: String,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>5}  p{:<4} {} = {}",
            self.step, self.pid, self.call, self.result
        )
    }
}
