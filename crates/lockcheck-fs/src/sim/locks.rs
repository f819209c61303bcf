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

/// Identifies one granted lock, as a `struct file_lock` does in Linux: a
/// lock that changes kind is a new lock.
pub(crate) type LockId = u64;

/// One granted lock.
#[derive(Debug, Clone, Copy)]
struct Held {
    owner: Owner,
    kind: LockKind,
    id: LockId,
}

/// Whole-file locks of one family, per inode. Each inode's locks are kept
/// in the order of Linux's per-inode list: a new owner's lock goes last,
/// and a lock that changes kind keeps its place.
#[derive(Debug, Default)]
pub(crate) struct Table {
    held: BTreeMap<Ino, Vec<Held>>,
    next_id: LockId,
}

impl Table {
    /// The lock `owner` holds on `ino`, if any.
    pub fn held_by(&self, ino: Ino, owner: Owner) -> Option<LockKind> {
        self.held
            .get(&ino)?
            .iter()
            .find(|h| h.owner == owner)
            .map(|h| h.kind)
    }

    /// Owners other than `owner` whose lock on `ino` conflicts with `kind`,
    /// in list order.
    pub fn blockers(&self, ino: Ino, owner: Owner, kind: LockKind) -> Vec<Owner> {
        self.conflicts(ino, owner, kind).map(|h| h.owner).collect()
    }

    /// The first lock on `ino` in list order that conflicts with `owner`
    /// taking `kind`: the one a Linux waiter is queued on.
    pub fn first_conflict(
        &self,
        ino: Ino,
        owner: Owner,
        kind: LockKind,
    ) -> Option<(Owner, LockId)> {
        self.conflicts(ino, owner, kind)
            .next()
            .map(|h| (h.owner, h.id))
    }

    fn conflicts(&self, ino: Ino, owner: Owner, kind: LockKind) -> impl Iterator<Item = &Held> {
        self.held
            .get(&ino)
            .into_iter()
            .flatten()
            .filter(move |h| h.owner != owner && kind.conflicts_with(h.kind))
    }

    /// Whether the lock `id` on `ino` is still held, unchanged.
    pub fn is_held(&self, ino: Ino, id: LockId) -> bool {
        self.held
            .get(&ino)
            .is_some_and(|locks| locks.iter().any(|h| h.id == id))
    }

    /// Sets (or replaces, in place) `owner`'s lock on `ino`.
    pub fn set(&mut self, ino: Ino, owner: Owner, kind: LockKind) {
        let locks = self.held.entry(ino).or_default();
        let id = self.next_id;
        match locks.iter_mut().find(|h| h.owner == owner) {
            Some(h) if h.kind == kind => return,
            Some(h) => *h = Held { owner, kind, id },
            None => locks.push(Held { owner, kind, id }),
        }
        self.next_id += 1;
    }

    /// Removes `owner`'s lock on `ino`; true if there was one.
    pub fn remove(&mut self, ino: Ino, owner: Owner) -> bool {
        let Some(locks) = self.held.get_mut(&ino) else {
            return false;
        };
        let before = locks.len();
        locks.retain(|h| h.owner != owner);
        let removed = locks.len() != before;
        if locks.is_empty() {
            self.held.remove(&ino);
        }
        removed
    }
}

/// A blocked POSIX or OFD lock request, as Linux's POSIX deadlock
/// detection sees it: which owner waits, and the lock it is queued on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordWait {
    /// The owner of the request.
    pub waiter: Owner,
    pub ino: Ino,
    /// The owner of the lock the request is queued on (the first
    /// conflicting one in list order).
    pub blocker: Owner,
    /// That lock: once it is released or changes kind, Linux wakes the
    /// request and it no longer counts until it is queued again.
    pub lock: LockId,
    /// Queueing order: Linux finds an owner's most recently queued request
    /// first.
    pub seq: u64,
}

/// Both lock tables.
#[derive(Debug, Default)]
pub(crate) struct Locks {
    /// flock(2) locks.
    pub flock: Table,
    /// POSIX fcntl and OFD locks.
    pub record: Table,
    /// The next [`RecordWait::seq`].
    pub next_wait: u64,
}
