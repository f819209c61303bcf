//! Taking and dropping advisory locks: one step per attempt; the waiting
//! happens in the process layer. A lock call resolves its descriptor once
//! and holds the open file description to its end, as Linux holds the
//! `struct file`; the attempts work on that description.

use std::io;

use super::locks::OfdId;
use super::locks::{Owner, RecordWait, Table};
use super::state::{OfdRef, State, Who};
use super::tree::Ino;
use crate::errno::{Errno, err};
use crate::{Fd, LockApi, LockKind, Wait};

/// How many owners past the first Linux's POSIX deadlock check follows
/// before it gives up and lets the request sleep (fs/locks.c).
const MAX_DEADLK_ITERATIONS: usize = 10;

/// What one attempt to take a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The lock is held now.
    Taken,
    /// Conflicting holders, described for traces and deadlock reports.
    Conflict(String),
}

impl State {
    /// The inode and owner a lock call on description `id` works with.
    fn lock_target(&self, who: Who, id: OfdId, api: LockApi) -> (Ino, Owner) {
        let ino = self.ofd(id).ino;
        let owner = match api {
            LockApi::Flock | LockApi::Ofd => Owner::Ofd(id),
            LockApi::Posix => Owner::Process(who.pid),
        };
        (ino, owner)
    }

    fn table(&self, api: LockApi) -> &Table {
        match api {
            LockApi::Flock => &self.locks.flock,
            LockApi::Posix | LockApi::Ofd => &self.locks.record,
        }
    }

    fn table_mut(&mut self, api: LockApi) -> &mut Table {
        match api {
            LockApi::Flock => &mut self.locks.flock,
            LockApi::Posix | LockApi::Ofd => &mut self.locks.record,
        }
    }

    /// The first half of a two-step flock conversion
    /// ([`crate::FlockConversion::TwoStep`]): if the descriptor holds an
    /// flock of the other kind, drop it (and wake waiters). Returns true if
    /// it did; the new lock is then taken in later steps, so another
    /// process can get in between, as flock(2) warns.
    pub fn flock_drop_for_conversion(&mut self, who: Who, id: OfdId, kind: LockKind) -> bool {
        let (ino, owner) = self.lock_target(who, id, LockApi::Flock);
        match self.locks.flock.held_by(ino, owner) {
            Some(held) if held != kind => {
                self.locks.flock.remove(ino, owner);
                self.wake_all();
                true
            }
            _ => false,
        }
    }

    /// One attempt to take a lock. POSIX and OFD locks need the descriptor
    /// open for reading (shared) or writing (exclusive). A lock of the
    /// other kind held by the same owner is replaced in this one step when
    /// nothing conflicts. When something does, a POSIX or OFD lock stays
    /// as it was, while an flock is dropped (as Linux's `flock_lock_inode`
    /// drops it before it looks for conflicts): the caller fails or waits
    /// holding nothing.
    pub fn try_lock(
        &mut self,
        who: Who,
        id: OfdId,
        api: LockApi,
        kind: LockKind,
    ) -> io::Result<Attempt> {
        let (ino, owner) = self.lock_target(who, id, api);
        if api != LockApi::Flock {
            let opts = self.ofd(id).opts;
            let allowed = match kind {
                LockKind::Shared => opts.readable(),
                LockKind::Exclusive => opts.writable(),
            };
            if !allowed {
                return Err(err(Errno::EBADF));
            }
        }
        let table = self.table(api);
        if table.held_by(ino, owner) == Some(kind) {
            return Ok(Attempt::Taken);
        }
        let blockers = table.blockers(ino, owner, kind);
        if blockers.is_empty() {
            // A conversion replaces the lock: Linux wakes the requests
            // queued on the old one, to queue again or go ahead.
            let converted = table.held_by(ino, owner).is_some();
            self.table_mut(api).set(ino, owner, kind);
            if converted {
                self.wake_all();
            }
            return Ok(Attempt::Taken);
        }
        if api == LockApi::Flock && self.locks.flock.remove(ino, owner) {
            self.wake_all();
        }
        let names: Vec<String> = blockers.iter().map(|b| self.owner_name(*b)).collect();
        Ok(Attempt::Conflict(format!(
            "{api:?} {kind:?} lock on inode {ino} held by {}",
            names.join(", ")
        )))
    }

