//! Conformance suite: SimFs against the real Linux kernel.
//!
//! Each behaviour is written once, as a function generic over a [`World`],
//! and the [`conformance!`] macro runs it twice: against [`RealFs`] in a
//! fresh temporary directory (the kernel is the reference) and against a
//! fresh [`SimFs`]. A test named `<claim>::real` that passes while
//! `<claim>::sim` fails is a SimFs bug; a failing `::real` means the claim
//! itself is wrong.
//!
//! On the real backend every `World::process()` lives in this one OS
//! process, so POSIX fcntl locks are shared between them (as between
//! threads), while flock and OFD locks, owned by open file descriptions, do
//! contend. Bodies that need two processes to exclude each other's POSIX
//! locks are therefore sim-only (`sim_only`) or use real child processes
//! (`os_processes`).
//!
//! Modules: `names` (inodes, links, rename, directories), `file_io` (open,
//! read, write, seek, descriptors, fsync), `paths` (resolution, bad paths),
//! `locks` (flock, POSIX, OFD), `process_info` (Clock and ProcessInfo), `os_processes` (real OS
//! processes), `sim_only`. Random call sequences compared call by call
//! live in the proptest differential test (`tests/differential/`), which
//! runs two real OS processes with two threads each.

use std::fmt::Debug;
use std::io;
use std::path::Path;

use lockcheck_fs::{
    Errno, Fd, Fs, LockApi, LockKind, OpenOptions, Process, ProcessInfo, RealFs, SimFs, SimProc,
    Wait, errno_of,
};

/// A file system and a way to start processes on it.
pub trait World {
    /// One process's view of the file system.
    type P: Process;
    /// A new process (on the real backend: a new `RealFs` in this OS
    /// process, with its own descriptor table).
    fn process(&self) -> Self::P;
    /// Returns once at least `count` lock requests on the file at `path`
    /// are asleep waiting (on the real backend: as /proc/locks shows; on
    /// SimFs: blocked processes, so give each waiter its own process).
    fn await_waiters(&self, path: &str, count: usize);
    /// Starts a process that exits at once, and returns its pid once it
    /// has exited, without reaping it: it is a zombie.
    fn exit_unreaped(&self) -> u32;
    /// Reaps the exited process `pid` (`waitpid`, as its parent).
    fn reap(&self, pid: u32);
    /// The size `stat` gives a small directory: ext4's 4096, which SimFs
    /// models. `None` where the file system is not ext4 (tmpfs, for one,
    /// counts entries instead): checks of the size are then skipped.
    fn dir_size(&self) -> Option<u64>;
}

/// A fresh temporary directory seen through `RealFs`; removed by
/// [`RealWorld::close`] (or on drop when a test panics).
pub struct RealWorld {
    dir: tempfile::TempDir,
    /// Child processes started by [`World::exit_unreaped`], not yet reaped.
    children: std::sync::Mutex<Vec<std::process::Child>>,
}

impl RealWorld {
    /// A new empty directory under the system's temporary directory.
    pub fn new() -> RealWorld {
        let dir = tempfile::Builder::new()
            .prefix("lockcheck-conformance-")
            .tempdir()
            .expect("create a temporary directory");
        RealWorld {
            dir,
            children: Default::default(),
        }
    }

    /// The host directory behind this world.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Removes the directory, failing the test if that fails.
    pub fn close(self) {
        let path = self.dir.path().to_path_buf();
        self.dir.close().expect("remove the temporary directory");
        assert!(!path.exists(), "{} was not removed", path.display());
    }
}

impl Default for RealWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl World for RealWorld {
    type P = RealFs;
    fn process(&self) -> RealFs {
        RealFs::new(self.dir.path()).expect("open the temporary directory")
    }
    fn await_waiters(&self, path: &str, count: usize) {
        common::wait_for_kernel_waiters(&self.dir.path().join(path), count);
    }

    fn exit_unreaped(&self) -> u32 {
        // This test binary, asked for a test that does not exist, exits at once.
        let child = std::process::Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "lockcheck-no-such-test"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start a child process");
        let pid = child.id();
        self.children.lock().unwrap().push(child);
        // SAFETY: `siginfo_t` is plain data; all-zero is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: waitid writes only to `info`; WNOWAIT leaves the child
            // a zombie, as this function promises.
            let r =
                unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
            if r == 0 {
                return pid;
            }
            let e = io::Error::last_os_error();
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "waitid: {e}");
        }
    }

    fn reap(&self, pid: u32) {
        let mut children = self.children.lock().unwrap();
        let i = children
            .iter()
            .position(|c| c.id() == pid)
            .expect("a child started by exit_unreaped");
        children.remove(i).wait().expect("reap the child");
    }

    fn dir_size(&self) -> Option<u64> {
        const EXT4_SUPER_MAGIC: i64 = 0xEF53;
        let fs = rustix::fs::statfs(self.dir.path()).expect("statfs the temporary directory");
        if fs.f_type as i64 == EXT4_SUPER_MAGIC {
            Some(4096)
        } else {
            eprintln!(
                "note: {} is not on ext4 (f_type {:#x}): directory sizes not checked",
                self.dir.path().display(),
                fs.f_type
            );
            None
        }
    }
}

