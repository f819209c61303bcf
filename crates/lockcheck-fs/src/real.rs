//! RealFs: the `Fs` trait over a real directory, through the system calls
//! themselves (rustix, and libc for POSIX and OFD record locks), so that
//! errors are the kernel's own.

use std::io::{self, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};

use crate::errno::{Errno, err};
use crate::path::{Components, Dots, components};
use crate::{Clock, Fd, FileKind, Fs, LockApi, LockKind, Metadata, OpenOptions, ProcessInfo, Wait};

/// The lowest descriptor number handed out, as in a POSIX process.
const FIRST_FD: usize = 3;

/// A real directory seen through [`Fs`]: the calling OS process's view.
///
/// Paths are resolved below the root directory given to [`RealFs::new`]
/// (never above it: `..` stops at the root). Descriptors are numbered per
/// `RealFs` value, lowest free from 3, so that they behave like a process's
/// descriptor table regardless of what else the OS process opens. POSIX
/// record locks are the OS process's: two `RealFs` values in one process
/// share them, as two threads would. Use one `RealFs` per OS process, or
/// per thread when threads stand for processes with flock and OFD locks.
/// Closing a descriptor that a call on another thread is using keeps the
/// OS descriptor open until that call returns (as the kernel keeps the
/// file), and behaves as the kernel's close otherwise: the process's POSIX
/// locks on the file go at once, and a POSIX lock that call then takes is
/// dropped again with `EBADF`.
#[derive(Debug)]
pub struct RealFs {
    root: PathBuf,
    dir: OwnedFd,
    fds: Mutex<Vec<Option<Arc<OwnedFd>>>>,
}

impl RealFs {
    /// Opens the existing directory `root` as this file system's root.
    pub fn new(root: impl AsRef<Path>) -> io::Result<RealFs> {
        let root = root.as_ref().to_path_buf();
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = rustix::fs::open(&root, flags, Mode::empty())?;
        Ok(RealFs {
            root,
            dir,
            fds: Mutex::new(Vec::new()),
        })
    }

    /// The root directory on the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path below the root that `c` names, as `openat` wants it.
    fn rel(c: &Components<'_>) -> String {
        let mut s = if c.parts.is_empty() {
            ".".to_string()
        } else {
            c.parts.join("/")
        };
        if c.trailing_slash {
            s.push('/');
        }
        s
    }

