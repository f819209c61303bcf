//! Page cache versus disk: which changes survive a power loss.
//!
//! Every change is applied to the page cache (what processes see) at once
//! and appended to a log of pending, not yet durable, [`Op`]s. `fsync` moves
//! ops from the log into the durable tree; a power loss keeps the durable
//! tree plus some of the pending ops, as the [`Profile`] allows.

use std::time::Duration;

use super::tree::{Ino, Op, Tree};
use crate::FileKind;

/// Under [`Profile::Reordering`], how many pending changes crash states
/// choose among (2^63 states); changes after these are kept in every state.
pub const MAX_REORDERED: usize = 63;

/// Which not-yet-durable changes a power loss may keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Changes reach the disk in the order they were made: a crash keeps a
    /// prefix of the pending changes. `fsync` of anything makes everything
    /// before it durable (a fully ordered, journaled file system).
    #[default]
    InOrder,
    /// Adversarial reordering, as in the ALICE study: a crash keeps any
    /// subset of the pending changes (each applied whole, in program order).
    /// `fsync` of a file makes only that file's data durable; `fsync` of a
    /// directory only that directory's entries (creations, removals,
    /// renames in or out). A new file's name is not durable until its
    /// directory is synced, and a rename can reach the disk before the data
    /// it was meant to publish.
    Reordering,
}

/// The durable tree and the log of pending changes.
#[derive(Clone, Debug)]
pub(crate) struct Durable {
    pub tree: Tree,
    pub pending: Vec<(Op, Duration)>,
    pub profile: Profile,
}

impl Durable {
    pub fn new(profile: Profile) -> Durable {
        Durable {
            tree: Tree::new(),
            pending: Vec::new(),
            profile,
        }
    }

    /// Records a change made to the page cache at time `now`.
    pub fn record(&mut self, op: Op, now: Duration) {
        self.pending.push((op, now));
    }

    /// `fsync` of a regular file: its data is on disk even if no name for
    /// it is yet.
    pub fn sync_file(&mut self, ino: Ino, now: Duration) {
        self.tree.ensure(ino, FileKind::File, now);
        self.sync(|op| op.data_ino() == Some(ino));
    }

    /// `fsync` of a directory: its entries are on disk even if no name for
    /// the directory itself is yet.
    pub fn sync_dir(&mut self, dir: Ino, now: Duration) {
        self.tree.ensure(dir, FileKind::Dir, now);
        self.sync(|op| op.touches_dir(dir));
    }

    /// `sync(2)`: every pending change becomes durable, in order.
    pub fn sync_all(&mut self) {
        for (op, at) in self.pending.drain(..) {
            self.tree.apply(&op, at);
        }
    }

    fn sync(&mut self, wanted: impl Fn(&Op) -> bool) {
        match self.profile {
            Profile::InOrder => {
                for (op, at) in self.pending.drain(..) {
                    self.tree.apply(&op, at);
                }
            }
            Profile::Reordering => {
                let mut keep = Vec::with_capacity(self.pending.len());
                for (op, at) in self.pending.drain(..) {
                    if wanted(&op) {
                        self.tree.apply(&op, at);
                    } else {
                        keep.push((op, at));
                    }
                }
                self.pending = keep;
            }
        }
    }

    /// How many crash states [`Durable::crash_state`] numbers. Under
    /// `Reordering` that is every subset of the first [`MAX_REORDERED`]
    /// pending changes (the later ones are then always kept); several
    /// states may be equal.
    pub fn crash_state_count(&self) -> u64 {
        let n = self.pending.len();
        match self.profile {
            Profile::InOrder => n as u64 + 1,
            Profile::Reordering => 1u64 << n.min(MAX_REORDERED),
        }
    }

    /// Crash state number `index` (`0..crash_state_count()`): state 0 is
    /// the durable tree alone, the last one keeps every pending change.
    /// Under `InOrder`, state k keeps the first k changes; under
    /// `Reordering`, bit i of `index` keeps change i, and changes past the
    /// first [`MAX_REORDERED`] are always kept.
    pub fn crash_state(&self, index: u64) -> Option<Tree> {
        if index >= self.crash_state_count() {
            return None;
        }
        let mut tree = self.tree.clone();
        for (i, (op, at)) in self.pending.iter().enumerate() {
            let kept = match self.profile {
                Profile::InOrder => (i as u64) < index,
                Profile::Reordering => i >= MAX_REORDERED || index & (1 << i) != 0,
            };
            if kept {
                tree.apply(op, *at);
            }
        }
        Some(tree)
    }
}
