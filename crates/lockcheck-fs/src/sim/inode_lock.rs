//! The inode lock that serializes writes: on Linux a `write` or truncate
//! holds its inode's lock for the whole call, so two writes to one file
//! never interleave, while reads take no such lock and can see a write
//! half done. In SimFs only a write that takes several steps (longer than
//! [`crate::SimConfig::torn_write_size`]) holds it across steps; a write
//! or truncate of the same inode by any other thread waits meanwhile, on
//! the condvar like a blocked lock.

use super::state::{State, Who};
use super::tree::Ino;

impl State {
    /// What a write or truncate of `ino` by `who` must wait for: another
    /// thread's multi-step write to it, described for deadlock reports.
    pub fn write_blocker(&self, ino: Ino, who: Who) -> Option<String> {
        let holder = self.writing.get(&ino)?;
        (*holder != who).then(|| {
            format!(
                "the inode lock of inode {ino}, held by p{} during a write of several steps",
                holder.pid
            )
        })
    }

    /// `who` starts a multi-step write of `ino`: it holds the inode lock
    /// until [`State::end_write`].
    pub fn begin_write(&mut self, ino: Ino, who: Who) {
        self.writing.insert(ino, who);
    }

    /// `who`'s multi-step write of `ino` is over: waiting writers go on.
    pub fn end_write(&mut self, ino: Ino, who: Who) {
        if self.writing.get(&ino) == Some(&who) {
            self.writing.remove(&ino);
            self.wake_all();
        }
    }

    /// Drops the inode locks of a process that has ended mid-write.
    pub fn end_writes_of(&mut self, pid: u32) {
        self.writing.retain(|_, w| w.pid != pid);
    }
}