    /// One attempt of a lock call: a conflict is `EWOULDBLOCK` when not
    /// waiting, `EDEADLK` when a blocking POSIX request would close a cycle
    /// of waiters (as Linux sees it, see `posix_would_deadlock`),
    /// and otherwise a reason to wait. A record-lock request that waits is
    /// recorded as queued on the first conflicting lock, so that later
    /// requests see it in their cycle check.
    fn lock_attempt(
        &mut self,
        who: Who,
        id: OfdId,
        api: LockApi,
        kind: LockKind,
        wait: Wait,
    ) -> io::Result<Attempt> {
        // Trying again: Linux took the request off its queue when it woke it.
        let queued = self.thread_mut(who).and_then(|t| t.record_wait.take());
        let attempt = match self.try_lock(who, id, api, kind) {
            Ok(Attempt::Conflict(_)) if wait == Wait::NonBlock => Err(err(Errno::EWOULDBLOCK)),
            Ok(Attempt::Conflict(_))
                if api == LockApi::Posix && self.posix_would_deadlock(who, id, kind) =>
            {
                Err(err(Errno::EDEADLK))
            }
            other => other,
        };
        if let (Ok(Attempt::Conflict(_)), LockApi::Posix | LockApi::Ofd) = (&attempt, api) {
            let (ino, waiter) = self.lock_target(who, id, api);
            if let Some((blocker, lock)) = self.locks.record.first_conflict(ino, waiter, kind) {
                // Still queued on the same lock: keep its place.
                let seq = match queued {
                    Some(q) if q.ino == ino && q.lock == lock => q.seq,
                    _ => {
                        self.locks.next_wait += 1;
                        self.locks.next_wait
                    }
                };
                let w = RecordWait {
                    waiter,
                    ino,
                    blocker,
                    lock,
                    seq,
                };
                if let Some(t) = self.thread_mut(who) {
                    t.record_wait = Some(w);
                }
            }
        }
        attempt
    }

    /// One attempt of a lock call on `fd` that holds its description `r`
    /// (see [`State::hold_ofd`]). When the call ends here, taken or
    /// failed, the hold is dropped in this same step: if `fd` was closed
    /// meanwhile and this was the last reference, the description goes
    /// with the flock or OFD lock just taken (success is returned, but no
    /// lock remains); a POSIX lock taken through a descriptor that no
    /// longer names the description is dropped again and the call fails
    /// with `EBADF` (Linux's `fcntl_setlk` close-race check).
    pub fn lock_step(
        &mut self,
        who: Who,
        fd: Fd,
        r: OfdRef,
        api: LockApi,
        kind: LockKind,
        wait: Wait,
    ) -> io::Result<Attempt> {
        let result = match self.lock_attempt(who, r.id, api, kind, wait) {
            Ok(Attempt::Conflict(why)) => return Ok(Attempt::Conflict(why)),
            Ok(Attempt::Taken) if api == LockApi::Posix && !self.fd_names(who, fd, r.id) => {
                let (ino, owner) = self.lock_target(who, r.id, api);
                if self.locks.record.remove(ino, owner) {
                    self.wake_all();
                }
                Err(err(Errno::EBADF))
            }
            other => other,
        };
        self.release_hold(who);
        result
    }

    /// Drops the descriptor's lock of one family.
    pub fn unlock(&mut self, who: Who, fd: Fd, api: LockApi) -> io::Result<()> {
        let (ino, owner) = self.lock_target(who, self.ofd_id(who, fd)?, api);
        if self.table_mut(api).remove(ino, owner) {
            self.wake_all();
        }
        Ok(())
    }

    /// Linux's POSIX deadlock check (`posix_locks_deadlock` in
    /// fs/locks.c), for a blocking POSIX request by `who` on `fd` that
    /// meets a conflict. It follows ONE chain: from the first conflicting
    /// lock in list order, to the lock its owner's request is queued on (the
    /// owner's most recently queued request, if it has several), and so on
    /// for at most [`MAX_DEADLK_ITERATIONS`] + 1 owners; a deadlock is
    /// reported only if the chain comes back to the caller. A cycle through
    /// any other conflicting lock goes unseen and the caller sleeps, as on
    /// Linux. Requests queued behind another waiter are taken as queued on
    /// the lock at the root of their queue.
    fn posix_would_deadlock(&self, who: Who, id: OfdId, kind: LockKind) -> bool {
        let (ino, caller) = self.lock_target(who, id, LockApi::Posix);
        let Some((mut blocker, _)) = self.locks.record.first_conflict(ino, caller, kind) else {
            return false;
        };
        for _ in 0..=MAX_DEADLK_ITERATIONS {
            let Some(next) = self.what_owner_is_waiting_for(blocker) else {
                return false;
            };
            if next == caller {
                return true;
            }
            blocker = next;
        }
        false
    }

    /// The owner of the lock that `owner`'s most recently queued record
    /// request waits on. Only requests queued on a POSIX lock count: Linux
    /// keeps those queued on an OFD lock out of its deadlock table.
    fn what_owner_is_waiting_for(&self, owner: Owner) -> Option<Owner> {
        self.procs
            .values()
            .filter(|p| p.alive())
            .flat_map(|p| p.threads.values())
            .filter_map(|t| t.record_wait)
            .filter(|w| w.waiter == owner && matches!(w.blocker, Owner::Process(_)))
            .filter(|w| self.locks.record.is_held(w.ino, w.lock))
            .max_by_key(|w| w.seq)
            .map(|w| w.blocker)
    }

    fn owner_name(&self, owner: Owner) -> String {
        match owner {
            Owner::Process(pid) => format!("p{pid}"),
            Owner::Ofd(id) => {
                let holder = self.procs.iter().find_map(|(pid, p)| {
                    let fd = p.fds.iter().position(|f| *f == Some(id))?;
                    Some(format!("p{pid} fd{fd}"))
                });
                holder.unwrap_or_else(|| format!("open file {id}"))
            }
        }
    }
}
