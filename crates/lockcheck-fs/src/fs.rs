//! The `Fs` trait and the small value types its calls take and return.

use std::fmt;
use std::io::{self, SeekFrom};
use std::path::Path;
use std::time::SystemTime;

use crate::errno::{Errno, err};

/// A file descriptor of one process: a small integer, the lowest free one
/// from 3 up, exactly as a POSIX process sees it. Closed descriptors give
/// `EBADF`; numbers are reused after `close`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fd(pub u32);

impl fmt::Display for Fd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd{}", self.0)
    }
}

/// How to open a file: the flags of `open(2)`, built like
/// [`std::fs::OpenOptions`].
///
/// With neither `write` nor `append` the descriptor is read-only (`O_RDONLY`)
/// whether or not `read` is set, as in the kernel. `create_new` is
/// `O_CREAT|O_EXCL`. `truncate` is honoured even on a read-only descriptor,
/// as Linux does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Open for writing, every write going to the end of the file (`O_APPEND`).
    pub append: bool,
    /// Create the file if it does not exist (`O_CREAT`).
    pub create: bool,
    /// Create the file, failing with `EEXIST` if the name exists (`O_CREAT|O_EXCL`).
    pub create_new: bool,
    /// Truncate the file to length 0 on open (`O_TRUNC`).
    pub truncate: bool,
}

impl OpenOptions {
    /// No flags: a read-only open of an existing file.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets `read`.
    pub fn read(mut self, on: bool) -> Self {
        self.read = on;
        self
    }
    /// Sets `write`.
    pub fn write(mut self, on: bool) -> Self {
        self.write = on;
        self
    }
    /// Sets `append`.
    pub fn append(mut self, on: bool) -> Self {
        self.append = on;
        self
    }
    /// Sets `create`.
    pub fn create(mut self, on: bool) -> Self {
        self.create = on;
        self
    }
    /// Sets `create_new`.
    pub fn create_new(mut self, on: bool) -> Self {
        self.create_new = on;
        self
    }
    /// Sets `truncate`.
    pub fn truncate(mut self, on: bool) -> Self {
        self.truncate = on;
        self
    }
    /// True when the descriptor may be written (`O_WRONLY` or `O_RDWR`).
    pub fn writable(&self) -> bool {
        self.write || self.append
    }
    /// True when the descriptor may be read (`O_RDONLY` or `O_RDWR`).
    pub fn readable(&self) -> bool {
        self.read || !self.writable()
    }
}

impl fmt::Display for OpenOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match (self.readable(), self.writable()) {
            (true, true) => "O_RDWR",
            (false, true) => "O_WRONLY",
            _ => "O_RDONLY",
        };
        f.write_str(mode)?;
        for (on, name) in [
            (self.append, "O_APPEND"),
            (self.create || self.create_new, "O_CREAT"),
            (self.create_new, "O_EXCL"),
            (self.truncate, "O_TRUNC"),
        ] {
            if on {
                write!(f, "|{name}")?;
            }
        }
        Ok(())
    }
}

/// Whether a name refers to a regular file or a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// What `stat` and `fstat` report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// Inode number: equal for two names of one file, and the way to tell
    /// "the file I locked" from "the file at this path now".
    pub ino: u64,
    /// Number of names (0 for an unlinked file still open).
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Time of the last data change.
    pub mtime: SystemTime,
    /// File or directory.
    pub kind: FileKind,
}

/// Shared (read) or exclusive (write) lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// Many holders at once (`LOCK_SH`, `F_RDLCK`).
    Shared,
    /// One holder (`LOCK_EX`, `F_WRLCK`).
    Exclusive,
}

impl LockKind {
    /// True when a lock of kind `self` and one of kind `other`, held by
    /// different owners, exclude each other.
    pub fn conflicts_with(self, other: LockKind) -> bool {
        self == LockKind::Exclusive || other == LockKind::Exclusive
    }
}

/// Which advisory lock family a call uses. The families differ in who owns a
/// lock, which is the whole story of most lock bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockApi {
    /// `flock(2)`: owned by the open file description. A second `open` of the
    /// same file, even in the same process, contends. Converting between
    /// shared and exclusive drops the old lock first, so it is not atomic.
    Flock,
    /// POSIX `fcntl(F_SETLK)` on the whole file: owned by the (process,
    /// inode) pair. Threads and descriptors of one process never exclude
    /// each other, and closing ANY descriptor of the file in the process
    /// drops the lock.
    Posix,
    /// Open file description locks (`F_OFD_SETLK`), whole file: owned by the
    /// open file description like flock, but in the same table as POSIX
    /// locks, so they conflict with POSIX locks even of the same process.
    Ofd,
}

/// Whether a lock call waits for a conflicting lock to go away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Wait {
    /// Wait until the lock can be taken (`LOCK_EX`, `F_SETLKW`).
    Block,
    /// Fail at once with `EWOULDBLOCK` (`LOCK_NB`, `F_SETLK`).
    NonBlock,
}

