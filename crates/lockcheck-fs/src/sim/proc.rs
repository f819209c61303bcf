//! A simulated process: the `Fs`, `Clock` and `ProcessInfo` of one pid in a
//! [`super::SimFs`]. Each call is one atomic step taken under the world's
//! mutex; waits (blocked locks, sleeps, pauses) happen on its condvar.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::Shared;
use super::lock_ops::Attempt;
use super::ops::Stat;
use super::sched::Idle;
use super::show::{Shown, show_bytes, show_result};
use super::state::{Life, OfdRef, State, Status, Who};
use super::trace::TraceEvent;
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
    /// of its handles is dropped.
    pub fn thread(&self) -> SimProc<R> {
        let mut g = self.enter();
        let who = g.spawn_thread(self.who);
        self.leave(g);
        SimProc {
            shared: Arc::clone(&self.shared),
            who,
        }
    }

    /// Takes one atomic step: waits out a pause, runs `f`, records the call.
    pub(super) fn step<T: Shown>(
        &self,
        call: impl FnOnce() -> String,
        f: impl FnOnce(&mut State) -> io::Result<T>,
    ) -> io::Result<T> {
        let g = self.enter();
        let (mut g, ready) = self.wait_until(g, |_| Poll::Ready(()));
        let result = ready.and_then(|()| f(&mut g));
        self.record(&mut g, call, || show_result(&result));
        self.leave(g);
        result
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
                    match g.advance_if_idle() {
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

    pub(super) fn write_impl(&self, fd: Fd, buf: &[u8], at: Option<u64>) -> io::Result<usize> {
        let name = if at.is_some() { "pwrite" } else { "write" };
        let describe = |part: &[u8]| match at {
            Some(off) => format!("{name}({fd}, {}, {off})", show_bytes(part)),
            None => format!("{name}({fd}, {})", show_bytes(part)),
        };
        let chunk = match self.shared.torn_write_size {
            Some(n) if buf.len() > n => n.max(1),
            _ => return self.step(|| describe(buf), |s| s.write(self.who, fd, buf, at)),
        };
        let parts = buf.len().div_ceil(chunk);
        let mut done = 0;
        for (i, part) in buf.chunks(chunk).enumerate() {
            let at_i = at.map(|a| a + done as u64);
            let call = || format!("{} [part {}/{parts}]", describe(part), i + 1);
            match self.step(call, |s| s.write(self.who, fd, part, at_i)) {
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
                g.release_hold(r); // The process died while waiting.
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
