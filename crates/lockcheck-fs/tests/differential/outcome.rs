//! What a call returned, in a form both backends can be compared on (and
//! sent over a pipe); running one call; the inode pairing; the final tree.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;

use lockcheck_fs::{Fd, FileKind, Fs, Metadata, errno_of};

use crate::ops::Op;

/// What a call returned.
#[derive(Clone, PartialEq, Eq)]
pub enum Out {
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
            Out::Bytes(b) if b.len() > 64 => {
                let head = &b[..32];
                write!(f, "<{} bytes: b\"{}\"...>", b.len(), head.escape_ascii())
            }
            Out::Bytes(b) => write!(f, "b\"{}\"", b.escape_ascii()),
            Out::Offset(n) => write!(f, "offset {n}"),
            Out::Stat {
                kind,
                nlink,
                size,
                ino,
            } => write!(f, "{kind:?} ino {ino} nlink {nlink} size {size:?}"),
            Out::Names(n) => {
                let shown: Vec<String> = n
                    .iter()
                    .map(|s| format!("{:?}", crate::ops::ShowPath(s)))
                    .collect();
                write!(f, "[{}]", shown.join(", "))
            }
        }
    }
}

impl Out {
    /// The value with the inode number blanked, for exact comparison.
    pub fn without_ino(&self) -> Out {
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

/// A call's result: a value, or the errno's name.
pub type Outcome = Result<Out, String>;

/// Two outcomes are equal but for inode numbers.
pub fn same(a: &Outcome, b: &Outcome) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a.without_ino() == b.without_ino(),
        (Err(a), Err(b)) => a == b,
        _ => false,
    }
}

/// An error as its errno name (or raw number, or kind when it has none).
pub fn error_code(e: &io::Error) -> String {
    match (errno_of(e), e.raw_os_error()) {
        (Some(errno), _) => errno.name().to_string(),
        (None, Some(raw)) => format!("errno {raw}"),
        (None, None) => format!("{:?}: {e}", e.kind()),
    }
}

fn stat_out(m: Metadata) -> Out {
    Out::Stat {
        kind: m.kind,
        nlink: m.nlink,
        size: (m.kind == FileKind::File).then_some(m.size),
        ino: m.ino,
    }
}

/// Runs one call on one backend.
pub fn apply<F: Fs>(fs: &F, op: &Op<Fd>) -> Outcome {
    let result = match op {
        Op::Open(p, o) => fs.open(p, *o).map(|fd| Out::Fd(fd.0)),
        Op::Close(fd) => fs.close(*fd).map(|()| Out::Unit),
        Op::Read(fd, n) => {
            let mut buf = vec![0; *n];
            fs.read(*fd, &mut buf)
                .map(|k| Out::Bytes(buf[..k].to_vec()))
        }
        Op::Write(fd, d) => fs.write(*fd, &d.bytes()).map(Out::Count),
        Op::ReadAt(fd, n, at) => {
            let mut buf = vec![0; *n];
            fs.read_at(*fd, &mut buf, *at)
                .map(|k| Out::Bytes(buf[..k].to_vec()))
        }
        Op::WriteAt(fd, d, at) => fs.write_at(*fd, &d.bytes(), *at).map(Out::Count),
        Op::Seek(fd, pos) => fs.seek(*fd, *pos).map(Out::Offset),
        Op::SetLen(fd, n) => fs.set_len(*fd, *n).map(|()| Out::Unit),
        Op::Fsync(fd) => fs.fsync(*fd).map(|()| Out::Unit),
        Op::FsyncDir(p) => fs.fsync_dir(p).map(|()| Out::Unit),
        Op::Stat(p) => fs.stat(p).map(stat_out),
        Op::Fstat(fd) => fs.fstat(*fd).map(stat_out),
        Op::Rename(a, b) => fs.rename(a, b).map(|()| Out::Unit),
        Op::Link(a, b) => fs.link(a, b).map(|()| Out::Unit),
        Op::Unlink(p) => fs.unlink(p).map(|()| Out::Unit),
        Op::Mkdir(p) => fs.mkdir(p).map(|()| Out::Unit),
        Op::Rmdir(p) => fs.rmdir(p).map(|()| Out::Unit),
        Op::ReadDir(p) => fs.read_dir(p).map(Out::Names),
        Op::Lock(fd, api, kind, wait) => fs.lock(*fd, *api, *kind, *wait).map(|()| Out::Unit),
        Op::Unlock(fd, api) => fs.unlock(*fd, *api).map(|()| Out::Unit),
    };
    result.map_err(|e| error_code(&e))
}

/// `name` in `dir`, where `.` is the root (the empty path names nothing).
fn join(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Every inode a simulated backend can still reach: by a name, or by an
/// open descriptor of one of `procs` (each with its descriptors).
pub fn live_inos<F: Fs>(procs: &[(&F, Vec<Fd>)]) -> HashSet<u64> {
    let mut live = HashSet::new();
    let Some((fs, _)) = procs.first() else {
        return live;
    };
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
    for (fs, fds) in procs {
        live.extend(
            fds.iter()
                .filter_map(|&fd| fs.fstat(fd).ok())
                .map(|m| m.ino),
        );
    }
    live
}

/// The correspondence between real and simulated inode numbers seen so far,
/// which must stay one-to-one. A real file system may give a freed inode's
/// number to a new file, so when a pair conflicts, the pairs whose
/// simulated inode is gone (no name, no descriptor) are dropped first; a
/// pair whose simulated inode still lives is never dropped, so SimFs
/// showing the wrong live inode under a name is still caught.
#[derive(Default)]
pub struct Inos {
    real_to_sim: HashMap<u64, u64>,
    sim_to_real: HashMap<u64, u64>,
}

impl Inos {
    /// Records the pair; false if it contradicts a recorded pair.
    pub fn bind(&mut self, real: u64, sim: u64) -> bool {
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
    pub fn prune(&mut self, sim_live: &HashSet<u64>) {
        self.real_to_sim.retain(|_, s| sim_live.contains(s));
        self.sim_to_real.retain(|s, _| sim_live.contains(s));
    }

    pub fn describe(&self, real: u64, sim: u64) -> String {
        format!(
            "real ino {real} was paired with sim ino {:?}; sim ino {sim} with real ino {:?}",
            self.real_to_sim.get(&real),
            self.sim_to_real.get(&sim)
        )
    }
}

/// A tree: paths to contents (`None` for directories).
pub type Tree = BTreeMap<String, Option<Vec<u8>>>;

/// The tree below a real backend's root.
pub fn real_tree(fs: &impl Fs) -> io::Result<Tree> {
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

/// A tree, one path a line, long contents cut short.
pub fn show_tree(t: &Tree) -> String {
    t.iter()
        .map(|(p, d)| {
            let p = format!("{:?}", crate::ops::ShowPath(p));
            match d {
                None => format!("    {p}/\n"),
                Some(b) => format!("    {p} = {:?}\n", Out::Bytes(b.clone())),
            }
        })
        .collect()
}
