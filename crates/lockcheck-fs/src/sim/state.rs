//! The whole simulated world behind one mutex: trees, open file
//! descriptions, processes, locks, the virtual clock and the trace.

use std::collections::BTreeMap;
use std::io;
use std::time::Duration;

use super::durable::{Durable, Profile};
use super::locks::{Locks, OfdId};
use super::trace::TraceEvent;
use super::tree::{Ino, Node, Op, ROOT, Tree};
use crate::errno::{Errno, err};
use crate::path::{Components, Last, check_name};
use crate::{Fd, FileKind, OpenOptions};

/// The size `stat` reports for a directory: ext4's block size.
pub(crate) const DIR_SIZE: u64 = 4096;

/// The lowest descriptor a process gets (0, 1 and 2 are stdio).
pub(crate) const FIRST_FD: usize = 3;

/// An open file description: what `open` creates and descriptors point to.
#[derive(Debug, Clone)]
pub(crate) struct Ofd {
    pub ino: Ino,
    pub offset: u64,
    pub opts: OpenOptions,
    /// References (the `struct file` count): the descriptor, plus each
    /// lock call in progress on it. It is released, with its flock and
    /// OFD locks, when the last goes.
    refs: u32,
    /// Tells this description from a later one with the same index.
    serial: u64,
}

/// A reference to an open file description held by a call in progress
/// (see [`State::hold_ofd`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OfdRef {
    pub id: OfdId,
    serial: u64,
}

/// Where a thread is, as far as the clock and deadlock detection care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Running or runnable (includes a waiter that was just woken).
    Running,
    /// Waiting for a lock (`None`) or for the clock to reach a time.
    Waiting(Option<Duration>),
}

/// Whether a process is alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Life {
    Alive,
    /// Exited normally (its last handle was dropped) and not reaped yet: a
    /// zombie, which still answers `kill(pid, 0)`.
    Exited,
    /// Exited and reaped by its parent ([`super::SimFs::reap`]).
    Reaped,
    /// Killed (SIGKILL) and reaped at once, or lost in a power failure.
    Crashed,
}

/// One thread of a simulated process (one [`super::SimProc`] handle).
#[derive(Debug)]
pub(crate) struct ThreadState {
    pub status: Status,
    /// What a waiting thread waits for, for deadlock reports.
    pub waiting_for: Option<String>,
    /// The record lock request a thread is blocked in, for EDEADLK
    /// detection.
    pub record_wait: Option<super::locks::RecordWait>,
    /// The open file description a call of this thread holds (see
    /// [`State::hold_ofd`]).
    hold: Option<OfdRef>,
    /// Asleep on the condvar: a second call through the same handle now
    /// means two threads share it, which SimFs cannot track.
    pub parked: bool,
}

impl ThreadState {
    fn new() -> ThreadState {
        ThreadState {
            status: Status::Running,
            waiting_for: None,
            record_wait: None,
            hold: None,
            parked: false,
        }
    }
}

/// One simulated process.
#[derive(Debug)]
pub(crate) struct ProcState {
    /// Distinguishes a reused pid's new process from the dead one.
    pub generation: u64,
    pub life: Life,
    /// Its threads, by thread id; the process exits when the last goes.
    pub threads: BTreeMap<u32, ThreadState>,
    next_tid: u32,
    /// Descriptor table: index is the fd number.
    pub fds: Vec<Option<OfdId>>,
    /// SIGSTOP until this virtual time.
    pub paused_until: Duration,
    /// Added to the global clock by this process's `now`.
    pub skew_nanos: i128,
}

impl ProcState {
    /// Running: it has neither exited nor crashed.
    pub fn alive(&self) -> bool {
        self.life == Life::Alive
    }

    /// What `kill(pid, 0)` says: true until the process is reaped, so a
    /// zombie (exited, not reaped) still counts.
    pub fn answers_kill(&self) -> bool {
        matches!(self.life, Life::Alive | Life::Exited)
    }
}

/// The caller of a step: a pid, the generation it was spawned with (a
/// reused pid is a new generation) and the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Who {
    pub pid: u32,
    pub generation: u64,
    pub tid: u32,
}

