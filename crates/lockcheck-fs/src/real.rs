//! RealFs: the `Fs` trait over a real directory, through the system calls
//! themselves (rustix, and libc for POSIX and OFD record locks), so that
//! errors are the kernel's own.

use std::io::{self, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags, ResolveFlags};

use crate::errno::{Errno, err};
use crate::path::checked;
use crate::{Clock, Fd, FileKind, Fs, LockApi, LockKind, Metadata, OpenOptions, ProcessInfo, Wait};

/// The lowest descriptor number handed out, as in a POSIX process.
const FIRST_FD: usize = 3;

/// A real directory seen through [`Fs`]: the calling OS process's view.
///
/// Paths are resolved by the kernel below the root directory given to
/// [`RealFs::new`], which acts as the root (`openat2` with
/// `RESOLVE_IN_ROOT`, as in a chroot): component by component, `..` goes to
/// the parent of the directory actually reached, and a leading `/` or a
/// `..` at the root stays at the root. Symlinks (which SimFs does not
/// model) are followed inside the root too: an absolute target starts at
/// the root; calls that remove or replace a name (`unlink`, `rename`,
/// `link`'s existing file) act on a last-component symlink itself. Descriptors are numbered per
/// `RealFs` value, lowest free from 3 and below the process's
/// `RLIMIT_NOFILE` (`EMFILE` past it), so that they behave like a
/// process's descriptor table regardless of what else the OS process opens. POSIX
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

    /// Opens `path` with the kernel resolving it below the root
    /// (`openat2` with `RESOLVE_IN_ROOT`): component by component, `..`
    /// from the directory actually reached, a leading `/` or a `..` at the
    /// root staying at the root, symlinks followed inside the root.
    fn walk(&self, path: &str, flags: OFlags) -> io::Result<OwnedFd> {
        let mode = if flags.contains(OFlags::CREATE) {
            Mode::from_raw_mode(0o644)
        } else {
            Mode::empty()
        };
        let how = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        let flags = flags | OFlags::CLOEXEC;
        loop {
            match rustix::fs::openat2(&self.dir, path, flags, mode, how) {
                // A rename raced with the walk: the kernel asks to retry.
                Err(rustix::io::Errno::INTR | rustix::io::Errno::AGAIN) => continue,
                other => return other.map_err(io::Error::from),
            }
        }
    }

    /// Checks `path` and opens the directory that holds its last component
    /// (the kernel's parent walk), for the calls that create or remove a
    /// name. Returns that directory and the last component as written,
    /// trailing slashes included, for the `*at` call to look up itself: it
    /// looks up no `.` or `..` there, so nothing leaves the root. `None`
    /// for a path that is only slashes (the root itself).
    fn parent(&self, path: &Path) -> io::Result<Option<(OwnedFd, String)>> {
        let s = checked(path)?;
        let trimmed = s.trim_end_matches('/');
        if trimmed.is_empty() {
            return Ok(None);
        }
        let (dir, last) = match trimmed.rfind('/') {
            None => (".", s),
            Some(0) => ("/", &s[1..]),
            Some(i) => (&s[..i], &s[i + 1..]),
        };
        let flags = OFlags::PATH | OFlags::DIRECTORY;
        Ok(Some((self.walk(dir, flags)?, last.to_string())))
    }

    /// Checks `path` and opens what it names with `flags`.
    fn open_path(&self, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
        self.walk(checked(path)?, flags)
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

    /// `EMFILE` when this table has no free number below the process's
    /// `RLIMIT_NOFILE`, as the kernel checks before it looks at the path.
    fn check_free_fd(&self) -> io::Result<()> {
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let table = self.table();
        let lowest = (FIRST_FD..).find(|&n| table.get(n).is_none_or(Option::is_none));
        match (lowest, limit) {
            (Some(n), Some(limit)) if n as u64 >= limit => Err(err(Errno::EMFILE)),
            _ => Ok(()),
        }
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
        self.check_free_fd()?;
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
        let owned = self.open_path(path.as_ref(), flags)?;
        Ok(self.insert(owned))
    }

    fn close(&self, fd: Fd) -> io::Result<()> {
        let mut table = self.table();
        let Some(owned) = table.get_mut(fd.0 as usize).and_then(Option::take) else {
            return Err(err(Errno::EBADF));
        };
        drop(table);
        if Arc::strong_count(&owned) > 1 {
            // A call in progress on another thread holds the OS descriptor,
            // and the kernel holds its file until that call returns. The
            // close must take effect now, as close(2) does: put /dev/null
            // over the OS number, which closes the file's descriptor in
            // the kernel (dropping this process's POSIX locks on it) while
            // the call in progress keeps the file itself. When that call
            // returns, only /dev/null is closed, so POSIX locks taken in
            // between survive; and a POSIX lock call that waited sees its
            // number no longer maps to its file and fails with EBADF (the
            // kernel's close-race check in fcntl_setlk).
            let null =
                rustix::fs::open("/dev/null", OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
            // SAFETY: both numbers are open descriptors of this process;
            // dup3 replaces the second atomically and takes ownership of
            // neither, and `owned` keeps owning its number (now /dev/null).
            let r = unsafe { libc::dup3(null.as_raw_fd(), owned.as_raw_fd(), libc::O_CLOEXEC) };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
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
        let dir = self.open_path(path.as_ref(), OFlags::RDONLY | OFlags::DIRECTORY)?;
        retry(|| rustix::fs::fsync(&dir))
    }

    fn fstat(&self, fd: Fd) -> io::Result<Metadata> {
        let f = self.get(fd)?;
        Ok(Self::metadata(&retry(|| rustix::fs::fstat(f.as_fd()))?))
    }

    fn stat(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        let f = self.open_path(path.as_ref(), OFlags::PATH)?;
        Ok(Self::metadata(&retry(|| rustix::fs::fstat(&f))?))
    }

    fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        let from = self.parent(from.as_ref())?;
        let to = self.parent(to.as_ref())?;
        let (Some((fd, from)), Some((td, to))) = (from, to) else {
            return Err(err(Errno::EBUSY)); // `/` is no name to move.
        };
        retry(|| rustix::fs::renameat(&fd, from.as_str(), &td, to.as_str()))
    }

    fn link(&self, existing: impl AsRef<Path>, new: impl AsRef<Path>) -> io::Result<()> {
        let (existing, new) = (existing.as_ref(), new.as_ref());
        // The kernel looks the existing file up first, whole.
        let whole = self.open_path(existing, OFlags::PATH | OFlags::NOFOLLOW)?;
        let old = match self.parent(existing)? {
            Some((dir, last)) if !matches!(last.trim_end_matches('/'), "." | "..") => (dir, last),
            // A directory (links of which fail): name it by its own `.`,
            // so that no `..` is looked up outside the walk.
            _ => (whole, ".".to_string()),
        };
        let Some((nd, new)) = self.parent(new)? else {
            return Err(err(Errno::EEXIST));
        };
        retry(|| rustix::fs::linkat(&old.0, old.1.as_str(), &nd, new.as_str(), AtFlags::empty()))
    }

    fn unlink(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let Some((dir, last)) = self.parent(path.as_ref())? else {
            return Err(err(Errno::EISDIR));
        };
        retry(|| rustix::fs::unlinkat(&dir, last.as_str(), AtFlags::empty()))
    }

    fn mkdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let Some((dir, last)) = self.parent(path.as_ref())? else {
            return Err(err(Errno::EEXIST));
        };
        retry(|| rustix::fs::mkdirat(&dir, last.as_str(), Mode::from_raw_mode(0o755)))
    }

    fn rmdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        // The kernel itself refuses a last `.` (EINVAL) or `..` (ENOTEMPTY).
        let Some((dir, last)) = self.parent(path.as_ref())? else {
            return Err(err(Errno::EBUSY));
        };
        retry(|| rustix::fs::unlinkat(&dir, last.as_str(), AtFlags::REMOVEDIR))
    }

    fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<Vec<String>> {
        let dir = self.open_path(path.as_ref(), OFlags::RDONLY | OFlags::DIRECTORY)?;
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
            // If another thread closes `fd` while this waits, the kernel's
            // own close-race check (see `close`) undoes the lock: EBADF.
            LockApi::Posix => record_lock(f.as_fd(), false, Some(kind), wait),
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
