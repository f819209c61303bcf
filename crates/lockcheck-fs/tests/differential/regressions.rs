//! The minimal failures the single-process differential (this test's
//! predecessor) found, whose proptest seeds mean nothing to the new
//! generator: run as fixed sequences of one thread.

use std::io::SeekFrom;

use lockcheck_fs::OpenOptions;

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
