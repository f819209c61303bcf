//! lockcheck: deterministic concurrency testing for file-based lock
//! protocols: lock files, refresh and stale-lock takeover, task claiming,
//! JSON registries shared by many processes.
//!
//! This facade re-exports the workspace's crates; today that is the
//! file-system layer, [`fs`]: the `Fs` trait, the real backend and the
//! simulated POSIX file system.
//!
//! ```
//! use lockcheck::fs::{Errno, Fs, LockKind, OpenOptions, SimFs, Wait, errno_of};
//!
//! // Two simulated processes open the same lock file: flock locks belong
//! // to the open file description, so the second one is refused.
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let opts = OpenOptions::new().write(true).create(true);
//! let (fa, fb) = (a.open("l", opts)?, b.open("l", opts)?);
//! a.flock(fa, LockKind::Exclusive, Wait::NonBlock)?;
//! let refused = b.flock(fb, LockKind::Exclusive, Wait::NonBlock).unwrap_err();
//! assert_eq!(errno_of(&refused), Some(Errno::EWOULDBLOCK));
//! println!("{}", fs.trace().last().unwrap());
//! // prints: "    3  p101  flock(fd3, LOCK_EX|LOCK_NB) = -1 EWOULDBLOCK"
//! assert_eq!(fs.trace().last().unwrap().to_string(), "    3  p101  flock(fd3, LOCK_EX|LOCK_NB) = -1 EWOULDBLOCK");
//! # Ok::<(), std::io::Error>(())
//! ```

pub use lockcheck_fs as fs;
