//! Inodes and names: the namespace and file contents, and the operations
//! that change them. The page cache and the durable state are both a
//! [`Tree`]; every change is an [`Op`] applied to the cache at once and to
//! the durable tree when it becomes durable.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::FileKind;

/// Inode number.
pub(crate) type Ino = u64;
/// The root directory's inode.
pub(crate) const ROOT: Ino = 1;

/// What an inode holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    File(Vec<u8>),
    Dir(BTreeMap<String, Ino>),
}

/// One inode. `nlink` counts names of a file (directories compute theirs);
/// `open` counts open file descriptions, which keep an unlinked file alive.
#[derive(Clone, Debug)]
pub(crate) struct Inode {
    pub node: Node,
    pub nlink: u64,
    pub open: u32,
    pub mtime: Duration,
}

impl Inode {
    fn new(kind: FileKind, now: Duration) -> Inode {
        let node = match kind {
            FileKind::File => Node::File(Vec::new()),
            FileKind::Dir => Node::Dir(BTreeMap::new()),
        };
        Inode {
            node,
            nlink: 0,
            open: 0,
            mtime: now,
        }
    }

    pub fn kind(&self) -> FileKind {
        match self.node {
            Node::File(_) => FileKind::File,
            Node::Dir(_) => FileKind::Dir,
        }
    }
}

/// A change to the namespace or to file contents: the unit of durability.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// A new name `dir/name` for `ino`; `new` creates the inode (create, mkdir).
    Link {
        dir: Ino,
        name: String,
        ino: Ino,
        new: Option<FileKind>,
    },
    /// Removes the name `dir/name` (unlink, rmdir).
    Unlink { dir: Ino, name: String },
    /// Moves `ino` (a file or directory, as `kind` says) from one name to
    /// another, replacing the target.
    Rename {
        from_dir: Ino,
        from_name: String,
        to_dir: Ino,
        to_name: String,
        ino: Ino,
        kind: FileKind,
    },
    /// Writes `data` at `offset`, zero-filling any hole.
    Write {
        ino: Ino,
        offset: u64,
        data: Vec<u8>,
    },
    /// Truncates or extends to `len`.
    SetLen { ino: Ino, len: u64 },
}

impl Op {
    /// The inode whose data this op changes, for data ops.
    pub fn data_ino(&self) -> Option<Ino> {
        match self {
            Op::Write { ino, .. } | Op::SetLen { ino, .. } => Some(*ino),
            _ => None,
        }
    }

    /// True when this op changes the entries of directory `d`.
    pub fn touches_dir(&self, d: Ino) -> bool {
        match self {
            Op::Link { dir, .. } | Op::Unlink { dir, .. } => *dir == d,
            Op::Rename {
                from_dir, to_dir, ..
            } => *from_dir == d || *to_dir == d,
            _ => false,
        }
    }
}

/// A set of inodes reachable from [`ROOT`].
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    pub inodes: BTreeMap<Ino, Inode>,
}

impl Tree {
    /// An empty root directory.
    pub fn new() -> Tree {
        let mut inodes = BTreeMap::new();
        inodes.insert(ROOT, Inode::new(FileKind::Dir, Duration::ZERO));
        Tree { inodes }
    }

    pub fn get(&self, ino: Ino) -> Option<&Inode> {
        self.inodes.get(&ino)
    }

    pub fn get_mut(&mut self, ino: Ino) -> Option<&mut Inode> {
        self.inodes.get_mut(&ino)
    }

    /// The entries of a directory inode, if it is one.
    pub fn entries(&self, dir: Ino) -> Option<&BTreeMap<String, Ino>> {
        match &self.inodes.get(&dir)?.node {
            Node::Dir(e) => Some(e),
            Node::File(_) => None,
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> Option<&mut BTreeMap<String, Ino>> {
        match &mut self.inodes.get_mut(&dir)?.node {
            Node::Dir(e) => Some(e),
            Node::File(_) => None,
        }
    }

    /// Link count as `stat` reports it: names of a file; 2 plus
    /// subdirectories for a directory (0 once removed).
    pub fn nlink(&self, ino: Ino) -> u64 {
        let Some(inode) = self.inodes.get(&ino) else {
            return 0;
        };
        match &inode.node {
            Node::File(_) => inode.nlink,
            Node::Dir(entries) if inode.nlink > 0 || ino == ROOT => {
                let subdirs = entries
                    .values()
                    .filter(|i| matches!(self.inodes.get(i).map(|n| &n.node), Some(Node::Dir(_))))
                    .count();
                2 + subdirs as u64
            }
            Node::Dir(_) => 0,
        }
    }

    /// Drops an inode that has no name and no open description left.
    pub fn release_if_orphan(&mut self, ino: Ino) {
        if ino != ROOT
            && self
                .inodes
                .get(&ino)
                .is_some_and(|i| i.nlink == 0 && i.open == 0)
        {
            self.inodes.remove(&ino);
        }
    }

    /// Makes sure `ino` exists, without a name if it is new: an fsynced
    /// file's data, or an fsynced directory's entries, are on disk even
    /// before any name for them is.
    pub fn ensure(&mut self, ino: Ino, kind: FileKind, now: Duration) {
        self.inodes
            .entry(ino)
            .or_insert_with(|| Inode::new(kind, now));
    }

    /// Removes one name of `ino`.
    fn drop_name(&mut self, ino: Ino) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.nlink = inode.nlink.saturating_sub(1);
        }
        self.release_if_orphan(ino);
    }

