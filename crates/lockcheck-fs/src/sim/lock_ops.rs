//! Taking and dropping advisory locks: one step per attempt; the waiting
//! happens in the process layer.

use std::io;

use super::locks::{Owner, Table};
use super::state::{State, Who};
use super::tree::Ino;
use crate::errno::{Errno, err};
use crate::{Fd, LockApi, LockKind, Wait};

/// What one attempt to take a lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// The lock is held now.
    Taken,
    /// Conflicting holders, described for traces and deadlock reports.
    Conflict(String),
}

impl State {
    /// The table, owner and inode a lock call on `fd` works with.
    fn lock_target(&self, who: Who, fd: Fd, api: LockApi) -> io::Result<(Ino, Owner)> {
        let id = self.ofd_id(who, fd)?;
        let ino = self.ofd(id).ino;
        let owner = match api {
            LockApi::Flock | LockApi::Ofd => Owner::Ofd(id),
            LockApi::Posix => Owner::Process(who.pid),
        };
        Ok((ino, owner))
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
    pub fn flock_drop_for_conversion(
        &mut self,
        who: Who,
        fd: Fd,
        kind: LockKind,
    ) -> io::Result<bool> {
        let (ino, owner) = self.lock_target(who, fd, LockApi::Flock)?;
        match self.locks.flock.held_by(ino, owner) {
            Some(held) if held != kind => {
                self.locks.flock.remove(ino, owner);
                self.wake_all();
                Ok(true)
            }
            _ => Ok(false),
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
        fd: Fd,
        api: LockApi,
        kind: LockKind,
    ) -> io::Result<Attempt> {
        let (ino, owner) = self.lock_target(who, fd, api)?;
        if api != LockApi::Flock {
            let opts = self.ofd(self.ofd_id(who, fd)?).opts;
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
            let downgrade = kind == LockKind::Shared && table.held_by(ino, owner).is_some();
            self.table_mut(api).set(ino, owner, kind);
            if downgrade {
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
    /// of waiters, and otherwise a reason to wait (recorded, for POSIX,
    /// so that other requests see this waiter in their cycle check).
    pub fn lock_attempt(
        &mut self,
        who: Who,
        fd: Fd,
        api: LockApi,
        kind: LockKind,
        wait: Wait,
    ) -> io::Result<Attempt> {
        let attempt = match self.try_lock(who, fd, api, kind) {
            Ok(Attempt::Conflict(_)) if wait == Wait::NonBlock => Err(err(Errno::EWOULDBLOCK)),
            Ok(Attempt::Conflict(_))
                if api == LockApi::Posix && self.posix_would_deadlock(who, fd, kind)? =>
            {
                Err(err(Errno::EDEADLK))
            }
            other => other,
        };
        let waits = match (&attempt, api) {
            (Ok(Attempt::Conflict(_)), LockApi::Posix) => {
                Some((self.lock_target(who, fd, api)?.0, kind))
            }
            _ => None,
        };
        if let Some(t) = self.thread_mut(who) {
            t.posix_wait = waits;
        }
        attempt
    }

    /// Drops the descriptor's lock of one family.
    pub fn unlock(&mut self, who: Who, fd: Fd, api: LockApi) -> io::Result<()> {
        let (ino, owner) = self.lock_target(who, fd, api)?;
        if self.table_mut(api).remove(ino, owner) {
            self.wake_all();
        }
        Ok(())
    }

    /// True when a blocking POSIX lock request by `who` on `fd` would close
    /// a cycle of processes waiting for each other's POSIX locks: Linux
    /// refuses it with `EDEADLK` instead of sleeping.
    pub fn posix_would_deadlock(&self, who: Who, fd: Fd, kind: LockKind) -> io::Result<bool> {
        let (ino, owner) = self.lock_target(who, fd, LockApi::Posix)?;
        let mut seen = Vec::new();
        let mut stack: Vec<Owner> = self.locks.record.blockers(ino, owner, kind);
        while let Some(blocker) = stack.pop() {
            let Owner::Process(pid) = blocker else {
                continue;
            };
            if pid == who.pid {
                return Ok(true);
            }
            if seen.contains(&pid) {
                continue;
            }
            seen.push(pid);
            let threads = self
                .procs
                .get(&pid)
                .into_iter()
                .flat_map(|p| p.threads.values());
            for (wino, wkind) in threads.filter_map(|t| t.posix_wait) {
                stack.extend(self.locks.record.blockers(wino, Owner::Process(pid), wkind));
            }
        }
        Ok(false)
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