/// Everything SimFs knows.
#[derive(Debug)]
pub(crate) struct State {
    pub cache: Tree,
    pub durable: Durable,
    pub ofds: Vec<Option<Ofd>>,
    free_ofds: Vec<OfdId>,
    pub procs: BTreeMap<u32, ProcState>,
    next_pid: u32,
    next_generation: u64,
    next_ino: Ino,
    next_ofd_serial: u64,
    pub locks: Locks,
    /// `RLIMIT_NOFILE`: descriptors are numbered below it.
    pub nofile_limit: usize,
    /// Exited processes are reaped at once ([`super::SimConfig::reap_on_exit`]).
    pub reap_on_exit: bool,
    /// The inodes a multi-step write is under way on, and its writer
    /// (see `inode_lock.rs`).
    pub writing: BTreeMap<Ino, Who>,
    /// Virtual time since the simulation's start.
    pub clock: Duration,
    /// Atomic steps taken so far.
    pub steps: u64,
    pub trace: Vec<TraceEvent>,
    /// Set once every live process is blocked with nothing to wake it.
    pub deadlock: Option<String>,
    /// A step released a lock, ended a process or moved the clock:
    /// waiters must look again.
    pub notify: bool,
    /// Threads inside a condvar wait: with none, a step skips the notify
    /// (a futex call per step otherwise).
    pub waiters: u32,
    /// Called after every step (see [`super::SimFs::observe`]).
    pub observer: Option<super::observe::Observer>,
}

impl State {
    pub fn new(profile: Profile) -> State {
        State {
            durable: Durable::new(profile),
            cache: Tree::new(),
            ofds: Vec::new(),
            free_ofds: Vec::new(),
            procs: BTreeMap::new(),
            next_pid: 100,
            next_generation: 0,
            next_ino: ROOT + 1,
            next_ofd_serial: 0,
            locks: Locks::default(),
            nofile_limit: 1024,
            reap_on_exit: false,
            writing: BTreeMap::new(),
            clock: Duration::ZERO,
            steps: 0,
            trace: Vec::new(),
            deadlock: None,
            notify: false,
            waiters: 0,
            observer: None,
        }
    }

    // ---- processes -------------------------------------------------------

    /// Registers a new process with the next unused pid, or with `pid` when
    /// given (`EEXIST` if a process that is not yet reaped has it).
    pub fn spawn(&mut self, pid: Option<u32>) -> io::Result<Who> {
        let pid = match pid {
            Some(p) if self.procs.get(&p).is_some_and(ProcState::answers_kill) => {
                return Err(err(Errno::EEXIST));
            }
            Some(p) => p,
            None => {
                while self.procs.contains_key(&self.next_pid) {
                    self.next_pid += 1;
                }
                self.next_pid
            }
        };
        self.next_generation += 1;
        let generation = self.next_generation;
        let proc = ProcState {
            generation,
            life: Life::Alive,
            threads: BTreeMap::from([(0, ThreadState::new())]),
            next_tid: 1,
            fds: Vec::new(),
            paused_until: Duration::ZERO,
            skew_nanos: 0,
        };
        self.procs.insert(pid, proc);
        Ok(Who {
            pid,
            generation,
            tid: 0,
        })
    }

    /// Registers another thread of the caller's process (even a dead one:
    /// its calls then fail with `ESRCH`).
    pub fn spawn_thread(&mut self, who: Who) -> Who {
        let p = self
            .procs
            .get_mut(&who.pid)
            .expect("the spawning process is registered");
        let tid = p.next_tid;
        p.next_tid += 1;
        if p.generation == who.generation {
            p.threads.insert(tid, ThreadState::new());
        }
        Who { tid, ..who }
    }

    /// Removes a thread; true if it was the last thread of its live process.
    pub fn end_thread(&mut self, who: Who) -> bool {
        match self.procs.get_mut(&who.pid) {
            Some(p) if p.generation == who.generation => {
                p.threads.remove(&who.tid);
                p.threads.is_empty() && p.alive()
            }
            _ => false,
        }
    }

    /// The calling thread's state (it is registered while its handle lives).
    pub fn thread_mut(&mut self, who: Who) -> Option<&mut ThreadState> {
        let p = self
            .procs
            .get_mut(&who.pid)
            .filter(|p| p.generation == who.generation)?;
        p.threads.get_mut(&who.tid)
    }

    /// The caller's process, or `ESRCH` once it has crashed or exited.
    pub fn proc(&self, who: Who) -> io::Result<&ProcState> {
        match self.procs.get(&who.pid) {
            Some(p) if p.generation == who.generation && p.alive() => Ok(p),
            _ => Err(err(Errno::ESRCH)),
        }
    }

