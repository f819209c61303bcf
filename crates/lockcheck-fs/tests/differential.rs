//! Differential test: random single-process call sequences give the same
//! results on SimFs as on the Linux kernel (RealFs over a temporary
//! directory), step by step, and leave the same tree behind.
//!
//! 2,000 cases by default; with `PROPTEST_CASES` set, proptest's own
//! configuration (which reads it and the other `PROPTEST_*` variables).
//! A failure prints the minimal sequence, the step where the backends part
//! and what each returned; its seed goes to `differential.proptest-regressions`.
//!
//! Compared: every result (descriptor numbers, byte counts, data, offsets,
//! directory listings), errors by errno, `stat` kind, link count, size of
//! files (not of directories) and inode numbers up to a one-to-one renaming;
//! then the whole final tree. Left out, because each file system answers
//! them its own way: `SEEK_END` on a directory (ext4 says `i64::MAX`, tmpfs
//! `EINVAL`) and offsets or lengths near a file system's size limit (ext4
//! stops at 16 TiB with `EINVAL`/`EFBIG`, tmpfs at `i64::MAX`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{self, SeekFrom};
use std::sync::Mutex;

use lockcheck_fs::{
    Fd, FileKind, Fs, LockApi, LockKind, OpenOptions, RealFs, SimConfig, SimFs, Wait, errno_of,
};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestError, TestRunner};

/// Cases run when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 2_000;

/// The paths every call picks from: few enough that calls collide, with
/// parents that may be missing or files, and trailing slashes. Never the
/// root itself.
const PATHS: &[&str] = &[
    "a", "a", "a", "b", "b", "d", "d", "d", "d/a", "d/a", "d/b", "d/e", "d/e", "d/e/a", "x", "x/a",
    "a/", "d/", "d/e/", "d/a/", "b/a", "", ".", "..", "/", "a/..", "d/..", "d/.", "d/e/..",
    "a/../b", "x/../a", "d/./a", "d/e/../a", "/../d/a",
];

/// A descriptor named by its index in the list of descriptors `open` has
/// returned so far; an index past the end names a descriptor never opened.
type FdIx = usize;

/// The number used for an index past the end of the list (never open).
const NEVER_OPENED: Fd = Fd(99);

