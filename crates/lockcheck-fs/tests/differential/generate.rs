//! The proptest strategies: which calls a sequence is made of, and how
//! often each kind comes.

use std::io::SeekFrom;
use std::sync::LazyLock;

use lockcheck_fs::{LockApi, LockKind, OpenOptions, Wait};
use proptest::prelude::*;

use crate::ops::{Actor, Call, Data, FdIx, Op, PROCESSES, THREADS};

/// A name of 255 bytes (the longest Linux allows) and one of 256.
fn long_name(len: usize) -> String {
    "n".repeat(len)
}

/// `prefix` padded with `./` to exactly `len` bytes, then `last`: a path
/// that names `prefix` + `last` but is `len` bytes long (PATH_MAX is 4096
/// with the terminating NUL, so 4095 bytes is the longest allowed).
fn padded(prefix: &str, len: usize, last: &str) -> String {
    let mut s = prefix.to_string();
    while s.len() + last.len() + 2 <= len {
        s.push_str("./");
    }
    if s.len() + last.len() < len {
        s.push('/');
    }
    s.push_str(last);
    assert_eq!(s.len(), len, "padding {prefix:?} to {len} bytes");
    s
}

/// The common paths every call picks from: few enough that calls collide,
/// with parents that may be missing or files, trailing slashes, `.`, `..`
/// and the empty path. Never the root by an ordinary name.
const COMMON: &[&str] = &[
    "a", "a", "a", "b", "b", "d", "d", "d", "d/a", "d/a", "d/b", "d/e", "d/e", "d/e/a", "x", "x/a",
    "a/", "d/", "d/e/", "d/a/", "b/a",
];

/// The unusual paths: dots, empty, slashes, NUL, long names and paths.
static ODD: LazyLock<Vec<String>> = LazyLock::new(|| {
    let mut v: Vec<String> = [
        ".", "..", "", "/", "d/.", "d/..", "./a", "d/../a", "a/.", "a/..", "d/e/../b", "x/..",
        "d//a", "b/", "/d/a", "a/../b", "x/../a", "d/./a", "d/e/..", "d/e/../a", "/../d/a", "a\0b",
        "d/\0", "\0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (n255, n256) = (long_name(255), long_name(256));
    v.extend([
        n255.clone(),
        n256.clone(),
        format!("d/{n255}"),
        format!("d/{n256}"),
        format!("{n255}/"),
        format!("{n255}/a"),
    ]);
    for len in [4095, 4096, 4097] {
        v.push(padded("d/", len, "a"));
        v.push(padded("", len, "a"));
    }
    v
});

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(COMMON).prop_map(str::to_string),
        2 => prop::sample::select(ODD.clone()),
    ]
}

fn fd_ix() -> impl Strategy<Value = FdIx> {
    prop_oneof![8 => 0usize..2, 2 => 2usize..4, 1 => 4usize..8].prop_map(FdIx)
}

/// Bytes to write: mostly a few, sometimes 5 to 70 KiB (more than a page,
/// so that the kernel's page-by-page copy is crossed).
fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        8 => prop::collection::vec(b'a'..=b'e', 0..8).prop_map(Data::Short),
        1 => (5 * 1024usize..70 * 1024, any::<u8>()).prop_map(|(len, seed)| Data::Long { len, seed }),
    ]
}

/// A read length: mostly small, sometimes up to 72 KiB.
fn read_len() -> impl Strategy<Value = usize> {
    prop_oneof![8 => 0usize..12, 1 => 4096usize..72 * 1024]
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

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![3 => Just(Wait::NonBlock), 2 => Just(Wait::Block)]
}

fn op() -> impl Strategy<Value = Op<FdIx>> {
    prop_oneof![
        10 => (path(), open_options()).prop_map(|(p, o)| Op::Open(p, o)),
        4 => fd_ix().prop_map(Op::Close),
        2 => (fd_ix(), read_len()).prop_map(|(i, n)| Op::Read(i, n)),
        3 => (fd_ix(), data()).prop_map(|(i, b)| Op::Write(i, b)),
        1 => (fd_ix(), read_len(), offset()).prop_map(|(i, n, at)| Op::ReadAt(i, n, at)),
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
        16 => (fd_ix(), lock_api(), lock_kind(), wait()).prop_map(|(i, a, k, w)| Op::Lock(i, a, k, w)),
        3 => (fd_ix(), lock_api()).prop_map(|(i, a)| Op::Unlock(i, a)),
    ]
}

fn actor() -> impl Strategy<Value = Actor> {
    (0..PROCESSES, 0..THREADS).prop_map(|(process, thread)| Actor { process, thread })
}