/// A process's view of a file system: the calls that lock protocols make,
/// close to `std::fs` and to the system calls beneath it.
///
/// Paths are relative to the file system's root (a leading `/` means the
/// same root). Every error is an [`io::Error`] carrying the errno a Linux
/// kernel gives for the same call (see [`crate::errno_of`]).
///
/// One value is one process: [`crate::RealFs`] is the calling OS process
/// (share it between threads freely); [`crate::SimProc`] is one thread of a
/// simulated process of a [`crate::SimFs`] (give each thread its own handle
/// with [`crate::SimProc::thread`]).
pub trait Fs: Send + Sync {
    /// `open(2)`: returns the lowest free descriptor.
    fn open(&self, path: impl AsRef<Path>, opts: OpenOptions) -> io::Result<Fd>;
    /// `close(2)`: releases the descriptor, its flock and OFD locks when it
    /// was the last reference to its open file description, and every POSIX
    /// lock this process holds on the file.
    fn close(&self, fd: Fd) -> io::Result<()>;
    /// `read(2)` at the descriptor's offset.
    fn read(&self, fd: Fd, buf: &mut [u8]) -> io::Result<usize>;
    /// `write(2)` at the descriptor's offset (at the end with `O_APPEND`).
    fn write(&self, fd: Fd, buf: &[u8]) -> io::Result<usize>;
    /// `pread(2)`: reads at `offset`, leaving the descriptor's offset alone.
    fn read_at(&self, fd: Fd, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// `pwrite(2)`: writes at `offset` (Linux appends instead under `O_APPEND`).
    fn write_at(&self, fd: Fd, buf: &[u8], offset: u64) -> io::Result<usize>;
    /// `lseek(2)`.
    fn seek(&self, fd: Fd, pos: SeekFrom) -> io::Result<u64>;
    /// `ftruncate(2)`: needs a writable descriptor (`EINVAL` otherwise).
    fn set_len(&self, fd: Fd, len: u64) -> io::Result<()>;
    /// `fsync(2)`: makes the file's data durable (a directory descriptor
    /// makes the directory's entries durable).
    fn fsync(&self, fd: Fd) -> io::Result<()>;
    /// Opens the directory at `path`, `fsync`s it and closes it: makes the
    /// creation, removal and renaming of its entries durable.
    fn fsync_dir(&self, path: impl AsRef<Path>) -> io::Result<()>;
    /// `fstat(2)`.
    fn fstat(&self, fd: Fd) -> io::Result<Metadata>;
    /// `stat(2)`.
    fn stat(&self, path: impl AsRef<Path>) -> io::Result<Metadata>;
    /// `rename(2)`: atomically replaces `to`; no observer finds it missing.
    fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()>;
    /// `link(2)`: adds the name `new` to the file at `existing`.
    fn link(&self, existing: impl AsRef<Path>, new: impl AsRef<Path>) -> io::Result<()>;
    /// `unlink(2)`: removes a name; an open file lives on until closed.
    fn unlink(&self, path: impl AsRef<Path>) -> io::Result<()>;
    /// `mkdir(2)`.
    fn mkdir(&self, path: impl AsRef<Path>) -> io::Result<()>;
    /// `rmdir(2)`.
    fn rmdir(&self, path: impl AsRef<Path>) -> io::Result<()>;
    /// The names in a directory, sorted, without `.` and `..`.
    fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<Vec<String>>;
    /// Takes a whole-file lock of the given family on the descriptor's file.
    /// A conflict gives `EWOULDBLOCK` with [`Wait::NonBlock`], or waits with
    /// [`Wait::Block`]. POSIX locks need a descriptor open for reading
    /// (shared) or writing (exclusive), `EBADF` otherwise.
    fn lock(&self, fd: Fd, api: LockApi, kind: LockKind, wait: Wait) -> io::Result<()>;
    /// Releases the descriptor's lock of the given family (no error if none).
    fn unlock(&self, fd: Fd, api: LockApi) -> io::Result<()>;

    /// `flock(fd, LOCK_SH | LOCK_EX [| LOCK_NB])`.
    fn flock(&self, fd: Fd, kind: LockKind, wait: Wait) -> io::Result<()> {
        self.lock(fd, LockApi::Flock, kind, wait)
    }

    /// Reads from the descriptor's offset to the end of the file.
    fn read_to_end(&self, fd: Fd) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.read(fd, &mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    /// Writes all of `buf`, calling `write` until it is all taken.
    fn write_all(&self, fd: Fd, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(fd, buf)? {
                0 => return Err(err(Errno::EIO)),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    /// Opens, reads the whole file and closes it.
    fn read_file(&self, path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
        let fd = self.open(path, OpenOptions::new().read(true))?;
        let data = self.read_to_end(fd);
        self.close(fd)?;
        data
    }

    /// Opens with create and truncate, writes `data` and closes (no fsync):
    /// the non-atomic way, which readers can see half done.
    fn write_file(&self, path: impl AsRef<Path>, data: &[u8]) -> io::Result<()> {
        let opts = OpenOptions::new().write(true).create(true).truncate(true);
        let fd = self.open(path, opts)?;
        let written = self.write_all(fd, data);
        self.close(fd)?;
        written
    }

    /// True when `stat` finds the path, false on `ENOENT`.
    fn exists(&self, path: impl AsRef<Path>) -> io::Result<bool> {
        match self.stat(path) {
            Ok(_) => Ok(true),
            Err(e) if crate::errno_of(&e) == Some(Errno::ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
