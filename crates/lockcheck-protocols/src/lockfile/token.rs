//! The fencing-token counter of the fenced variant.

use std::io::{self, SeekFrom};
use std::path::Path;

use lockcheck_fs::{Errno, LockKind, OpenOptions, Process, Wait};

/// Digits of the counter: fixed width, so every update is one in-place
/// write of the same length and the file never shrinks or grows.
const WIDTH: usize = 20;

/// Takes the next fencing token from the counter file at `path`: under an
/// exclusive `flock` of the counter file, reads the number (0 if the file
/// is new or empty), writes the number plus one in place and `fsync`s it,
/// and returns that number.
///
/// Why this is strictly increasing, even when holders of the lock file
/// pause past their lease:
/// - The flock, not the lock file, serializes the read-increment-write:
///   a process paused inside this function keeps its flock, so others
///   wait; a crashed one loses it (the kernel drops it), so nobody waits
///   forever. The lock file's lease plays no part.
/// - The counter file is never unlinked or replaced (which would let two
///   processes hold flocks on two different inodes of one name).
/// - The new value is written as fixed-width decimal over the old one,
///   never truncated first. A crash (or a torn write) in the middle leaves
///   a prefix of the new digits over the old ones, which is at least the
///   old value; the token is handed out only after the write and `fsync`
///   returned, so after a crash or a power loss the counter is at least
///   every token handed out, and the next one is larger. The directory is
///   `fsync`ed too, so that the counter file itself survives a power loss.
pub(super) fn next_token(p: &impl Process, path: &Path) -> io::Result<u64> {
    let opts = OpenOptions::new().read(true).write(true).create(true);
    let fd = p.open(path, opts)?;
    let result = (|| -> io::Result<u64> {
        p.flock(fd, LockKind::Exclusive, Wait::Block)?;
        p.seek(fd, SeekFrom::Start(0))?;
        let bytes = p.read_to_end(fd)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad_counter())?;
        let text = text.trim();
        let last: u64 = if text.is_empty() {
            0
        } else {
            text.parse().map_err(|_| bad_counter())?
        };
        let next = last.checked_add(1).ok_or_else(bad_counter)?;
        let digits = format!("{next:0WIDTH$}");
        let mut done = 0;
        while done < digits.len() {
            match p.write_at(fd, &digits.as_bytes()[done..], done as u64)? {
                0 => return Err(Errno::EIO.into()),
                n => done += n,
            }
        }
        p.fsync(fd)?;
        // The first time, the counter's name must be durable too.
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        p.fsync_dir(dir.unwrap_or(Path::new(".")))?;
        Ok(next)
    })();
    // Closing the descriptor drops the flock.
    let closed = p.close(fd);
    let next = result?;
    closed?;
    Ok(next)
}

/// The counter file holds something that is not a number below `u64::MAX`.
fn bad_counter() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "fencing counter file does not hold a decimal number below u64::MAX",
    )
}