    fn rel_path(path: &Path) -> io::Result<String> {
        Ok(Self::rel(&components(path)?))
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Vec<Option<Arc<OwnedFd>>>> {
        self.fds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The OS descriptor behind `fd`, or `EBADF`.
    fn get(&self, fd: Fd) -> io::Result<Arc<OwnedFd>> {
        self.table()
            .get(fd.0 as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| err(Errno::EBADF))
    }

    fn insert(&self, owned: OwnedFd) -> Fd {
        let mut table = self.table();
        if table.len() < FIRST_FD {
            table.resize(FIRST_FD, None);
        }
        let n = match table.iter().skip(FIRST_FD).position(Option::is_none) {
            Some(i) => i + FIRST_FD,
            None => {
                table.push(None);
                table.len() - 1
            }
        };
        table[n] = Some(Arc::new(owned));
        Fd(n as u32)
    }

    fn metadata(st: &rustix::fs::Stat) -> Metadata {
        let kind = if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
            FileKind::Dir
        } else {
            FileKind::File
        };
        let mtime = UNIX_EPOCH + Duration::new(st.st_mtime as u64, st.st_mtime_nsec as u32);
        Metadata {
            ino: st.st_ino,
            nlink: st.st_nlink,
            size: st.st_size as u64,
            mtime,
            kind,
        }
    }
}

/// Retries a call interrupted by a signal.
fn retry<T>(mut f: impl FnMut() -> rustix::io::Result<T>) -> io::Result<T> {
    loop {
        match f() {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

/// A whole-file POSIX (`F_SETLK[W]`) or OFD (`F_OFD_SETLK[W]`) lock call.
fn record_lock(
    fd: BorrowedFd<'_>,
    ofd: bool,
    kind: Option<LockKind>,
    wait: Wait,
) -> io::Result<()> {
    let cmd = match (ofd, wait) {
        (false, Wait::NonBlock) => libc::F_SETLK,
        (false, Wait::Block) => libc::F_SETLKW,
        (true, Wait::NonBlock) => libc::F_OFD_SETLK,
        (true, Wait::Block) => libc::F_OFD_SETLKW,
    };
    let l_type = match kind {
        Some(LockKind::Shared) => libc::F_RDLCK,
        Some(LockKind::Exclusive) => libc::F_WRLCK,
        None => libc::F_UNLCK,
    };
    // SAFETY: `flock` is plain data; all-zero is a valid value (whole file
    // from offset 0, l_pid 0 as OFD locks require).
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = l_type as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    loop {
        // SAFETY: `fd` is a live descriptor and `lock` a valid flock.
        let r = unsafe { libc::fcntl(fd.as_raw_fd(), cmd, &lock as *const libc::flock) };
        if r != -1 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

impl Fs for RealFs {
    fn open(&self, path: impl AsRef<Path>, opts: OpenOptions) -> io::Result<Fd> {
        let rel = Self::rel_path(path.as_ref())?;
        let mut flags = match (opts.readable(), opts.writable()) {
            (true, true) => OFlags::RDWR,
            (false, true) => OFlags::WRONLY,
            _ => OFlags::RDONLY,
        };
        for (on, flag) in [
            (opts.append, OFlags::APPEND),
            (opts.create || opts.create_new, OFlags::CREATE),
            (opts.create_new, OFlags::EXCL),
            (opts.truncate, OFlags::TRUNC),
        ] {
            if on {
                flags |= flag;
            }
        }
        flags |= OFlags::CLOEXEC;
        let mode = Mode::from_raw_mode(0o644);
        let owned = retry(|| rustix::fs::openat(&self.dir, rel.as_str(), flags, mode))?;
        Ok(self.insert(owned))
    }

    fn close(&self, fd: Fd) -> io::Result<()> {
        let mut table = self.table();
        let Some(owned) = table.get_mut(fd.0 as usize).and_then(Option::take) else {
            return Err(err(Errno::EBADF));
        };
        drop(table);
        if Arc::strong_count(&owned) > 1 {
            // A call in progress on another thread still holds the OS
            // descriptor (as the kernel holds the file), so it stays open
            // until that call returns. The close must still drop this
            // process's POSIX locks on the file now, as close(2) does:
            // closing a duplicate makes the kernel do exactly that.
            drop(rustix::io::dup(&*owned)?);
        }
        Ok(())
    }

    fn read(&self, fd: Fd, buf: &mut [u8]) -> io::Result<usize> {
        let f = self.get(fd)?;
        retry(|| rustix::io::read(f.as_fd(), &mut *buf))
    }

    fn write(&self, fd: Fd, buf: &[u8]) -> io::Result<usize> {
        let f = self.get(fd)?;
        retry(|| rustix::io::write(f.as_fd(), buf))
    }

    fn read_at(&self, fd: Fd, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        // The kernel refuses a negative off_t before it looks at the descriptor.
        if offset > i64::MAX as u64 {
            return Err(err(Errno::EINVAL));
        }
        let f = self.get(fd)?;
        retry(|| rustix::io::pread(f.as_fd(), &mut *buf, offset))
    }

    fn write_at(&self, fd: Fd, buf: &[u8], offset: u64) -> io::Result<usize> {
        // The kernel refuses a negative off_t before it looks at the descriptor.
        if offset > i64::MAX as u64 {
            return Err(err(Errno::EINVAL));
        }
        let f = self.get(fd)?;
        retry(|| rustix::io::pwrite(f.as_fd(), buf, offset))
    }

    fn seek(&self, fd: Fd, pos: SeekFrom) -> io::Result<u64> {
        let f = self.get(fd)?;
        let pos = match pos {
            SeekFrom::Start(n) => rustix::fs::SeekFrom::Start(n),
            SeekFrom::Current(d) => rustix::fs::SeekFrom::Current(d),
            SeekFrom::End(d) => rustix::fs::SeekFrom::End(d),
        };
        retry(|| rustix::fs::seek(f.as_fd(), pos))
    }

    fn set_len(&self, fd: Fd, len: u64) -> io::Result<()> {
        let f = self.get(fd)?;
        retry(|| rustix::fs::ftruncate(f.as_fd(), len))
    }

    fn fsync(&self, fd: Fd) -> io::Result<()> {
        let f = self.get(fd)?;
        retry(|| rustix::fs::fsync(f.as_fd()))
    }

    fn fsync_dir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let rel = Self::rel_path(path.as_ref())?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = retry(|| rustix::fs::openat(&self.dir, rel.as_str(), flags, Mode::empty()))?;
        retry(|| rustix::fs::fsync(&dir))
    }

    fn fstat(&self, fd: Fd) -> io::Result<Metadata> {
        let f = self.get(fd)?;
        Ok(Self::metadata(&retry(|| rustix::fs::fstat(f.as_fd()))?))
    }

    fn stat(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        let rel = Self::rel_path(path.as_ref())?;
        let st = retry(|| rustix::fs::statat(&self.dir, rel.as_str(), AtFlags::empty()))?;
        Ok(Self::metadata(&st))
    }

    fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        let (from, to) = (Self::rel_path(from.as_ref())?, Self::rel_path(to.as_ref())?);
        retry(|| rustix::fs::renameat(&self.dir, from.as_str(), &self.dir, to.as_str()))
    }

    fn link(&self, existing: impl AsRef<Path>, new: impl AsRef<Path>) -> io::Result<()> {
        let (a, b) = (
            Self::rel_path(existing.as_ref())?,
            Self::rel_path(new.as_ref())?,
        );
        retry(|| {
            rustix::fs::linkat(
                &self.dir,
                a.as_str(),
                &self.dir,
                b.as_str(),
                AtFlags::empty(),
            )
        })
    }

    fn unlink(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let rel = Self::rel_path(path.as_ref())?;
        retry(|| rustix::fs::unlinkat(&self.dir, rel.as_str(), AtFlags::empty()))
    }

    fn mkdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let rel = Self::rel_path(path.as_ref())?;
        retry(|| rustix::fs::mkdirat(&self.dir, rel.as_str(), Mode::from_raw_mode(0o755)))
    }

    fn rmdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let c = components(path.as_ref())?;
        // `.` and `..` were resolved away lexically; refuse them as rmdir(2)
        // does, and never remove the root itself.
        if let Some(dots) = c.last_dots {
            self.stat(Self::rel(&c))?;
            return Err(err(match dots {
                Dots::One => Errno::EINVAL,
                Dots::Two => Errno::ENOTEMPTY,
            }));
        }
        if c.parts.is_empty() {
            return Err(err(Errno::EBUSY));
        }
        let rel = Self::rel(&c);
        retry(|| rustix::fs::unlinkat(&self.dir, rel.as_str(), AtFlags::REMOVEDIR))
    }

    fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<Vec<String>> {
        let rel = Self::rel_path(path.as_ref())?;
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let dir = retry(|| rustix::fs::openat(&self.dir, rel.as_str(), flags, Mode::empty()))?;
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy();
            if name != "." && name != ".." {
                names.push(name.into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn lock(&self, fd: Fd, api: LockApi, kind: LockKind, wait: Wait) -> io::Result<()> {
        let f = self.get(fd)?;
        match api {
            LockApi::Flock => {
                let op = match (kind, wait) {
                    (LockKind::Shared, Wait::Block) => FlockOperation::LockShared,
                    (LockKind::Exclusive, Wait::Block) => FlockOperation::LockExclusive,
                    (LockKind::Shared, Wait::NonBlock) => FlockOperation::NonBlockingLockShared,
                    (LockKind::Exclusive, Wait::NonBlock) => {
                        FlockOperation::NonBlockingLockExclusive
                    }
                };
                retry(|| rustix::fs::flock(f.as_fd(), op))
            }
            LockApi::Posix => {
                record_lock(f.as_fd(), false, Some(kind), wait)?;
                // The kernel's close-race check (fcntl_setlk): if another
                // thread closed `fd` while the call waited, drop the lock
                // just taken and fail.
                let same = self.get(fd).is_ok_and(|now| Arc::ptr_eq(&now, &f));
                if !same {
                    record_lock(f.as_fd(), false, None, Wait::NonBlock)?;
                    return Err(err(Errno::EBADF));
                }
                Ok(())
            }
            LockApi::Ofd => record_lock(f.as_fd(), true, Some(kind), wait),
        }
    }

    fn unlock(&self, fd: Fd, api: LockApi) -> io::Result<()> {
        let f = self.get(fd)?;
        match api {
            LockApi::Flock => retry(|| rustix::fs::flock(f.as_fd(), FlockOperation::Unlock)),
            LockApi::Posix => record_lock(f.as_fd(), false, None, Wait::NonBlock),
            LockApi::Ofd => record_lock(f.as_fd(), true, None, Wait::NonBlock),
        }
    }
}

impl Clock for RealFs {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

impl ProcessInfo for RealFs {
    fn pid(&self) -> u32 {
        std::process::id()
    }

    fn is_alive(&self, pid: u32) -> bool {
        let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
            return false;
        };
        match rustix::process::test_kill_process(pid) {
            Ok(()) => true,
            Err(e) => e != rustix::io::Errno::SRCH,
        }
    }
}