/// A call that builds up state: a directory, or a file opened for reading
/// and writing (so that every lock family can lock it).
fn setup_op() -> impl Strategy<Value = Op<FdIx>> {
    let dirs = prop::sample::select(&["d", "d/e", "x"][..]);
    let files = prop::sample::select(&["a", "a", "a", "b", "b", "d/a", "d/b", "d/e/a", "x/a"][..]);
    let rw = OpenOptions::new().read(true).write(true).create(true);
    prop_oneof![
        1 => dirs.prop_map(|d| Op::Mkdir(d.to_string())),
        4 => files.prop_map(move |p| Op::Open(p.to_string(), rw)),
    ]
}

/// A call of the lock-heavy sequences: mostly locks, on the first
/// descriptors, and the unlocks, closes and opens that wake waiters.
fn lock_op() -> impl Strategy<Value = Op<FdIx>> {
    let fd = (0usize..3).prop_map(FdIx);
    let file = prop::sample::select(&["a", "b"][..]).prop_map(str::to_string);
    let rw = OpenOptions::new().read(true).write(true).create(true);
    // POSIX twice as often: EDEADLK needs each process to hold one.
    let api = prop_oneof![
        1 => Just(LockApi::Flock),
        2 => Just(LockApi::Posix),
        1 => Just(LockApi::Ofd)
    ];
    let blocking = (api, lock_kind()).prop_map(|(a, k)| (a, k, Wait::Block));
    let any_wait = (lock_api(), lock_kind(), wait()).prop_map(|(a, k, w)| (a, k, w));
    prop_oneof![
        6 => (fd.clone(), blocking).prop_map(|(i, (a, k, w))| Op::Lock(i, a, k, w)),
        4 => (fd.clone(), any_wait).prop_map(|(i, (a, k, w))| Op::Lock(i, a, k, w)),
        4 => (fd.clone(), lock_api()).prop_map(|(i, a)| Op::Unlock(i, a)),
        2 => fd.prop_map(Op::Close),
        1 => file.prop_map(move |p| Op::Open(p, rw)),
        1 => op(),
    ]
}

fn with_setup(
    setup: impl Strategy<Value = Op<FdIx>>,
    setup_len: std::ops::Range<usize>,
    rest: impl Strategy<Value = Op<FdIx>>,
) -> impl Strategy<Value = Vec<Call>> {
    let setup = prop::collection::vec((actor(), setup), setup_len);
    let rest = prop::collection::vec((actor(), rest), 1..50);
    (setup, rest).prop_map(|(setup, rest)| {
        setup
            .into_iter()
            .chain(rest)
            .map(|(who, op)| Call { who, op })
            .collect()
    })
}

/// The POSIX-only sequences, where `EDEADLK` comes: each process opens
/// `a` as `#0` and `b` as `#1`; then POSIX locks (mostly blocking) and
/// unlocks on them by any thread.
fn posix_calls() -> impl Strategy<Value = Vec<Call>> {
    let rw = OpenOptions::new().read(true).write(true).create(true);
    let fd = (0usize..2).prop_map(FdIx);
    let lock =
        (fd.clone(), lock_kind(), wait()).prop_map(|(i, k, w)| Op::Lock(i, LockApi::Posix, k, w));
    let blocking =
        (fd.clone(), lock_kind()).prop_map(|(i, k)| Op::Lock(i, LockApi::Posix, k, Wait::Block));
    let unlock = fd.prop_map(|i| Op::Unlock(i, LockApi::Posix));
    let op = prop_oneof![3 => blocking, 2 => lock, 2 => unlock];
    prop::collection::vec((actor(), op), 1..30).prop_map(move |rest| {
        let setup = Actor::all().filter(|a| a.thread == 0).flat_map(|who| {
            ["a", "b"].map(|p| Call {
                who,
                op: Op::Open(p.to_string(), rw),
            })
        });
        setup
            .chain(rest.into_iter().map(|(who, op)| Call { who, op }))
            .collect()
    })
}

/// A sequence: a few setup calls by any actor, then 1 to 49 calls of
/// every kind; or, as often, a lock-heavy one: each process opens `a` and
/// `b`, then mostly lock calls (where waiting and waking come); or, half
/// as often, POSIX locks only (where `EDEADLK` comes).
pub fn calls() -> impl Strategy<Value = Vec<Call>> {
    let rw = OpenOptions::new().read(true).write(true).create(true);
    let open_ab =
        prop::sample::select(&["a", "b"][..]).prop_map(move |p| Op::Open(p.to_string(), rw));
    prop_oneof![
        2 => with_setup(setup_op(), 0..12, op()),
        2 => with_setup(open_ab, 2..8, lock_op()),
        1 => posix_calls(),
    ]
}
