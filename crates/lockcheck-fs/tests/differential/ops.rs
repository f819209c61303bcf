//! The calls a sequence is made of: who makes each (process and thread),
//! what it is, and how it prints.

use std::fmt;
use std::io::SeekFrom;

use lockcheck_fs::{Fd, LockApi, LockKind, OpenOptions, Wait};

/// The processes of a case; each has [`THREADS`] threads.
pub const PROCESSES: usize = 2;
/// Threads per process.
pub const THREADS: usize = 2;

/// A page: reads and writes longer than this are counted apart.
const PAGE: usize = 4096;

/// Who makes a call: a thread of a process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Actor {
    /// 0 or 1.
    pub process: usize,
    /// 0 or 1: threads of one process share descriptors and POSIX locks.
    pub thread: usize,
}

impl Actor {
    /// Every actor, in a fixed order.
    pub fn all() -> impl Iterator<Item = Actor> {
        (0..PROCESSES).flat_map(|process| (0..THREADS).map(move |thread| Actor { process, thread }))
    }

    /// Position in [`Actor::all`].
    pub fn index(self) -> usize {
        self.process * THREADS + self.thread
    }
}

impl fmt::Debug for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}.T{}", self.process, self.thread)
    }
}

/// Bytes to write: a few given ones, or a long run (above a page) whose
/// bytes follow from its length and seed, so that it prints short.
#[derive(Clone, PartialEq, Eq)]
pub enum Data {
    /// These bytes.
    Short(Vec<u8>),
    /// `len` bytes: `b'a' + (seed + i) % 26` for byte `i`.
    Long { len: usize, seed: u8 },
}

impl Data {
    /// The bytes themselves.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Data::Short(b) => b.clone(),
            Data::Long { len, seed } => (0..*len)
                .map(|i| b'a' + ((*seed as usize + i) % 26) as u8)
                .collect(),
        }
    }
}

impl fmt::Debug for Data {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Short(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Data::Long { len, seed } => write!(f, "<{len} bytes from seed {seed}>"),
        }
    }
}

/// One call; `F` names descriptors: an index into the calling process's
/// list of opened descriptors when generated, the descriptor itself when
/// run (see [`Op::resolve`]).
#[derive(Clone)]
pub enum Op<F> {
    Open(String, OpenOptions),
    Close(F),
    Read(F, usize),
    Write(F, Data),
    ReadAt(F, usize, u64),
    WriteAt(F, Data, u64),
    Seek(F, SeekFrom),
    SetLen(F, u64),
    Fsync(F),
    FsyncDir(String),
    Stat(String),
    Fstat(F),
    Rename(String, String),
    Link(String, String),
    Unlink(String),
    Mkdir(String),
    Rmdir(String),
    ReadDir(String),
    Lock(F, LockApi, LockKind, Wait),
    Unlock(F, LockApi),
}

/// A descriptor named by its index in the list of descriptors `open` has
/// returned so far to the calling process; an index past the end names a
/// descriptor never opened ([`NEVER_OPENED`]). Prints as `#i`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FdIx(pub usize);

impl fmt::Debug for FdIx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for FdIx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The number used for an index past the end of the list.
pub const NEVER_OPENED: Fd = Fd(99);

/// One step of a sequence: who calls what.
#[derive(Clone)]
pub struct Call {
    pub who: Actor,
    pub op: Op<FdIx>,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {:?}", self.who, self.op)
    }
}

impl<F: Copy> Op<F> {
    /// The same call with each descriptor mapped by `f`.
    pub fn map_fd<G>(&self, f: impl Fn(F) -> G) -> Op<G> {
        match self {
            Op::Open(p, o) => Op::Open(p.clone(), *o),
            Op::Close(i) => Op::Close(f(*i)),
            Op::Read(i, n) => Op::Read(f(*i), *n),
            Op::Write(i, d) => Op::Write(f(*i), d.clone()),
            Op::ReadAt(i, n, at) => Op::ReadAt(f(*i), *n, *at),
            Op::WriteAt(i, d, at) => Op::WriteAt(f(*i), d.clone(), *at),
            Op::Seek(i, pos) => Op::Seek(f(*i), *pos),
            Op::SetLen(i, n) => Op::SetLen(f(*i), *n),
            Op::Fsync(i) => Op::Fsync(f(*i)),
            Op::FsyncDir(p) => Op::FsyncDir(p.clone()),
            Op::Stat(p) => Op::Stat(p.clone()),
            Op::Fstat(i) => Op::Fstat(f(*i)),
            Op::Rename(a, b) => Op::Rename(a.clone(), b.clone()),
            Op::Link(a, b) => Op::Link(a.clone(), b.clone()),
            Op::Unlink(p) => Op::Unlink(p.clone()),
            Op::Mkdir(p) => Op::Mkdir(p.clone()),
            Op::Rmdir(p) => Op::Rmdir(p.clone()),
            Op::ReadDir(p) => Op::ReadDir(p.clone()),
            Op::Lock(i, api, kind, wait) => Op::Lock(f(*i), *api, *kind, *wait),
            Op::Unlock(i, api) => Op::Unlock(f(*i), *api),
        }
    }