/// A fresh simulation; each process is a `SimFs::spawn`.
pub struct SimWorld {
    /// The simulation, for sim-only checks.
    pub fs: SimFs,
}

impl SimWorld {
    /// An empty simulated file system with the default configuration.
    pub fn new() -> SimWorld {
        SimWorld { fs: SimFs::new() }
    }

    /// A simulated file system with the given configuration.
    pub fn with_config(config: lockcheck_fs::SimConfig) -> SimWorld {
        SimWorld {
            fs: SimFs::with_config(config),
        }
    }
}

impl Default for SimWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl World for SimWorld {
    type P = SimProc;
    fn process(&self) -> SimProc {
        self.fs.spawn()
    }
    fn await_waiters(&self, _path: &str, count: usize) {
        while self.fs.blocked_pids().len() < count {
            std::thread::yield_now();
        }
    }

    fn exit_unreaped(&self) -> u32 {
        let p = self.fs.spawn();
        let pid = p.pid();
        drop(p);
        pid
    }

    fn reap(&self, pid: u32) {
        self.fs.reap(pid).expect("reap an exited process");
    }

    fn dir_size(&self) -> Option<u64> {
        Some(4096)
    }
}

/// For each generic body `fn name<W: World>(w: &W)` in scope, generates
/// `mod name { #[test] fn real() {..} #[test] fn sim() {..} }`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn real() {
                    let w = $crate::RealWorld::new();
                    super::$name(&w);
                    w.close();
                }

                #[test]
                fn sim() {
                    super::$name(&$crate::SimWorld::new());
                }
            }
        )*
    };
}

#[path = "../common/mod.rs"]
mod common;
mod file_io;
mod locks;
mod names;
mod os_processes;
mod paths;
mod process_info;
mod sim_only;

// ---- helpers shared by the modules ----------------------------------------

/// Asserts that `r` failed with exactly `want`.
#[track_caller]
pub fn assert_errno<T: Debug>(r: io::Result<T>, want: Errno) {
    match r {
        Ok(v) => panic!("expected {want}, got Ok({v:?})"),
        Err(e) => assert_eq!(errno_of(&e), Some(want), "expected {want}, got {e} ({e:?})"),
    }
}

/// `O_RDONLY`.
pub fn ro() -> OpenOptions {
    OpenOptions::new().read(true)
}

/// `O_WRONLY`.
pub fn wo() -> OpenOptions {
    OpenOptions::new().write(true)
}

/// `O_RDWR`.
pub fn rw() -> OpenOptions {
    OpenOptions::new().read(true).write(true)
}

/// `O_RDWR|O_CREAT`.
pub fn rw_create() -> OpenOptions {
    rw().create(true)
}

/// Creates (or replaces the contents of) a file.
#[track_caller]
pub fn put(p: &impl Fs, path: &str, data: &[u8]) {
    p.write_file(path, data)
        .unwrap_or_else(|e| panic!("write_file({path:?}): {e}"));
}

/// Reads a whole file.
#[track_caller]
pub fn get(p: &impl Fs, path: &str) -> Vec<u8> {
    p.read_file(path)
        .unwrap_or_else(|e| panic!("read_file({path:?}): {e}"))
}

/// Opens a file.
#[track_caller]
pub fn open(p: &impl Fs, path: &str, opts: OpenOptions) -> Fd {
    p.open(path, opts)
        .unwrap_or_else(|e| panic!("open({path:?}, {opts}): {e}"))
}

/// Reads the whole file through `fd` with `pread` from offset 0.
#[track_caller]
pub fn pread_all(p: &impl Fs, fd: Fd) -> Vec<u8> {
    let mut buf = vec![0u8; 256];
    let n = p.read_at(fd, &mut buf, 0).expect("pread");
    buf.truncate(n);
    buf
}

/// A non-blocking lock attempt.
pub fn try_lock(p: &impl Fs, fd: Fd, api: LockApi, kind: LockKind) -> io::Result<()> {
    p.lock(fd, api, kind, Wait::NonBlock)
}

/// Asserts that a non-blocking lock attempt meets a conflicting lock.
#[track_caller]
pub fn assert_would_block(p: &impl Fs, fd: Fd, api: LockApi, kind: LockKind) {
    assert_errno(try_lock(p, fd, api, kind), Errno::EWOULDBLOCK);
}

/// Asserts that a non-blocking lock attempt succeeds.
#[track_caller]
pub fn assert_locks(p: &impl Fs, fd: Fd, api: LockApi, kind: LockKind) {
    if let Err(e) = try_lock(p, fd, api, kind) {
        panic!("{api:?} {kind:?} lock on {fd}: expected success, got {e}");
    }
}
