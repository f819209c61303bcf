//! Reference implementations of the lock, refresh, claim and registry
//! protocols of the seed systems, written once against
//! [`lockcheck_fs::Process`] so they run on a real directory and in SimFs.
//! Where a seed's design has a flaw, the flawed behaviour is kept as a named
//! variant next to a fixed one: reproducing real users' bugs is the point.
//!
//! Every variant has a stable name, `family/variant` (e.g.
//! `lockfile/unlink-then-write`), shown by its `Display` and parsed by its
//! `FromStr`; model files use these names. Every operation reports its
//! invocation and outcome to a [`history::Recorder`].
//!
//! # Tutorial
//!
//! A lock protocol runs on any [`lockcheck_fs::Process`]; here two
//! simulated agents contend for seed 004's lock file, and the history
//! records what each asked for and got:
//!
//! ```
//! use lockcheck_fs::SimFs;
//! use lockcheck_protocols::history::History;
//! use lockcheck_protocols::lockfile::{LockFile, Refresh};
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! let lock = LockFile::new("", "task", Refresh::WriteTempThenReplace);
//! let history = History::new();
//! let lease = lock.acquire(&a, &history, "agent-a").unwrap();
//! assert!(lock.acquire(&b, &history, "agent-b").is_err());
//! lock.refresh(&a, &history, &lease).unwrap();
//!
//! let lines: Vec<String> = history
//!     .events()
//!     .iter()
//!     .map(|e| format!("p{} {:?} {} {}", e.process, e.kind, e.op, e.value))
//!     .collect();
//! assert_eq!(lines[2], r#"p101 Invoke lockfile/acquire {"owner":"agent-b","variant":"lockfile/write-temp-then-replace"}"#);
//! assert_eq!(lines[3], r#"p101 Fail lockfile/acquire {"error":"held by agent-a"}"#);
//! assert_eq!(lines.len(), 6);
//! ```

pub mod claim;
pub mod flock_lock;
pub mod history;
pub mod lockfile;
pub mod registry;
pub mod safe_json;
pub mod taskboard;
pub mod variant;
