//! Advisory lock tables: who holds which whole-file lock on which inode.
//!
//! flock locks live in their own table and are owned by open file
//! descriptions. POSIX record locks and OFD locks share one table (as in
//! Linux, they conflict with each other), owned by a process or by an open
//! file description.

use std::collections::BTreeMap;

use super::tree::Ino;
use crate::LockKind;

/// Index of an open file description.
pub(crate) type OfdId = usize;

/// Who owns a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    /// flock and OFD locks: the open file description.
    Ofd(OfdId),
    /// POSIX locks: the process (by pid).
    Process(u32),
}

/// Whole-file locks of one family, per inode.
#[derive(Debug, Default)]
pub(crate) struct Table {
    held: BTreeMap<Ino, Vec<(Owner, LockKind)>>,
}

impl Table {
    /// The lock `owner` holds on `ino`, if any.
    pub fn held_by(&self, ino: Ino, owner: Owner) -> Option<LockKind> {
        self.held
            .get(&ino)?
            .iter()
            .find(|(o, _)| *o == owner)
            .map(|&(_, k)| k)
    }

    /// Owners other than `owner` whose lock on `ino` conflicts with `kind`.
    pub fn blockers(&self, ino: Ino, owner: Owner, kind: LockKind) -> Vec<Owner> {
        let Some(locks) = self.held.get(&ino) else {
            return Vec::new();
        };
        locks
            .iter()
            .filter(|&&(o, k)| o != owner && kind.conflicts_with(k))
            .map(|&(o, _)| o)
            .collect()
    }

    /// Sets (or replaces) `owner`'s lock on `ino`.
    pub fn set(&mut self, ino: Ino, owner: Owner, kind: LockKind) {
        let locks = self.held.entry(ino).or_default();
        match locks.iter_mut().find(|(o, _)| *o == owner) {
            Some(entry) => entry.1 = kind,
            None => locks.push((owner, kind)),
        }
    }

    /// Removes `owner`'s lock on `ino`; true if there was one.
    pub fn remove(&mut self, ino: Ino, owner: Owner) -> bool {
        let Some(locks) = self.held.get_mut(&ino) else {
            return false;
        };
        let before = locks.len();
        locks.retain(|(o, _)| *o != owner);
        let removed = locks.len() != before;
        if locks.is_empty() {
            self.held.remove(&ino);
        }
        removed
    }
}

/// Both lock tables.
#[derive(Debug, Default)]
pub(crate) struct Locks {
    /// flock(2) locks.
    pub flock: Table,
    /// POSIX fcntl and OFD locks.
    pub record: Table,
}
