//! lockcheck: deterministic concurrency testing for file-based lock
//! protocols: lock files, refresh and stale-lock takeover, task claiming,
//! JSON registries shared by many processes.
//!
//! This facade re-exports the workspace's crates: [`fs`], the file-system
//! layer (the `Fs` trait, the real backend and the simulated POSIX file
//! system); [`protocols`], the seed systems' lock protocols, flawed and
//! fixed; [`explore`], scenarios explored under shuttle and loom with
//! replayable counterexamples; and [`lincheck`], histories and the
//! linearizability checker. [`model`] reads the model files that the
//! `lockcheck` command runs, and [`cli`] is that command.
//!
//! ```
//! use lockcheck::fs::{Errno, Fs, LockKind, OpenOptions, SimFs, Wait, errno_of};
//!
//! // One simulated process opens the same lock file twice: flock locks
//! // belong to the open file description, so its second open is refused.
//! let fs = SimFs::new();
//! let p = fs.spawn();
//! let opts = OpenOptions::new().write(true).create(true);
//! let (first, second) = (p.open("l", opts)?, p.open("l", opts)?);
//! p.flock(first, LockKind::Exclusive, Wait::NonBlock)?;
//! let refused = p.flock(second, LockKind::Exclusive, Wait::NonBlock).unwrap_err();
//! assert_eq!(errno_of(&refused), Some(Errno::EWOULDBLOCK));
//! assert_eq!(
//!     fs.trace().last().unwrap().to_string(),
//!     "    3  p100  flock(fd4, LOCK_EX|LOCK_NB) = -1 EWOULDBLOCK"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod cli;
pub mod model;

pub use lockcheck_explore as explore;
pub use lockcheck_fs as fs;
pub use lockcheck_lincheck as lincheck;
pub use lockcheck_protocols as protocols;