/// One call of the sequence.
#[derive(Clone)]
enum Op {
    Open(&'static str, OpenOptions),
    Close(FdIx),
    Read(FdIx, usize),
    Write(FdIx, Vec<u8>),
    ReadAt(FdIx, usize, u64),
    WriteAt(FdIx, Vec<u8>, u64),
    Seek(FdIx, SeekFrom),
    SetLen(FdIx, u64),
    Fsync(FdIx),
    FsyncDir(&'static str),
    Stat(&'static str),
    Fstat(FdIx),
    Rename(&'static str, &'static str),
    Link(&'static str, &'static str),
    Unlink(&'static str),
    Mkdir(&'static str),
    Rmdir(&'static str),
    ReadDir(&'static str),
    Lock(FdIx, LockApi, LockKind),
    Unlock(FdIx, LockApi),
}

impl Op {
    /// The call's name, for the coverage table.
    fn name(&self) -> &'static str {
        match self {
            Op::Open(..) => "open",
            Op::Close(..) => "close",
            Op::Read(..) => "read",
            Op::Write(..) => "write",
            Op::ReadAt(..) => "pread",
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
            Op::Lock(_, LockApi::Flock, _) => "flock",
            Op::Lock(_, LockApi::Posix, _) => "posix_lock",
            Op::Lock(_, LockApi::Ofd, _) => "ofd_lock",
            Op::Unlock(..) => "unlock",
        }
    }
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = |b: &[u8]| format!("b\"{}\"", b.escape_ascii());
        match self {
            Op::Open(p, o) => write!(f, "open({p:?}, {o})"),
            Op::Close(i) => write!(f, "close(#{i})"),
            Op::Read(i, n) => write!(f, "read(#{i}, {n})"),
            Op::Write(i, b) => write!(f, "write(#{i}, {})", bytes(b)),
            Op::ReadAt(i, n, at) => write!(f, "pread(#{i}, {n}, {at})"),
            Op::WriteAt(i, b, at) => write!(f, "pwrite(#{i}, {}, {at})", bytes(b)),
            Op::Seek(i, pos) => write!(f, "lseek(#{i}, {pos:?})"),
            Op::SetLen(i, n) => write!(f, "ftruncate(#{i}, {n})"),
            Op::Fsync(i) => write!(f, "fsync(#{i})"),
            Op::FsyncDir(p) => write!(f, "fsync_dir({p:?})"),
            Op::Stat(p) => write!(f, "stat({p:?})"),
            Op::Fstat(i) => write!(f, "fstat(#{i})"),
            Op::Rename(a, b) => write!(f, "rename({a:?}, {b:?})"),
            Op::Link(a, b) => write!(f, "link({a:?}, {b:?})"),
            Op::Unlink(p) => write!(f, "unlink({p:?})"),
            Op::Mkdir(p) => write!(f, "mkdir({p:?})"),
            Op::Rmdir(p) => write!(f, "rmdir({p:?})"),
            Op::ReadDir(p) => write!(f, "read_dir({p:?})"),
            Op::Lock(i, api, kind) => write!(f, "lock(#{i}, {api:?}, {kind:?}, NonBlock)"),
            Op::Unlock(i, api) => write!(f, "unlock(#{i}, {api:?})"),
        }
    }
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(PATHS)
}

fn fd_ix() -> impl Strategy<Value = FdIx> {
    prop_oneof![4 => 0usize..2, 2 => 2usize..4, 1 => 4usize..8]
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(b'a'..=b'e', 0..8)
}

fn open_options() -> impl Strategy<Value = OpenOptions> {
    let flags = (
        prop::bool::weighted(0.5),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.25),
        prop::bool::weighted(0.7),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.25),
    );
    flags.prop_map(
        |(read, write, append, create, create_new, truncate)| OpenOptions {
            read,
            write,
            append,
            create,
            create_new,
            truncate,
        },
    )
}

/// A file offset: mostly small, sometimes one that is negative as an
/// `off_t` or overflows it when a few bytes are added (`EINVAL`). Offsets
/// near a file system's own size limit are left out: what they give
/// depends on the file system (ext4 stops at 16 TiB, tmpfs at `i64::MAX`).
fn offset() -> impl Strategy<Value = u64> {
    const EDGES: [u64; 4] = [1 << 50, i64::MAX as u64, 1 << 63, u64::MAX];
    prop_oneof![12 => 0u64..24, 1 => prop::sample::select(&EDGES[..])]
}

/// An offset to write at: as [`offset`] but never `1 << 50`, where a
/// write gives what the file system decides (`EFBIG` past ext4's 16 TiB,
/// a sparse file on tmpfs).
fn write_offset() -> impl Strategy<Value = u64> {
    offset().prop_map(|at| if at == 1 << 50 { 20 } else { at })
}

/// A length for `ftruncate`: mostly small, sometimes negative as an `off_t`
/// (`EINVAL`). Huge positive lengths are the file system's to judge.
fn length() -> impl Strategy<Value = u64> {
    prop_oneof![12 => 0u64..24, 1 => prop::sample::select(&[1u64 << 63, u64::MAX][..])]
}

fn seek_from() -> impl Strategy<Value = SeekFrom> {
    prop_oneof![
        4 => (0u64..24).prop_map(SeekFrom::Start),
        4 => (-12i64..12).prop_map(SeekFrom::Current),
        4 => (-12i64..12).prop_map(SeekFrom::End),
        1 => prop::sample::select(&[1u64 << 63, u64::MAX][..]).prop_map(SeekFrom::Start),
        1 => Just(SeekFrom::Current(i64::MIN)),
        1 => Just(SeekFrom::End(i64::MIN)),
    ]
}

fn lock_api() -> impl Strategy<Value = LockApi> {
    prop_oneof![
        Just(LockApi::Flock),
        Just(LockApi::Posix),
        Just(LockApi::Ofd)
    ]
}

fn lock_kind() -> impl Strategy<Value = LockKind> {
    prop_oneof![Just(LockKind::Shared), Just(LockKind::Exclusive)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        10 => (path(), open_options()).prop_map(|(p, o)| Op::Open(p, o)),
        3 => fd_ix().prop_map(Op::Close),
        2 => (fd_ix(), 0usize..12).prop_map(|(i, n)| Op::Read(i, n)),
        3 => (fd_ix(), data()).prop_map(|(i, b)| Op::Write(i, b)),
        1 => (fd_ix(), 0usize..12, offset()).prop_map(|(i, n, at)| Op::ReadAt(i, n, at)),
        1 => (fd_ix(), data(), write_offset()).prop_map(|(i, b, at)| Op::WriteAt(i, b, at)),
        2 => (fd_ix(), seek_from()).prop_map(|(i, p)| Op::Seek(i, p)),
        1 => (fd_ix(), length()).prop_map(|(i, n)| Op::SetLen(i, n)),
        1 => fd_ix().prop_map(Op::Fsync),
        1 => path().prop_map(Op::FsyncDir),
        2 => path().prop_map(Op::Stat),
        2 => fd_ix().prop_map(Op::Fstat),
        2 => (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (path(), path()).prop_map(|(a, b)| Op::Link(a, b)),
        2 => path().prop_map(Op::Unlink),
        2 => path().prop_map(Op::Mkdir),
        1 => path().prop_map(Op::Rmdir),
        1 => path().prop_map(Op::ReadDir),
        6 => (fd_ix(), lock_api(), lock_kind()).prop_map(|(i, a, k)| Op::Lock(i, a, k)),
        1 => (fd_ix(), lock_api()).prop_map(|(i, a)| Op::Unlock(i, a)),
    ]
}

/// A call that builds up state: a directory, or a file opened for writing.
/// A sequence starts with a few of these so that the random calls after
/// them find names and descriptors to work on more often.
fn setup_op() -> impl Strategy<Value = Op> {
    let dirs = prop::sample::select(&["d", "d/e", "x"][..]);
    let files = prop::sample::select(&["a", "b", "d/a", "d/b", "d/e/a", "x/a"][..]);
    let rw = OpenOptions::new().write(true).create(true);
    prop_oneof![
        dirs.prop_map(Op::Mkdir),
        (files, any::<bool>()).prop_map(move |(p, read)| Op::Open(p, rw.read(read))),
    ]
}

/// A sequence: a few setup calls, then 1 to 39 calls of every kind.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    let setup = prop::collection::vec(setup_op(), 0..8);
    let rest = prop::collection::vec(op(), 1..40);
    (setup, rest).prop_map(|(mut setup, rest)| {
        setup.extend(rest);
        setup
    })
}

/// What a call returned, in a form both backends can be compared on.
#[derive(Clone, PartialEq, Eq)]
enum Out {
    Unit,
    Fd(u32),
    Count(usize),
    Bytes(Vec<u8>),
    Offset(u64),
    /// `size` only for files: directory sizes differ between file systems.
    /// `ino` is compared up to renaming, through [`Inos`].
    Stat {
        kind: FileKind,
        nlink: u64,
        size: Option<u64>,
        ino: u64,
    },
    Names(Vec<String>),
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Out::Unit => write!(f, "()"),
            Out::Fd(n) => write!(f, "fd{n}"),
            Out::Count(n) => write!(f, "{n}"),
            Out::Bytes(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Out::Offset(n) => write!(f, "offset {n}"),
            Out::Stat {
                kind,
                nlink,
                size,
                ino,
            } => write!(f, "{kind:?} ino {ino} nlink {nlink} size {size:?}"),
            Out::Names(n) => write!(f, "{n:?}"),
        }
    }
}

impl Out {
    /// The value with the inode number blanked, for exact comparison.
    fn without_ino(&self) -> Out {
        match self {
            Out::Stat {
                kind, nlink, size, ..
            } => Out::Stat {
                kind: *kind,
                nlink: *nlink,
                size: *size,
                ino: 0,
            },
            other => other.clone(),
        }
    }
}

/// An error as its errno name (or raw number, or kind when it has none).
fn error_code(e: &io::Error) -> String {
    match (errno_of(e), e.raw_os_error()) {
        (Some(errno), _) => errno.name().to_string(),
        (None, Some(raw)) => format!("errno {raw}"),
        (None, None) => format!("{:?}: {e}", e.kind()),
    }
}

type Outcome = Result<Out, String>;

fn stat_out(m: lockcheck_fs::Metadata) -> Out {
    Out::Stat {
        kind: m.kind,
        nlink: m.nlink,
        size: (m.kind == FileKind::File).then_some(m.size),
        ino: m.ino,
    }
}

/// Runs one call on one backend.
fn apply<F: Fs>(fs: &F, op: &Op, fds: &[Fd]) -> Outcome {
    let fd = |i: FdIx| fds.get(i).copied().unwrap_or(NEVER_OPENED);
    let result = match op {
        Op::Open(p, o) => fs.open(p, *o).map(|fd| Out::Fd(fd.0)),
        Op::Close(i) => fs.close(fd(*i)).map(|()| Out::Unit),
        Op::Read(i, n) => {
            let mut buf = vec![0; *n];
            fs.read(fd(*i), &mut buf)
                .map(|k| Out::Bytes(buf[..k].to_vec()))
        }
        Op::Write(i, b) => fs.write(fd(*i), b).map(Out::Count),
        Op::ReadAt(i, n, at) => {
            let mut buf = vec![0; *n];
            fs.read_at(fd(*i), &mut buf, *at)
                .map(|k| Out::Bytes(buf[..k].to_vec()))
        }
        Op::WriteAt(i, b, at) => fs.write_at(fd(*i), b, *at).map(Out::Count),
        Op::Seek(i, pos) => fs.seek(fd(*i), *pos).map(Out::Offset),
        Op::SetLen(i, n) => fs.set_len(fd(*i), *n).map(|()| Out::Unit),
        Op::Fsync(i) => fs.fsync(fd(*i)).map(|()| Out::Unit),
        Op::FsyncDir(p) => fs.fsync_dir(p).map(|()| Out::Unit),
        Op::Stat(p) => fs.stat(p).map(stat_out),
        Op::Fstat(i) => fs.fstat(fd(*i)).map(stat_out),
        Op::Rename(a, b) => fs.rename(a, b).map(|()| Out::Unit),
        Op::Link(a, b) => fs.link(a, b).map(|()| Out::Unit),
        Op::Unlink(p) => fs.unlink(p).map(|()| Out::Unit),
        Op::Mkdir(p) => fs.mkdir(p).map(|()| Out::Unit),
        Op::Rmdir(p) => fs.rmdir(p).map(|()| Out::Unit),
        Op::ReadDir(p) => fs.read_dir(p).map(Out::Names),
        Op::Lock(i, api, kind) => fs
            .lock(fd(*i), *api, *kind, Wait::NonBlock)
            .map(|()| Out::Unit),
        Op::Unlock(i, api) => fs.unlock(fd(*i), *api).map(|()| Out::Unit),
    };
    result.map_err(|e| error_code(&e))
}

fn join(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Every inode a backend can still reach: by a name, or by an open descriptor.
fn live_inos<F: Fs>(fs: &F, fds: &[Fd]) -> HashSet<u64> {
    let mut live = HashSet::new();
    let mut dirs = vec![".".to_string()];
    while let Some(dir) = dirs.pop() {
        for name in fs.read_dir(&dir).unwrap_or_default() {
            let path = join(&dir, &name);
            if let Ok(m) = fs.stat(&path) {
                live.insert(m.ino);
                if m.kind == FileKind::Dir {
                    dirs.push(path);
                }
            }
        }
    }
    live.extend(
        fds.iter()
            .filter_map(|&fd| fs.fstat(fd).ok())
            .map(|m| m.ino),
    );
    live
}

/// The correspondence between real and simulated inode numbers seen so far,
/// which must stay one-to-one. A real file system may give a freed inode's
/// number to a new file, so when a pair conflicts, the pairs whose
/// simulated inode is gone (no name, no descriptor) are dropped first; a
/// pair whose simulated inode still lives is never dropped, so SimFs
/// showing the wrong live inode under a name is still caught.
#[derive(Default)]
struct Inos {
    real_to_sim: HashMap<u64, u64>,
    sim_to_real: HashMap<u64, u64>,
}

impl Inos {
    /// Records the pair; false if it contradicts a recorded pair.
    fn bind(&mut self, real: u64, sim: u64) -> bool {
        match (self.real_to_sim.get(&real), self.sim_to_real.get(&sim)) {
            (Some(&s), Some(&r)) => s == sim && r == real,
            (None, None) => {
                self.real_to_sim.insert(real, sim);
                self.sim_to_real.insert(sim, real);
                true
            }
            _ => false,
        }
    }

    /// Forgets every pair whose simulated inode no longer lives.
    fn prune(&mut self, sim_live: &HashSet<u64>) {
        self.real_to_sim.retain(|_, s| sim_live.contains(s));
        self.sim_to_real.retain(|s, _| sim_live.contains(s));
    }

    fn describe(&self, real: u64, sim: u64) -> String {
        format!(
            "real ino {real} was paired with sim ino {:?}; sim ino {sim} with real ino {:?}",
            self.real_to_sim.get(&real),
            self.sim_to_real.get(&sim)
        )
    }
}

/// The tree below the root as paths to contents (`None` for directories).
fn real_tree(fs: &RealFs) -> io::Result<BTreeMap<String, Option<Vec<u8>>>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![".".to_string()];
    while let Some(dir) = dirs.pop() {
        for name in fs.read_dir(&dir)? {
            let path = join(&dir, &name);
            if fs.stat(&path)?.kind == FileKind::Dir {
                out.insert(path.clone(), None);
                dirs.push(path);
            } else {
                out.insert(path.clone(), Some(fs.read_file(&path)?));
            }
        }
    }
    Ok(out)
}

/// How often each call gave each outcome, over the whole run.
static COVERAGE: Mutex<BTreeMap<(&'static str, String), u64>> = Mutex::new(BTreeMap::new());

fn record(op: &Op, outcome: &Outcome) {
    let what = match outcome {
        Ok(_) => "ok".to_string(),
        Err(code) => code.clone(),
    };
    let mut cov = COVERAGE.lock().unwrap_or_else(|p| p.into_inner());
    *cov.entry((op.name(), what)).or_default() += 1;
}

/// The sequence with step numbers, marking step `at`.
fn listing(ops: &[Op], at: Option<usize>) -> String {
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let mark = if Some(i) == at { "   <-- diverges" } else { "" };
            format!("  {i:2}: {op:?}{mark}\n")
        })
        .collect()
}

/// Runs `ops` on both backends; `Err` describes the first divergence.
fn check(ops: &[Op]) -> Result<(), String> {
    let dir = tempfile::TempDir::new().map_err(|e| format!("temp dir: {e}"))?;
    let real = RealFs::new(dir.path()).map_err(|e| format!("RealFs::new: {e}"))?;
    let sim: SimFs = SimFs::with_config(SimConfig {
        trace: false,
        ..SimConfig::default()
    });
    let proc = sim.spawn();
    let mut fds: Vec<Fd> = Vec::new();
    let mut inos = Inos::default();
    let diverged = |i: usize, what: String| {
        format!(
            "SimFs and RealFs diverge at step {i}: {:?}\n{what}\nsequence:\n{}",
            ops[i],
            listing(ops, Some(i))
        )
    };

    for (i, op) in ops.iter().enumerate() {
        // A directory's SEEK_END is each file system's own (ext4 gives
        // i64::MAX, tmpfs EINVAL), and a huge offset then changes what a
        // read of the directory fails with: such a seek is left out.
        if let Op::Seek(i, SeekFrom::End(_)) = op {
            let is_dir = |fd: &Fd| real.fstat(*fd).is_ok_and(|m| m.kind == FileKind::Dir);
            if fds.get(*i).is_some_and(is_dir) {
                continue;
            }
        }
        let r = apply(&real, op, &fds);
        let s = apply(&proc, op, &fds);
        record(op, &r);
        let same = match (&r, &s) {
            (Ok(a), Ok(b)) => a.without_ino() == b.without_ino(),
            (Err(a), Err(b)) => a == b,
            _ => false,
        };
        if !same {
            return Err(diverged(i, format!("  real: {r:?}\n  sim:  {s:?}")));
        }
        match (r, s) {
            (Ok(Out::Fd(n)), _) => fds.push(Fd(n)),
            (Ok(Out::Stat { ino: ri, .. }), Ok(Out::Stat { ino: si, .. }))
                if !inos.bind(ri, si) =>
            {
                inos.prune(&live_inos(&proc, &fds));
                if !inos.bind(ri, si) {
                    let why = inos.describe(ri, si);
                    return Err(diverged(i, format!("  inode numbers disagree: {why}")));
                }
            }
            _ => {}
        }
    }

    let real_tree = real_tree(&real).map_err(|e| format!("walking the real tree: {e}"))?;
    let sim_tree = sim.snapshot();
    if &real_tree != sim_tree.entries() {
        let show = |t: &BTreeMap<String, Option<Vec<u8>>>| -> String {
            t.iter()
                .map(|(p, d)| match d {
                    None => format!("    {p}/\n"),
                    Some(b) => format!("    {p} = b\"{}\"\n", b.escape_ascii()),
                })
                .collect()
        };
        return Err(format!(
            "the final trees differ\n  real:\n{}  sim:\n{}sequence:\n{}",
            show(&real_tree),
            show(sim_tree.entries()),
            listing(ops, None)
        ));
    }
    Ok(())
}

/// Removes calls one at a time while the sequence still fails, since
/// proptest shrinks the setup calls and the rest separately.
fn minimize(mut ops: Vec<Op>) -> Vec<Op> {
    let mut i = 0;
    while i < ops.len() {
        let mut shorter = ops.clone();
        shorter.remove(i);
        if !shorter.is_empty() && check(&shorter).is_err() {
            ops = shorter;
        } else {
            i += 1;
        }
    }
    ops
}

fn config() -> ProptestConfig {
    let mut config = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(DEFAULT_CASES)
    };
    config.source_file = Some(file!());
    if config.failure_persistence.is_some() {
        // tests/differential.proptest-regressions, next to this file.
        let beside = FileFailurePersistence::WithSource("proptest-regressions");
        config.failure_persistence = Some(Box::new(beside));
    }
    config
}

#[test]
fn simfs_gives_the_linux_kernels_results_for_random_single_process_call_sequences() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&ops(), |ops| check(&ops).map_err(TestCaseError::fail));

    {
        let coverage = COVERAGE.lock().unwrap_or_else(|p| p.into_inner());
        eprintln!("outcomes seen (call, result: count):");
        for ((call, what), n) in coverage.iter() {
            eprintln!("  {call:<10} {what:<12} {n}");
        }
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(_, ops)) => {
            let ops = minimize(ops);
            let why = check(&ops).err().unwrap_or_default();
            panic!("minimal failing sequence {ops:?}\n{why}")
        }
        Err(TestError::Abort(why)) => panic!("proptest aborted: {why}"),
    }
}