    /// Adds `dir/name -> ino`, replacing (and dropping a name of) whatever
    /// was there. A missing `ino` becomes an empty inode of `kind`: in the
    /// durable tree the op that created it may not have been persisted.
    fn put_name(&mut self, dir: Ino, name: &str, ino: Ino, kind: FileKind, now: Duration) {
        if !matches!(self.inodes.get(&dir).map(|i| &i.node), Some(Node::Dir(_))) {
            return; // The directory itself was never persisted: unreachable.
        }
        let inode = self
            .inodes
            .entry(ino)
            .or_insert_with(|| Inode::new(kind, now));
        inode.nlink += 1;
        let old = self
            .entries_mut(dir)
            .and_then(|e| e.insert(name.to_string(), ino));
        if let Some(old) = old.filter(|&o| o != ino) {
            self.drop_name(old);
        } else if old == Some(ino) {
            self.drop_name(ino); // Same name re-put: keep the count.
        }
        if let Some(d) = self.inodes.get_mut(&dir) {
            d.mtime = now;
        }
    }

    /// Removes `dir/name` if it names `only` (any inode when `None`).
    fn take_name(&mut self, dir: Ino, name: &str, only: Option<Ino>, now: Duration) {
        let Some(entries) = self.entries_mut(dir) else {
            return;
        };
        match entries.get(name) {
            Some(&ino) if only.is_none_or(|o| o == ino) => {
                entries.remove(name);
                self.drop_name(ino);
                if let Some(d) = self.inodes.get_mut(&dir) {
                    d.mtime = now;
                }
            }
            _ => {}
        }
    }

    /// Applies a change. The cache applies only ops it has validated; the
    /// durable tree may receive a subset of them (a crash state) and applies
    /// each leniently: a name for a never-persisted inode is an empty file,
    /// data for an inode that does not exist is dropped.
    pub fn apply(&mut self, op: &Op, now: Duration) {
        match op {
            Op::Link {
                dir,
                name,
                ino,
                new,
            } => {
                let kind = new.unwrap_or(FileKind::File); // Hard links are files.
                self.put_name(*dir, name, *ino, kind, now);
            }
            Op::Unlink { dir, name } => self.take_name(*dir, name, None, now),
            Op::Rename {
                from_dir,
                from_name,
                to_dir,
                to_name,
                ino,
                kind,
            } => {
                if from_dir == to_dir && from_name == to_name {
                    return;
                }
                self.put_name(*to_dir, to_name, *ino, *kind, now);
                self.take_name(*from_dir, from_name, Some(*ino), now);
            }
            Op::Write { ino, offset, data } => {
                if let Some((bytes, mtime)) = self.file_mut(*ino) {
                    let start = *offset as usize;
                    let end = start + data.len();
                    if bytes.len() < end {
                        bytes.resize(end, 0);
                    }
                    bytes[start..end].copy_from_slice(data);
                    *mtime = now;
                }
            }
            Op::SetLen { ino, len } => {
                if let Some((bytes, mtime)) = self.file_mut(*ino) {
                    bytes.resize(*len as usize, 0);
                    *mtime = now;
                }
            }
        }
    }

    /// The contents and mtime of a regular file.
    fn file_mut(&mut self, ino: Ino) -> Option<(&mut Vec<u8>, &mut Duration)> {
        let inode = self.inodes.get_mut(&ino)?;
        match &mut inode.node {
            Node::File(bytes) => Some((bytes, &mut inode.mtime)),
            Node::Dir(_) => None,
        }
    }

    /// Drops every inode not reachable from the root: after a power loss
    /// nothing is open, so a nameless inode (an unlinked file that was
    /// still open, an fsynced file whose name never became durable) is gone.
    pub fn retain_reachable(&mut self) {
        let mut reachable = std::collections::HashSet::from([ROOT]);
        let mut stack = vec![ROOT];
        while let Some(dir) = stack.pop() {
            for &ino in self.entries(dir).into_iter().flat_map(|e| e.values()) {
                if reachable.insert(ino) {
                    stack.push(ino);
                }
            }
        }
        self.inodes.retain(|ino, _| reachable.contains(ino));
    }

    /// The reachable tree as paths: directories map to `None`, files to
    /// their contents. Paths are relative, `/`-separated, sorted.
    pub fn listing(&self) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![(String::new(), ROOT)];
        while let Some((prefix, dir)) = stack.pop() {
            for (name, &ino) in self.entries(dir).into_iter().flatten() {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}/{name}")
                };
                match self.inodes.get(&ino).map(|i| &i.node) {
                    Some(Node::File(data)) => {
                        out.insert(path, Some(data.clone()));
                    }
                    Some(Node::Dir(_)) => {
                        out.insert(path.clone(), None);
                        stack.push((path, ino));
                    }
                    None => {}
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retain_reachable_drops_nameless_inodes_and_keeps_the_tree() {
        let now = Duration::ZERO;
        let mut t = Tree::new();
        let file = |ino, name: &str| Op::Link {
            dir: ROOT,
            name: name.into(),
            ino,
            new: Some(FileKind::File),
        };
        t.apply(&file(2, "kept"), now);
        t.apply(
            &Op::Link {
                dir: ROOT,
                name: "d".into(),
                ino: 3,
                new: Some(FileKind::Dir),
            },
            now,
        );
        t.apply(
            &Op::Link {
                dir: 3,
                name: "inner".into(),
                ino: 4,
                new: Some(FileKind::File),
            },
            now,
        );
        t.ensure(5, FileKind::File, now); // fsynced data, no durable name
        t.apply(
            &Op::Write {
                ino: 5,
                offset: 0,
                data: b"orphan".to_vec(),
            },
            now,
        );
        assert_eq!(t.inodes.len(), 5);
        let before = t.listing();
        t.retain_reachable();
        assert_eq!(t.inodes.len(), 4);
        assert!(t.get(5).is_none());
        assert_eq!(t.listing(), before);
    }
}
