//! lockcheck: deterministic concurrency testing for file-based lock
//! protocols. This facade re-exports the workspace's crates.

pub use lockcheck_fs as fs;
