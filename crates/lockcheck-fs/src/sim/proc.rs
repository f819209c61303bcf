//! A simulated process: the `Fs`, `Clock` and `ProcessInfo` of one pid in a
//! [`super::SimFs`]. Each call is one atomic step taken under the world's
//! mutex; waits (blocked locks, sleeps, pauses) happen on its condvar.

use std::cell::Cell;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Shared;
use super::lock_ops::Attempt;
use super::ops::Stat;
use super::sched::Idle;
use super::show::{Shown, show_bytes, show_result};
use super::state::{Life, OfdRef, State, Status, Who};
use super::trace::TraceEvent;
use super::tree::Ino;
use crate::sync::{Runtime, StdRuntime};
use crate::{Fd, LockApi, LockKind, Metadata, Wait};

/// One thread of a simulated process of a [`super::SimFs`]. The process has
/// its own descriptor table; it implements [`Fs`](crate::Fs), [`Clock`](crate::Clock) and
/// [`ProcessInfo`](crate::ProcessInfo), so protocol code runs on it unchanged.
///
/// [`super::SimFs::spawn`] gives the process's first thread; give every
/// other thread of the same process its own handle with [`SimProc::thread`]
/// (a handle is one thread of control: the clock and deadlock detection
/// track each handle as running or waiting). Dropping the last handle is
/// the process exiting: its descriptors close and its locks go. After a
/// crash every call fails with `ESRCH`.
pub struct SimProc<R: Runtime = StdRuntime> {
    pub(super) shared: Arc<Shared<R>>,
    pub(super) who: Who,
    /// Whether a call after the process was killed unwinds ([`Killed`])
    /// instead of failing with `ESRCH`.
    pub(super) unwind_when_killed: AtomicBool,
}

/// The unwinding payload of a call made by a killed process whose handle
/// asked for it ([`SimProc::unwind_when_killed`]): the process was killed
/// (SIGKILL, or a power loss) and runs no more code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Killed {
    /// The process killed.
    pub pid: u32,
}

/// What a wait loop asks each time it looks at the world.
pub(super) enum Poll<T> {
    Ready(T),
    /// Not yet: wait for a lock (`until: None`) or for a time.
    Pending {
        until: Option<Duration>,
        what: String,
    },
}

type Guard<'a, R> = <R as Runtime>::Guard<'a, State>;

impl<R: Runtime> SimProc<R> {
    /// Another thread of this process: same pid, descriptors and locks
    /// (POSIX locks of its threads never exclude each other), tracked
    /// separately as running or waiting. The process lives until every one
    /// of its handles is dropped. It unwinds when killed if this handle
    /// does ([`SimProc::unwind_when_killed`]).
    pub fn thread(&self) -> SimProc<R> {
        let mut g = self.enter();
        let who = g.spawn_thread(self.who);
        self.leave(g);
        SimProc {
            shared: Arc::clone(&self.shared),
            who,
            unwind_when_killed: AtomicBool::new(self.unwind_when_killed.load(Ordering::Relaxed)),
        }
    }

    /// From now on, a call through this handle after its process was
    /// killed ([`super::SimFs::crash`], [`super::SimFs::power_loss`]) does
    /// not return `ESRCH`: it unwinds with a [`Killed`] payload (through
    /// `resume_unwind`: no panic hook runs), as a SIGKILLed process runs
    /// none of its code after the signal. The caller's harness catches it
    /// (`catch_unwind`, `payload.is::<Killed>()`). A call made while the
    /// thread is already unwinding (a destructor's) still returns `ESRCH`.
    pub fn unwind_when_killed(&self) {
        self.unwind_when_killed.store(true, Ordering::Relaxed);
    }

    /// Takes one atomic step: waits out a pause, runs `f`, records the call.
    pub(super) fn step<T: Shown>(
        &self,
        call: impl FnOnce() -> String,
        f: impl FnOnce(&mut State) -> io::Result<T>,
    ) -> io::Result<T> {
        self.step_when(call, |_| None, f)
    }

    /// Like [`SimProc::step`], but first waits (blocked, on the condvar)
    /// while `blocker` names something to wait for.
    pub(super) fn step_when<T: Shown>(
        &self,
        call: impl FnOnce() -> String,
        blocker: impl Fn(&State) -> Option<String>,
        f: impl FnOnce(&mut State) -> io::Result<T>,
    ) -> io::Result<T> {
        let g = self.enter();
        let (mut g, ready) = self.wait_until(g, |s| match blocker(s) {
            None => Poll::Ready(()),
            Some(what) => Poll::Pending { until: None, what },
        });
        let result = ready.and_then(|()| f(&mut g));
        self.record(&mut g, call, || show_result(&result));
        self.leave(g);
        result
    }