    pub fn proc_mut(&mut self, who: Who) -> io::Result<&mut ProcState> {
        match self.procs.get_mut(&who.pid) {
            Some(p) if p.generation == who.generation && p.alive() => Ok(p),
            _ => Err(err(Errno::ESRCH)),
        }
    }

    /// Ends a process: closes every descriptor (dropping its locks) and
    /// marks it `end` (exited or crashed). No-op if it already ended.
    pub fn end_process(&mut self, pid: u32, generation: Option<u64>, end: Life) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if !p.alive() || generation.is_some_and(|g| g != p.generation) {
            return;
        }
        let fds = std::mem::take(&mut p.fds);
        p.life = match end {
            Life::Exited if self.reap_on_exit => Life::Reaped,
            end => end,
        };
        // Its calls end with it (a killed thread's system call is aborted).
        let holds: Vec<OfdRef> = p
            .threads
            .values_mut()
            .filter_map(|t| t.hold.take())
            .collect();
        self.end_writes_of(pid);
        for ofd in fds.into_iter().flatten() {
            self.drop_descriptor(pid, ofd);
        }
        for r in holds {
            self.put_held(r);
        }
        self.wake_all();
    }

    /// Reaps an exited process (`waitpid` by its parent): `EWOULDBLOCK`
    /// (`EAGAIN`) if it is still running, `ECHILD` if there is no exited, unreaped process with
    /// this pid.
    pub fn reap(&mut self, pid: u32) -> io::Result<()> {
        match self.procs.get_mut(&pid).map(|p| (p.life, p)) {
            Some((Life::Exited, p)) => {
                p.life = Life::Reaped;
                Ok(())
            }
            Some((Life::Alive, _)) => Err(err(Errno::EWOULDBLOCK)),
            _ => Err(err(Errno::ECHILD)),
        }
    }

    /// Power loss: every process dies, every descriptor and lock is gone,
    /// and `tree` is both what processes see and what is durable.
    pub fn power_loss(&mut self, mut tree: Tree) {
        tree.retain_reachable();
        for p in self.procs.values_mut() {
            if p.answers_kill() {
                p.life = Life::Crashed;
            }
            p.fds.clear();
            for t in p.threads.values_mut() {
                t.hold = None;
            }
        }
        self.ofds.clear();
        self.free_ofds.clear();
        self.locks = Locks::default();
        self.writing.clear();
        self.durable.tree = tree.clone();
        self.durable.pending.clear();
        self.cache = tree;
        self.deadlock = None;
        self.wake_all();
    }

    // ---- descriptors -----------------------------------------------------

    /// The open file description behind `fd`, or `EBADF`.
    pub fn ofd_id(&self, who: Who, fd: Fd) -> io::Result<OfdId> {
        let p = self.proc(who)?;
        p.fds
            .get(fd.0 as usize)
            .copied()
            .flatten()
            .ok_or_else(|| err(Errno::EBADF))
    }

    pub fn ofd(&self, id: OfdId) -> &Ofd {
        self.ofds[id]
            .as_ref()
            .expect("descriptor points to a live open file description")
    }

    pub fn ofd_mut(&mut self, id: OfdId) -> &mut Ofd {
        self.ofds[id]
            .as_mut()
            .expect("descriptor points to a live open file description")
    }

    /// The descriptor number the caller's next `open` gets: the lowest free
    /// from 3, or `EMFILE` when every number below the limit is taken.
    pub fn lowest_free_fd(&self, who: Who) -> io::Result<usize> {
        let p = self.proc(who)?;
        let taken = |n: &usize| p.fds.get(*n).is_some_and(Option::is_some);
        (FIRST_FD..self.nofile_limit)
            .find(|n| !taken(n))
            .ok_or_else(|| err(Errno::EMFILE))
    }

    /// Creates an open file description of `ino` and gives the caller the
    /// lowest free descriptor for it.
    pub fn new_fd(&mut self, who: Who, ino: Ino, opts: OpenOptions) -> io::Result<Fd> {
        let n = self.lowest_free_fd(who)?;
        self.next_ofd_serial += 1;
        let ofd = Ofd {
            ino,
            offset: 0,
            opts,
            refs: 1,
            serial: self.next_ofd_serial,
        };
        let id = match self.free_ofds.pop() {
            Some(id) => {
                self.ofds[id] = Some(ofd);
                id
            }
            None => {
                self.ofds.push(Some(ofd));
                self.ofds.len() - 1
            }
        };
        if let Some(inode) = self.cache.get_mut(ino) {
            inode.open += 1;
        }
        let p = self.proc_mut(who)?;
        if p.fds.len() <= n {
            p.fds.resize(n + 1, None);
        }
        p.fds[n] = Some(id);
        Ok(Fd(n as u32))
    }

    /// `close`: drops the descriptor, every POSIX lock of this process on
    /// the file, and the descriptor's reference to the description, which
    /// goes with its flock and OFD locks unless a call in progress still
    /// holds it.
    pub fn close(&mut self, who: Who, fd: Fd) -> io::Result<()> {
        let id = self.ofd_id(who, fd)?;
        self.proc_mut(who)?.fds[fd.0 as usize] = None;
        self.drop_descriptor(who.pid, id);
        Ok(())
    }

    /// A call in progress of thread `who` takes a reference to the
    /// description behind `fd` (`EBADF` if none), as the kernel's `fdget`
    /// does: closing the descriptor meanwhile does not release the
    /// description. The reference goes with [`State::release_hold`], or
    /// when the process ends.
    pub fn hold_ofd(&mut self, who: Who, fd: Fd) -> io::Result<OfdRef> {
        let id = self.ofd_id(who, fd)?;
        let ofd = self.ofd_mut(id);
        ofd.refs += 1;
        let r = OfdRef {
            id,
            serial: ofd.serial,
        };
        // A handle makes one call at a time (`wait_until` refuses a second
        // thread on it), so there is no earlier hold to keep.
        let t = self
            .thread_mut(who)
            .expect("a live handle's thread is registered");
        if let Some(stale) = t.hold.replace(r) {
            self.put_held(stale);
        }
        Ok(r)
    }

    /// The call of thread `who` is done: drops the reference it holds, if
    /// the end of its process has not dropped it already.
    pub fn release_hold(&mut self, who: Who) {
        if let Some(r) = self.thread_mut(who).and_then(|t| t.hold.take()) {
            self.put_held(r);
        }
    }

    /// The description a held reference names: `EBADF` if a power loss
    /// has released it since.
    pub fn held(&self, r: OfdRef) -> io::Result<OfdId> {
        let current = self.ofds.get(r.id).and_then(Option::as_ref);
        match current {
            Some(o) if o.serial == r.serial => Ok(r.id),
            _ => Err(err(Errno::EBADF)),
        }
    }

    /// Drops a held reference (a no-op after a power loss, which released
    /// every description).
    fn put_held(&mut self, r: OfdRef) {
        let current = self.ofds.get(r.id).and_then(Option::as_ref);
        if current.is_some_and(|o| o.serial == r.serial) {
            self.put_ofd(r.id);
        }
    }

    /// Whether `fd` of `who`'s process still names the description `id`.
    pub fn fd_names(&self, who: Who, fd: Fd, id: OfdId) -> bool {
        self.proc(who)
            .is_ok_and(|p| p.fds.get(fd.0 as usize).copied().flatten() == Some(id))
    }

    /// A descriptor of process `pid` for description `id` goes (close or
    /// exit): the process's POSIX locks on the file go at once, the
    /// description when its last reference does.
    fn drop_descriptor(&mut self, pid: u32, id: OfdId) {
        use super::locks::Owner;
        let ino = self.ofd(id).ino;
        self.locks.record.remove(ino, Owner::Process(pid));
        self.put_ofd(id);
        self.wake_all();
    }

    /// Drops one reference to description `id`; the last one releases it
    /// with its flock and OFD locks.
    fn put_ofd(&mut self, id: OfdId) {
        use super::locks::Owner;
        let ofd = self.ofd_mut(id);
        ofd.refs -= 1;
        if ofd.refs > 0 {
            return;
        }
        let ino = ofd.ino;
        self.locks.record.remove(ino, Owner::Ofd(id));
        self.locks.flock.remove(ino, Owner::Ofd(id));
        self.ofds[id] = None;
        self.free_ofds.push(id);
        if let Some(inode) = self.cache.get_mut(ino) {
            inode.open -= 1;
        }
        self.cache.release_if_orphan(ino);
        self.wake_all();
    }

    // ---- names -----------------------------------------------------------

    /// Walks `parts` from the root, component by component, as the kernel
    /// does: each name is looked up in the directory reached so far
    /// (`ENOENT` if missing, `ENAMETOOLONG` if too long), `.` stays, `..`
    /// goes to the parent of the directory actually reached (at the root
    /// it stays there), and any component after a file gives `ENOTDIR`.
    /// Returns the directories passed through, root first, and what the
    /// walk reached last.
    pub fn walk(&self, parts: &[&str]) -> io::Result<(Vec<Ino>, Ino)> {
        let mut dirs = Vec::new();
        let mut cur = ROOT;
        for &name in parts {
            let entries = self.cache.entries(cur).ok_or_else(|| err(Errno::ENOTDIR))?;
            match name {
                "." => {}
                ".." => cur = dirs.pop().unwrap_or(ROOT),
                name => {
                    check_name(name)?;
                    let next = *entries.get(name).ok_or_else(|| err(Errno::ENOENT))?;
                    dirs.push(cur);
                    cur = next;
                }
            }
        }
        Ok((dirs, cur))
    }

    /// Resolves a whole path; a trailing `/` demands a directory.
    pub fn resolve(&self, c: &Components<'_>) -> io::Result<Ino> {
        let (_, ino) = self.walk(&c.parts)?;
        if c.trailing_slash && self.kind(ino) != FileKind::Dir {
            return Err(err(Errno::ENOTDIR));
        }
        Ok(ino)
    }

    /// Resolves the directory that holds the last component of `c` (the
    /// kernel's parent walk) and, when that component is a name, looks it
    /// up there. `.`, `..` and the root itself are left for the call to
    /// refuse (`Last::Root` for `/`).
    pub fn parent_of<'c>(&self, c: &'c Components<'_>) -> io::Result<Entry<'c>> {
        let (before, last) = c.split_last();
        let (mut ancestors, dir) = self.walk(before)?;
        let entries = self.cache.entries(dir).ok_or_else(|| err(Errno::ENOTDIR))?;
        let ino = match last {
            Last::Name(name) => entries.get(name).copied(),
            _ => None,
        };
        ancestors.push(dir);
        Ok(Entry {
            dir,
            last,
            ino,
            ancestors,
        })
    }

    pub fn kind(&self, ino: Ino) -> FileKind {
        self.cache.get(ino).map_or(FileKind::File, |i| i.kind())
    }

    pub fn size(&self, ino: Ino) -> u64 {
        match self.cache.get(ino).map(|i| &i.node) {
            Some(Node::File(data)) => data.len() as u64,
            // What ext4 reports: one 4096-byte block for a directory whose
            // entries fit in it, 0 once removed. (ext4 grows a directory by a
            // block as entries fill it and never shrinks it; SimFs keeps one.)
            Some(Node::Dir(_)) if self.cache.nlink(ino) == 0 => 0,
            Some(Node::Dir(_)) => DIR_SIZE,
            None => 0,
        }
    }

    pub fn alloc_ino(&mut self) -> Ino {
        self.next_ino += 1;
        self.next_ino - 1
    }

    /// Applies a change to the page cache and logs it for durability.
    pub fn change(&mut self, op: Op) {
        self.cache.apply(&op, self.clock);
        self.durable.record(op, self.clock);
    }

    /// Whether the step that ends now must wake the waiters; clears it.
    pub fn take_notify(&mut self) -> bool {
        std::mem::take(&mut self.notify) && self.waiters > 0
    }

    // ---- waking ----------------------------------------------------------

    /// Marks every waiter runnable: it will look at the world again before
    /// it can be counted as blocked, so the clock never jumps and no
    /// deadlock is declared over a waiter that could now proceed.
    pub fn wake_all(&mut self) {
        for t in self.procs.values_mut().flat_map(|p| p.threads.values_mut()) {
            if matches!(t.status, Status::Waiting(_)) {
                t.status = Status::Running;
            }
        }
        self.notify = true;
    }
}

/// The last component of a path, in the directory the walk reached.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'c> {
    /// The directory that holds (or would hold) the name.
    pub dir: Ino,
    /// The last component.
    pub last: Last<'c>,
    /// What the name names there, if it is a name that exists.
    pub ino: Option<Ino>,
    /// `dir` and every directory above it, root first.
    pub ancestors: Vec<Ino>,
}

impl<'c> Entry<'c> {
    /// The name, for a path whose last component is one (`ENAMETOOLONG`
    /// if it is too long, as its lookup says); otherwise the error the
    /// call gives for `/`, `.` or `..` there.
    pub fn name(&self, otherwise: Errno) -> io::Result<&'c str> {
        match self.last {
            Last::Name(name) => check_name(name).map(|()| name),
            _ => Err(err(otherwise)),
        }
    }
}
