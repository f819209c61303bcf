//! Calls and results as one line of text, for the pipes to and from a
//! child process. Words are separated by spaces; strings and bytes are hex
//! after an `x` (so any byte, NUL included, travels), long data as its
//! length and seed.

use std::io::SeekFrom;

use lockcheck_fs::{Fd, FileKind, LockApi, LockKind, OpenOptions, Wait};

use crate::ops::{Data, Op};
use crate::outcome::{Out, Outcome};

fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(1 + 2 * b.len());
    s.push('x');
    for byte in b {
        s.push_str(&format!("{byte:02x}"));
    }
    s
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.strip_prefix('x').expect("hex starts with x");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digits"))
        .collect()
}

fn text(s: &str) -> String {
    String::from_utf8(unhex(s)).expect("UTF-8 sent")
}

fn num<T: std::str::FromStr>(s: &str) -> T {
    s.parse().unwrap_or_else(|_| panic!("a number, not {s:?}"))
}

fn data(d: &Data) -> String {
    match d {
        Data::Short(b) => hex(b),
        Data::Long { len, seed } => format!("L{len}:{seed}"),
    }
}

fn undata(s: &str) -> Data {
    match s.strip_prefix('L') {
        Some(rest) => {
            let (len, seed) = rest.split_once(':').expect("L<len>:<seed>");
            Data::Long {
                len: num(len),
                seed: num(seed),
            }
        }
        None => Data::Short(unhex(s)),
    }
}

fn api(a: LockApi) -> &'static str {
    match a {
        LockApi::Flock => "flock",
        LockApi::Posix => "posix",
        LockApi::Ofd => "ofd",
    }
}

fn unapi(s: &str) -> LockApi {
    match s {
        "flock" => LockApi::Flock,
        "posix" => LockApi::Posix,
        "ofd" => LockApi::Ofd,
        _ => panic!("lock api {s:?}"),
    }
}

/// One call as a line.
pub fn encode_op(op: &Op<Fd>) -> String {
    let fd = |f: &Fd| f.0.to_string();
    match op {
        Op::Open(p, o) => {
            let flags = [
                o.read,
                o.write,
                o.append,
                o.create,
                o.create_new,
                o.truncate,
            ];
            let bits: String = flags.iter().map(|&b| if b { '1' } else { '0' }).collect();
            format!("open {} {bits}", hex(p.as_bytes()))
        }
        Op::Close(f) => format!("close {}", fd(f)),
        Op::Read(f, n) => format!("read {} {n}", fd(f)),
        Op::Write(f, d) => format!("write {} {}", fd(f), data(d)),
        Op::ReadAt(f, n, at) => format!("pread {} {n} {at}", fd(f)),
        Op::WriteAt(f, d, at) => format!("pwrite {} {} {at}", fd(f), data(d)),
        Op::Seek(f, pos) => match pos {
            SeekFrom::Start(n) => format!("seek {} S {n}", fd(f)),
            SeekFrom::Current(n) => format!("seek {} C {n}", fd(f)),
            SeekFrom::End(n) => format!("seek {} E {n}", fd(f)),
        },
        Op::SetLen(f, n) => format!("setlen {} {n}", fd(f)),
        Op::Fsync(f) => format!("fsync {}", fd(f)),
        Op::FsyncDir(p) => format!("fsyncdir {}", hex(p.as_bytes())),
        Op::Stat(p) => format!("stat {}", hex(p.as_bytes())),
        Op::Fstat(f) => format!("fstat {}", fd(f)),
        Op::Rename(a, b) => format!("rename {} {}", hex(a.as_bytes()), hex(b.as_bytes())),
        Op::Link(a, b) => format!("link {} {}", hex(a.as_bytes()), hex(b.as_bytes())),
        Op::Unlink(p) => format!("unlink {}", hex(p.as_bytes())),
        Op::Mkdir(p) => format!("mkdir {}", hex(p.as_bytes())),
        Op::Rmdir(p) => format!("rmdir {}", hex(p.as_bytes())),
        Op::ReadDir(p) => format!("readdir {}", hex(p.as_bytes())),
        Op::Lock(f, a, kind, wait) => {
            let k = if *kind == LockKind::Shared {
                "sh"
            } else {
                "ex"
            };
            let w = if *wait == Wait::Block { "wait" } else { "nb" };
            format!("lock {} {} {k} {w}", fd(f), api(*a))
        }
        Op::Unlock(f, a) => format!("unlock {} {}", fd(f), api(*a)),
    }
}

