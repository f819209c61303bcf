//! Seed 000's `safe_json_read` and `safe_json_write`: a JSON file read
//! with a default and retries, and written atomically.
//!
//! The seed (a task board updated by many agents) says of them:
//! `safe_json_read` "Handles file not found scenarios with default values",
//! "Retries on transient errors", "Validates JSON integrity";
//! `safe_json_write` "Performs atomic file writes (write to temp, then
//! rename)", "Creates parent directories if missing", "Preserves
//! permissions". It uses them inside a `FileLock` as "lock → read → modify
//! → write → unlock".
//!
//! # What [`safe_json_write`] guarantees
//!
//! - **Atomic replacement.** It creates the missing parent directories,
//!   writes the whole document to a temp file in the same directory
//!   (`.<name>.<pid>.tmp`, created with `O_EXCL`; if that name is taken,
//!   `.<name>.<pid>-<k>.tmp`), `fsync`s it, `rename`s it over the target
//!   and `fsync`s the directory. A reader of the target sees the old
//!   document or the new one, never a mix, an empty file or a missing file
//!   (if the target existed before).
//! - **Durability on return.** After `Ok`, the new document survives a
//!   power loss (data `fsync`ed before the rename, the rename `fsync`ed by
//!   the directory, and directories this call creates by their parents),
//!   provided the directories it found already there are durable: one
//!   that another process has just created, and not yet synced, can still
//!   vanish with the document inside.
//! - **No temp file left** by any call that returns, `Ok` or `Err`.
//!
//! # What it does NOT guarantee
//!
//! - **Read-modify-write is not atomic.** Two processes that each
//!   `safe_json_read`, change and `safe_json_write` the same file lose one
//!   of the two updates (the later rename wins) unless both hold a lock
//!   around the whole cycle, as the seed's `FileLock` does.
//! - A process killed between creating its temp file and renaming it
//!   leaves the temp file behind (and a power loss before the directory
//!   `fsync` may keep the old document).
//! - Permissions: the [`Fs`] model has no mode bits, so "preserves
//!   permissions" is not modelled.
//!
//! # What [`safe_json_read`] guarantees
//!
//! It returns the parsed document, or the default when the file (or a
//! directory above it) does not exist (`ENOENT`). It retries, after
//! [`ReadRetry::delay`] on the process's clock, up to [`ReadRetry::attempts`]
//! reads in all, when a read fails with a transient error ([`is_transient`]:
//! `EINTR`, `EAGAIN`/`EWOULDBLOCK`, `ESTALE`) or the bytes do not parse.
//! A parse failure is the seed's main "transient" case: a writer that
//! rewrites the file in place (truncate, then write) shows readers an empty
//! or half-written file for a moment. After the last attempt it returns
//! [`SafeJsonError::Corrupt`] (or the I/O error); every other error
//! (`EISDIR`, `ENOTDIR`, `EIO`, ...) is returned at once, since reading
//! again cannot fix it.
//!
//! Retrying does not make in-place writers safe: a reader can be unlucky on
//! every attempt, and a torn file can parse (a number cut short, or a
//! shorter document over a longer one without truncation). Readers never
//! see a partial document only when every writer uses [`safe_json_write`].
//!
//! # Example
//!
//! ```
//! use lockcheck_fs::{Fs, SimFs};
//! use lockcheck_protocols::safe_json::{safe_json_read, safe_json_write};
//!
//! let fs = SimFs::new();
//! let p = fs.spawn();
//! let board = "runtime/agent_comms/project_boards/working_tasks.json";
//! let tasks: Vec<String> = safe_json_read(&p, board, vec![])?; // missing: the default
//! assert!(tasks.is_empty());
//! safe_json_write(&p, board, &["task-1"])?; // creates the directories
//! assert_eq!(safe_json_read(&p, board, Vec::<String>::new())?, ["task-1"]);
//! assert_eq!(p.read_dir("runtime/agent_comms/project_boards")?, ["working_tasks.json"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lockcheck_fs::{Errno, FileKind, Fs, OpenOptions, Process, errno_of};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How many times [`safe_json_read_with`] reads, and how long it waits
/// between reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReadRetry {
    /// Reads in all, the first included (0 is taken as 1).
    pub attempts: u32,
    /// Sleep between two reads, on the process's clock.
    pub delay: Duration,
}

impl Default for ReadRetry {
    /// Three reads, 50 ms apart (the seed gives no numbers).
    fn default() -> ReadRetry {
        ReadRetry {
            attempts: 3,
            delay: Duration::from_millis(50),
        }
    }
}

/// Why a read or write failed.
#[derive(Debug, thiserror::Error)]
pub enum SafeJsonError {
    /// A file-system call failed (the errno is in `source`).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory the call was about.
        path: PathBuf,
        /// The error, with its errno.
        source: io::Error,
    },
    /// The file did not parse as the expected JSON on any attempt.
    #[error("{path}: not valid JSON after {attempts} attempt(s): {source}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// How many times it was read.
        attempts: u32,
        /// What the parser said the last time.
        source: serde_json::Error,
    },
    /// The value could not be serialized (e.g. a map with non-string keys).
    #[error("cannot serialize the value for {path}: {source}")]
    Serialize {
        /// The target file.
        path: PathBuf,
        /// What serde_json said.
        source: serde_json::Error,
    },
}