    /// What a write or truncate through `fd` waits for: another thread's
    /// multi-step write to the same inode (see `inode_lock.rs`).
    pub(super) fn write_blocker(&self, s: &State, fd: Fd) -> Option<String> {
        let ino = s.ofd(s.ofd_id(self.who, fd).ok()?).ino;
        s.write_blocker(ino, self.who)
    }

    pub(super) fn enter(&self) -> Guard<'_, R> {
        R::lock(&self.shared.state)
    }

    /// Ends a step: wakes waiters if the step changed what they wait for.
    pub(super) fn leave(&self, mut g: Guard<'_, R>) {
        let notify = g.take_notify();
        drop(g);
        if notify {
            R::notify_all(&self.shared.cv);
        }
    }

    pub(super) fn record(
        &self,
        g: &mut State,
        call: impl FnOnce() -> String,
        result: impl FnOnce() -> String,
    ) {
        if self.shared.trace {
            let step = g.steps;
            g.trace.push(TraceEvent {
                step,
                pid: self.who.pid,
                call: call(),
                result: result(),
            });
        }
        g.end_step(self.who.pid);
    }

    /// Looks at the world with `poll` until it is ready, waiting on the
    /// condvar in between. A paused process is not ready until its pause
    /// ends. The last process to wait moves the clock, or declares the
    /// deadlock (and every waiter then panics with its description).
    pub(super) fn wait_until<'g, T>(
        &'g self,
        mut g: Guard<'g, R>,
        mut poll: impl FnMut(&mut State) -> Poll<T>,
    ) -> (Guard<'g, R>, io::Result<T>) {
        let mut warned = false;
        if g.thread_mut(self.who).is_some_and(|t| t.parked) {
            drop(g);
            panic!(
                "lockcheck: one SimProc handle (p{}) is used by two threads at once; \
                 give each thread its own handle with SimProc::thread()",
                self.who.pid
            );
        }
        loop {
            if let Some(report) = g.deadlock.clone() {
                drop(g);
                panic!("{report}");
            }
            let paused_until = match g.proc(self.who) {
                Ok(p) => p.paused_until,
                Err(_)
                    if self.unwind_when_killed.load(Ordering::Relaxed)
                        && !std::thread::panicking() =>
                {
                    drop(g);
                    std::panic::resume_unwind(Box::new(Killed { pid: self.who.pid }));
                }
                Err(e) => return (g, Err(e)),
            };
            let state = if paused_until > g.clock {
                Poll::Pending {
                    until: Some(paused_until),
                    what: "the end of its pause".into(),
                }
            } else {
                poll(&mut g)
            };
            let t = g
                .thread_mut(self.who)
                .expect("a live handle's thread is registered");
            match state {
                Poll::Ready(v) => {
                    t.status = Status::Running;
                    t.waiting_for = None;
                    return (g, Ok(v));
                }
                Poll::Pending { until, what } => {
                    t.status = Status::Waiting(until);
                    t.waiting_for = Some(what);
                    match g.advance_if_idle(self.shared.solo()) {
                        Idle::Busy => {
                            g.waiters += 1;
                            t_parked(&mut g, self.who, true);
                            let (woken, stalled) =
                                R::wait_patiently(&self.shared.cv, g, STALL_WARNING);
                            g = woken;
                            t_parked(&mut g, self.who, false);
                            g.waiters -= 1;
                            if stalled && !warned {
                                warned = true;
                                eprintln!("{}", g.stall_report(self.who.pid, STALL_WARNING));
                            }
                        }
                        Idle::Advanced => R::notify_all(&self.shared.cv),
                        Idle::Deadlock(report) => {
                            g.deadlock = Some(report);
                            R::notify_all(&self.shared.cv);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn metadata(&self, s: Stat) -> Metadata {
        Metadata {
            ino: s.ino,
            nlink: s.nlink,
            size: s.size,
            mtime: self.shared.start_time + s.mtime,
            kind: s.kind,
        }
    }

    /// `write` or `pwrite`: one step, or several when it is longer than
    /// the torn-write size; either way it first waits for any other
    /// thread's multi-step write to the inode, and a multi-step write holds
    /// the inode lock from its first part to its last, so writes never
    /// interleave while readers can see one half done.
    pub(super) fn write_impl(&self, fd: Fd, buf: &[u8], at: Option<u64>) -> io::Result<usize> {
        let name = if at.is_some() { "pwrite" } else { "write" };
        let describe = |part: &[u8]| match at {
            Some(off) => format!("{name}({fd}, {}, {off})", show_bytes(part)),
            None => format!("{name}({fd}, {})", show_bytes(part)),
        };
        let blocker = |s: &State| self.write_blocker(s, fd);
        let chunk = match self.shared.torn_write_size {
            Some(n) if buf.len() > n => n.max(1),
            _ => {
                return self.step_when(
                    || describe(buf),
                    blocker,
                    |s| s.write(self.who, fd, buf, at),
                );
            }
        };
        let parts = buf.len().div_ceil(chunk);
        let mut done = 0;
        // From the first part on, the call holds the description (as the
        // kernel holds the file: a close of `fd` meanwhile does not move
        // the rest of the write elsewhere) and the inode lock.
        let held: Cell<Option<(OfdRef, Ino)>> = Cell::new(None);
        for (i, part) in buf.chunks(chunk).enumerate() {
            let at_i = at.map(|a| a + done as u64);
            let last = i + 1 == parts;
            let call = || format!("{} [part {}/{parts}]", describe(part), i + 1);
            let blocker = |s: &State| match held.get() {
                Some((_, ino)) => s.write_blocker(ino, self.who),
                None => self.write_blocker(s, fd),
            };
            let result = self.step_when(call, blocker, |s| {
                let n = match held.get() {
                    None => s.write(self.who, fd, part, at_i),
                    Some((r, _)) => s.write_held(r, part, at_i),
                };
                match (&n, held.get()) {
                    (Ok(_), None) if !last => {
                        let r = s.hold_ofd(self.who, fd)?;
                        let ino = s.ofd(r.id).ino;
                        s.begin_write(ino, self.who);
                        held.set(Some((r, ino)));
                    }
                    (Err(_), Some((_, ino))) => {
                        s.end_write(ino, self.who);
                        s.release_hold(self.who);
                    }
                    (Ok(_), Some((_, ino))) if last => {
                        s.end_write(ino, self.who);
                        s.release_hold(self.who);
                    }
                    _ => {}
                }
                n
            });
            match result {
                Ok(n) => done += n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    pub(super) fn read_impl(&self, fd: Fd, buf: &mut [u8], at: Option<u64>) -> io::Result<usize> {
        let g = self.enter();
        let (mut g, ready) = self.wait_until(g, |_| Poll::Ready(()));
        let result = ready.and_then(|()| g.read(self.who, fd, buf, at));
        let call = || match at {
            Some(off) => format!("pread({fd}, {}, {off})", buf.len()),
            None => format!("read({fd}, {})", buf.len()),
        };
        let shown = || match &result {
            Ok(n) => format!("{n} {}", show_bytes(&buf[..*n])),
            Err(_) => show_result(&result),
        };
        self.record(&mut g, call, shown);
        self.leave(g);
        result
    }

    /// Waits until a lock attempt by a call that holds the description `r`
    /// succeeds or fails; traced once, when it does. The hold ends with the
    /// call, even when the process dies meanwhile.
    pub(super) fn wait_for_lock(
        &self,
        fd: Fd,
        r: OfdRef,
        api: LockApi,
        kind: LockKind,
        call: impl Fn() -> String,
    ) -> io::Result<()> {
        let g = self.enter();
        let (mut g, result) = self.wait_until(g, |s| {
            match s.lock_step(self.who, fd, r, api, kind, Wait::Block) {
                Ok(Attempt::Conflict(what)) => Poll::Pending { until: None, what },
                Ok(Attempt::Taken) => Poll::Ready(Ok(())),
                Err(e) => Poll::Ready(Err(e)),
            }
        });
        let result = match result {
            Ok(done) => done,
            Err(e) => {
                g.release_hold(self.who); // The process died while waiting.
                Err(e)
            }
        };
        self.record(
            &mut g,
            || format!("{} [after waiting]", call()),
            || show_result(&result),
        );
        self.leave(g);
        result
    }
}

/// Real time a waiter waits, under real threads, before it warns that
/// nothing seems able to wake it.
const STALL_WARNING: Duration = Duration::from_secs(10);

/// Marks the calling thread as parked on the condvar (or not).
fn t_parked(g: &mut State, who: Who, parked: bool) {
    if let Some(t) = g.thread_mut(who) {
        t.parked = parked;
    }
}

impl<R: Runtime> Drop for SimProc<R> {
    fn drop(&mut self) {
        let mut g = self.enter();
        if g.end_thread(self.who) {
            self.record(&mut g, || "exit()".into(), || "0".into());
            g.end_process(self.who.pid, Some(self.who.generation), Life::Exited);
        } else {
            g.wake_all(); // One thread fewer may leave only waiters.
        }
        self.leave(g);
    }
}

impl<R: Runtime> std::fmt::Debug for SimProc<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimProc(p{})", self.who.pid)
    }
}