/// The call a line encodes (the inverse of [`encode_op`]).
pub fn decode_op(line: &str) -> Op<Fd> {
    let w: Vec<&str> = line.split(' ').collect();
    let fd = |s: &str| Fd(num(s));
    match w[..] {
        ["open", p, bits] => {
            let b: Vec<bool> = bits.chars().map(|c| c == '1').collect();
            let o = OpenOptions {
                read: b[0],
                write: b[1],
                append: b[2],
                create: b[3],
                create_new: b[4],
                truncate: b[5],
            };
            Op::Open(text(p), o)
        }
        ["close", f] => Op::Close(fd(f)),
        ["read", f, n] => Op::Read(fd(f), num(n)),
        ["write", f, d] => Op::Write(fd(f), undata(d)),
        ["pread", f, n, at] => Op::ReadAt(fd(f), num(n), num(at)),
        ["pwrite", f, d, at] => Op::WriteAt(fd(f), undata(d), num(at)),
        ["seek", f, "S", n] => Op::Seek(fd(f), SeekFrom::Start(num(n))),
        ["seek", f, "C", n] => Op::Seek(fd(f), SeekFrom::Current(num(n))),
        ["seek", f, "E", n] => Op::Seek(fd(f), SeekFrom::End(num(n))),
        ["setlen", f, n] => Op::SetLen(fd(f), num(n)),
        ["fsync", f] => Op::Fsync(fd(f)),
        ["fsyncdir", p] => Op::FsyncDir(text(p)),
        ["stat", p] => Op::Stat(text(p)),
        ["fstat", f] => Op::Fstat(fd(f)),
        ["rename", a, b] => Op::Rename(text(a), text(b)),
        ["link", a, b] => Op::Link(text(a), text(b)),
        ["unlink", p] => Op::Unlink(text(p)),
        ["mkdir", p] => Op::Mkdir(text(p)),
        ["rmdir", p] => Op::Rmdir(text(p)),
        ["readdir", p] => Op::ReadDir(text(p)),
        ["lock", f, a, k, w] => {
            let kind = if k == "sh" {
                LockKind::Shared
            } else {
                LockKind::Exclusive
            };
            let wait = if w == "wait" {
                Wait::Block
            } else {
                Wait::NonBlock
            };
            Op::Lock(fd(f), unapi(a), kind, wait)
        }
        ["unlock", f, a] => Op::Unlock(fd(f), unapi(a)),
        _ => panic!("unknown call {line:?}"),
    }
}

/// What the parent keeps of a descriptor just opened (not part of the
/// compared result): its inode, and whether it is a directory.
pub type Opened = Option<(u64, bool)>;

/// A result as a line, with what the parent keeps of a new descriptor.
pub fn encode_outcome(outcome: &Outcome, opened: Opened) -> String {
    match outcome {
        Err(code) => format!("err {}", hex(code.as_bytes())),
        Ok(Out::Unit) => "unit".into(),
        Ok(Out::Fd(n)) => match opened {
            Some((ino, dir)) => format!("fd {n} {ino} {}", if dir { "d" } else { "f" }),
            None => format!("fd {n} - -"),
        },
        Ok(Out::Count(n)) => format!("count {n}"),
        Ok(Out::Bytes(b)) => format!("bytes {}", hex(b)),
        Ok(Out::Offset(n)) => format!("offset {n}"),
        Ok(Out::Stat {
            kind,
            nlink,
            size,
            ino,
        }) => {
            let k = if *kind == FileKind::Dir {
                "dir"
            } else {
                "file"
            };
            let size = size.map_or("-".to_string(), |s| s.to_string());
            format!("stat {k} {nlink} {size} {ino}")
        }
        Ok(Out::Names(names)) => {
            let words: Vec<String> = names.iter().map(|n| hex(n.as_bytes())).collect();
            format!(
                "names{}",
                words.iter().map(|w| format!(" {w}")).collect::<String>()
            )
        }
    }
}

/// The result a line encodes, and what it says of a new descriptor;
/// `None` for a line that is not one.
pub fn decode_outcome(line: &str) -> Option<(Outcome, Opened)> {
    let known = [
        "err", "unit", "fd", "count", "bytes", "offset", "stat", "names",
    ];
    let word = line.split(' ').next()?;
    if !known.contains(&word) || (word != "unit" && word != "names" && !line.contains(' ')) {
        return None;
    }
    Some(decode_known(line))
}

fn decode_known(line: &str) -> (Outcome, Opened) {
    let w: Vec<&str> = line.split(' ').collect();
    let out = match w[..] {
        ["err", code] => return (Err(text(code)), None),
        ["unit"] => Out::Unit,
        ["fd", n, "-", "-"] => return (Ok(Out::Fd(num(n))), None),
        ["fd", n, ino, dir] => return (Ok(Out::Fd(num(n))), Some((num(ino), dir == "d"))),
        ["count", n] => Out::Count(num(n)),
        ["bytes", b] => Out::Bytes(unhex(b)),
        ["offset", n] => Out::Offset(num(n)),
        ["stat", k, nlink, size, ino] => Out::Stat {
            kind: if k == "dir" {
                FileKind::Dir
            } else {
                FileKind::File
            },
            nlink: num(nlink),
            size: (size != "-").then(|| num(size)),
            ino: num(ino),
        },
        ["names", ..] => Out::Names(w[1..].iter().map(|s| text(s)).collect()),
        _ => panic!("unknown result {line:?}"),
    };
    (Ok(out), None)
}
