//! Helpers shared by this crate's test binaries.

use std::any::Any;
use std::path::Path;
use std::time::{Duration, Instant};

/// The message a caught panic carried (empty if it was not a string).
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// How many requests /proc/locks shows asleep waiting for a lock on the
/// file at `path` (its device and inode, as `MAJ:MIN:INO`; a waiter's line
/// has `->`).
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn kernel_waiters(path: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).expect("the lock file exists");
    let (major, minor) = (libc::major(meta.dev()), libc::minor(meta.dev()));
    let id = format!(" {major:02x}:{minor:02x}:{} ", meta.ino());
    let locks = std::fs::read_to_string("/proc/locks").expect("/proc/locks is readable");
    locks
        .lines()
        .filter(|l| l.contains("->") && l.contains(&id))
        .count()
}

/// Waits until /proc/locks shows at least `count` requests asleep waiting
/// for a lock on the file at `path`. Panics after a minute: that is a
/// failure, not a verdict.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn wait_for_kernel_waiters(path: &Path, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while kernel_waiters(path) < count {
        assert!(
            Instant::now() < deadline,
            "{count} waiters on {} did not appear in /proc/locks",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}