impl SafeJsonError {
    /// The errno of an [`SafeJsonError::Io`] error, if it is one we model.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            SafeJsonError::Io { source, .. } => errno_of(source),
            _ => None,
        }
    }
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SafeJsonError + '_ {
    move |source| SafeJsonError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether reading again may succeed: `EINTR` (a signal interrupted the
/// call), `EAGAIN`/`EWOULDBLOCK` (a resource was momentarily unavailable)
/// and `ESTALE` (an NFS handle went stale because the file was replaced;
/// opening the path again finds the new file). Not `ENOENT`, which
/// [`safe_json_read`] answers with the default.
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::StaleNetworkFileHandle
    )
}

/// Seed 000's `safe_json_read(path, default=...)` with [`ReadRetry::default`].
pub fn safe_json_read<T: DeserializeOwned, P: Process>(
    p: &P,
    path: impl AsRef<Path>,
    default: T,
) -> Result<T, SafeJsonError> {
    safe_json_read_with(p, path, default, ReadRetry::default())
}

/// [`safe_json_read`] with a chosen retry policy.
pub fn safe_json_read_with<T: DeserializeOwned, P: Process>(
    p: &P,
    path: impl AsRef<Path>,
    default: T,
    retry: ReadRetry,
) -> Result<T, SafeJsonError> {
    Ok(safe_json_try_read(p, path, retry)?.unwrap_or(default))
}

/// Like [`safe_json_read_with`], but `None` when the file does not exist,
/// so that a missing file and a file holding the default can be told apart.
pub fn safe_json_try_read<T: DeserializeOwned, P: Process>(
    p: &P,
    path: impl AsRef<Path>,
    retry: ReadRetry,
) -> Result<Option<T>, SafeJsonError> {
    let path = path.as_ref();
    let attempts = retry.attempts.max(1);
    let mut attempt = 1;
    loop {
        let failure = match p.read_file(path) {
            Err(e) if errno_of(&e) == Some(Errno::ENOENT) => return Ok(None),
            Err(e) if is_transient(&e) => io_at(path)(e),
            Err(e) => return Err(io_at(path)(e)),
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(value) => return Ok(Some(value)),
                Err(source) => SafeJsonError::Corrupt {
                    path: path.to_path_buf(),
                    attempts: attempt,
                    source,
                },
            },
        };
        if attempt >= attempts {
            return Err(failure);
        }
        attempt += 1;
        p.sleep(retry.delay);
    }
}

/// Seed 000's `safe_json_write(path, value)`: serializes `value` (pretty,
/// with a final newline) and replaces `path` atomically and durably, as
/// the module documentation says.
pub fn safe_json_write<T: Serialize + ?Sized, P: Process>(
    p: &P,
    path: impl AsRef<Path>,
    value: &T,
) -> Result<(), SafeJsonError> {
    let path = path.as_ref();
    let mut data = serde_json::to_vec_pretty(value).map_err(|source| SafeJsonError::Serialize {
        path: path.to_path_buf(),
        source,
    })?;
    data.push(b'\n');
    let (dir, name) = match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) => (dir, name),
        _ => return Err(io_at(path)(Errno::EINVAL.into())),
    };
    create_dir_all(p, dir).map_err(io_at(dir))?;
    let (tmp, fd) = create_temp(p, dir, name)?;
    let written = p.write_all(fd, &data).and_then(|()| p.fsync(fd));
    let closed = p.close(fd);
    if let Err(e) = written.and(closed).and_then(|()| p.rename(&tmp, path)) {
        let _ = p.unlink(&tmp);
        return Err(io_at(path)(e));
    }
    let dir = dir_or_dot(dir);
    p.fsync_dir(dir).map_err(io_at(dir))
}

/// The directory a relative path's parent names: `.` for a bare name
/// (whose parent `Path::parent` gives as the empty path, which no system
/// call accepts).
fn dir_or_dot(dir: &Path) -> &Path {
    if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }
}

/// Creates the temp file for `dir/name` with `O_EXCL`: `.<name>.<pid>.tmp`,
/// or `.<name>.<pid>-<k>.tmp` for the first free `k` when another thread of
/// the same process (or a dead process with the same pid) holds that name.
fn create_temp<P: Process>(
    p: &P,
    dir: &Path,
    name: &str,
) -> Result<(PathBuf, lockcheck_fs::Fd), SafeJsonError> {
    let pid = p.pid();
    let opts = OpenOptions::new().write(true).create_new(true);
    let mut k = 0u32;
    loop {
        let tmp = match k {
            0 => dir.join(format!(".{name}.{pid}.tmp")),
            k => dir.join(format!(".{name}.{pid}-{k}.tmp")),
        };
        match p.open(&tmp, opts) {
            Ok(fd) => return Ok((tmp, fd)),
            Err(e) if errno_of(&e) == Some(Errno::EEXIST) && k < 1000 => k += 1,
            Err(e) => return Err(io_at(&tmp)(e)),
        }
    }
}

/// `mkdir -p`: creates `dir` and its missing ancestors, and `fsync`s the
/// parent of each directory it creates, so that they are durable. A
/// directory created meanwhile by another process (`EEXIST`) is fine; a
/// file in the way gives `ENOTDIR`.
pub fn create_dir_all<F: Fs>(p: &F, dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.parent().is_none() {
        return Ok(()); // the root
    }
    match p.stat(dir) {
        Ok(m) if m.kind == FileKind::Dir => return Ok(()),
        Ok(_) => return Err(Errno::ENOTDIR.into()),
        Err(e) if errno_of(&e) == Some(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let parent = dir_or_dot(dir.parent().unwrap_or(Path::new("")));
    create_dir_all(p, parent)?;
    match p.mkdir(dir) {
        Ok(()) => p.fsync_dir(parent),
        Err(e) if errno_of(&e) == Some(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}