    /// The call's name, for the coverage table.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Open(..) => "open",
            Op::Close(..) => "close",
            Op::Read(_, n) if *n > PAGE => "read_long",
            Op::Read(..) => "read",
            Op::Write(_, Data::Long { .. }) => "write_long",
            Op::Write(..) => "write",
            Op::ReadAt(_, n, _) if *n > PAGE => "pread_long",
            Op::ReadAt(..) => "pread",
            Op::WriteAt(_, Data::Long { .. }, _) => "pwrite_long",
            Op::WriteAt(..) => "pwrite",
            Op::Seek(..) => "lseek",
            Op::SetLen(..) => "ftruncate",
            Op::Fsync(..) => "fsync",
            Op::FsyncDir(..) => "fsync_dir",
            Op::Stat(..) => "stat",
            Op::Fstat(..) => "fstat",
            Op::Rename(..) => "rename",
            Op::Link(..) => "link",
            Op::Unlink(..) => "unlink",
            Op::Mkdir(..) => "mkdir",
            Op::Rmdir(..) => "rmdir",
            Op::ReadDir(..) => "read_dir",
            Op::Lock(_, LockApi::Flock, _, Wait::NonBlock) => "flock",
            Op::Lock(_, LockApi::Posix, _, Wait::NonBlock) => "posix_lock",
            Op::Lock(_, LockApi::Ofd, _, Wait::NonBlock) => "ofd_lock",
            Op::Lock(_, LockApi::Flock, _, Wait::Block) => "flock_wait",
            Op::Lock(_, LockApi::Posix, _, Wait::Block) => "posix_lockw",
            Op::Lock(_, LockApi::Ofd, _, Wait::Block) => "ofd_lockw",
            Op::Unlock(..) => "unlock",
        }
    }
}

/// A path as it prints: runs of one byte longer than 8 shortened to
/// `c×N`, other bytes escaped.
pub struct ShowPath<'a>(pub &'a str);

impl fmt::Debug for ShowPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.as_bytes();
        f.write_str("\"")?;
        let mut i = 0;
        while i < b.len() {
            let run = b[i..].iter().take_while(|&&c| c == b[i]).count();
            let one = [b[i]].escape_ascii().to_string();
            if run > 8 {
                write!(f, "{one}×{run}")?;
            } else {
                f.write_str(&one.repeat(run))?;
            }
            i += run;
        }
        write!(f, "\"")?;
        if b.len() > 40 {
            write!(f, " ({} bytes)", b.len())?;
        }
        Ok(())
    }
}

impl<F: fmt::Display> fmt::Debug for Op<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = |s: &String| format!("{:?}", ShowPath(s));
        match self {
            Op::Open(s, o) => write!(f, "open({}, {o})", p(s)),
            Op::Close(i) => write!(f, "close({i})"),
            Op::Read(i, n) => write!(f, "read({i}, {n})"),
            Op::Write(i, d) => write!(f, "write({i}, {d:?})"),
            Op::ReadAt(i, n, at) => write!(f, "pread({i}, {n}, {at})"),
            Op::WriteAt(i, d, at) => write!(f, "pwrite({i}, {d:?}, {at})"),
            Op::Seek(i, pos) => write!(f, "lseek({i}, {pos:?})"),
            Op::SetLen(i, n) => write!(f, "ftruncate({i}, {n})"),
            Op::Fsync(i) => write!(f, "fsync({i})"),
            Op::FsyncDir(s) => write!(f, "fsync_dir({})", p(s)),
            Op::Stat(s) => write!(f, "stat({})", p(s)),
            Op::Fstat(i) => write!(f, "fstat({i})"),
            Op::Rename(a, b) => write!(f, "rename({}, {})", p(a), p(b)),
            Op::Link(a, b) => write!(f, "link({}, {})", p(a), p(b)),
            Op::Unlink(s) => write!(f, "unlink({})", p(s)),
            Op::Mkdir(s) => write!(f, "mkdir({})", p(s)),
            Op::Rmdir(s) => write!(f, "rmdir({})", p(s)),
            Op::ReadDir(s) => write!(f, "read_dir({})", p(s)),
            Op::Lock(i, api, kind, wait) => write!(f, "lock({i}, {api:?}, {kind:?}, {wait:?})"),
            Op::Unlock(i, api) => write!(f, "unlock({i}, {api:?})"),
        }
    }
}
