//! The minimal failures the single-process differential (this test's
//! predecessor) found, whose proptest seeds mean nothing to the new
//! generator: run as fixed sequences of one thread.

use std::io::SeekFrom;

use lockcheck_fs::{LockApi, LockKind, OpenOptions, Wait};

use crate::ops::{Actor, Call, Data, FdIx, Op};
use crate::run::check;

fn open(path: &str, opts: OpenOptions) -> Op<FdIx> {
    Op::Open(path.to_string(), opts)
}

#[test]
fn the_single_process_differentials_minimal_failures_agree() {
    let ro = OpenOptions::new();
    let wo = OpenOptions::new().write(true);
    let rw = OpenOptions::new().read(true).write(true);
    let (a, b) = (FdIx(0), FdIx(1));
    let short = |s: &[u8]| Data::Short(s.to_vec());
    let cases: Vec<Vec<Op<FdIx>>> = vec![
        vec![open("d/e/", ro.create(true))],
        vec![open("a", ro.create(true)), Op::ReadAt(a, 0, 1 << 63)],
        vec![Op::ReadAt(a, 0, 1 << 63)],
        vec![
            Op::Mkdir("d".into()),
            open("a", ro.create(true)),
            open("d/a", ro.create_new(true)),
            Op::ReadAt(a, 1, i64::MAX as u64),
        ],
        vec![
            Op::Mkdir("d".into()),
            open("a", wo.create_new(true)),
            open("a", rw.append(true)),
            Op::Seek(b, SeekFrom::Start(1)),
            Op::Write(b, short(b"")),
            Op::Write(a, short(b"a")),
            Op::Read(b, 1),
        ],
        vec![
            open("a", wo.append(true).create(true)),
            Op::Seek(a, SeekFrom::Start(1)),
            Op::Write(a, short(b"")),
            Op::Seek(a, SeekFrom::Current(0)),
        ],
        vec![
            open("d", ro.create(true)),
            Op::Link("d/a".into(), String::new()),
        ],
    ];
    let who = Actor {
        process: 0,
        thread: 0,
    };
    for ops in cases {
        let calls: Vec<Call> = ops.into_iter().map(|op| Call { who, op }).collect();
        if let Err(why) = check(&calls) {
            panic!("{why}");
        }
    }
}

/// One thread waits for an flock through a descriptor another thread
/// then closes; meanwhile the process takes a POSIX lock through another
/// descriptor of the file. When the flock is granted and its call returns,
/// the description goes, and with it the flock, but not the process's
/// POSIX lock: close(2) dropped POSIX locks when it ran, and the end of the
/// call is no close(2). So the other process's POSIX request must wait.
#[test]
fn the_end_of_a_lock_call_on_a_closed_descriptor_leaves_the_processs_posix_locks() {
    let rw = OpenOptions::new().read(true).write(true).create(true);
    let (p0, p1) = (
        Actor::all().next().expect("P0.T0"),
        Actor {
            process: 1,
            thread: 0,
        },
    );
    let p0t1 = Actor {
        process: 0,
        thread: 1,
    };
    let (a, b) = (FdIx(0), FdIx(1));
    let calls = [
        (p0, open("a", rw)),
        (p0, open("a", rw)),
        (p1, open("a", rw)),
        (
            p1,
            Op::Lock(a, LockApi::Flock, LockKind::Shared, Wait::NonBlock),
        ),
        (
            p0,
            Op::Lock(b, LockApi::Flock, LockKind::Exclusive, Wait::Block),
        ),
        (p0t1, Op::Close(b)),
        (
            p0t1,
            Op::Lock(a, LockApi::Posix, LockKind::Shared, Wait::NonBlock),
        ),
        (p1, Op::Close(a)),
        (p1, open("a", rw)),
        (
            p1,
            Op::Lock(b, LockApi::Posix, LockKind::Exclusive, Wait::Block),
        ),
    ];
    let calls: Vec<Call> = calls
        .into_iter()
        .map(|(who, op)| Call { who, op })
        .collect();
    if let Err(why) = check(&calls) {
        panic!("{why}");
    }
}
