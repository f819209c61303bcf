//! lockcheck-fs (tutorial to come)

mod clock;
mod errno;
mod fs;
mod path;
mod process;
mod real;
mod sim;
pub mod sync;

pub use clock::Clock;
pub use errno::{Errno, errno_of};
pub use fs::{Fd, FileKind, Fs, LockApi, LockKind, Metadata, OpenOptions, Wait};
pub use process::{Process, ProcessInfo};
pub use real::RealFs;
pub use sim::{Profile, SimConfig, SimFs, SimProc, Skew, Snapshot, TraceEvent};
