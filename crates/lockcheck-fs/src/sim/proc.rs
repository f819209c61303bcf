//! A simulated process: the `Fs`, `Clock` and `ProcessInfo` of one pid in a
//! [`super::SimFs`]. Each call is one atomic step taken under the world's
//! mutex; waits (blocked locks, sleeps, pauses) happen on its condvar.

use std::io::{self, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::Shared;
use super::lock_ops::Attempt;
use super::ops::Stat;
use super::sched::Idle;
use super::show::{Shown, show_bytes, show_result};
use super::state::{Life, State, Status, Who};
use super::trace::TraceEvent;
use crate::errno::{Errno, err};
use crate::path::components;
use crate::sync::{Runtime, StdRuntime};
use crate::{Clock, Fd, Fs, LockApi, LockKind, Metadata, OpenOptions, ProcessInfo, Wait};

/// One thread of a simulated process of a [`super::SimFs`]. The process has
/// its own descriptor table; it implements [`Fs`], [`Clock`] and
/// [`ProcessInfo`], so protocol code runs on it unchanged.
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
enum Poll<T> {
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
    fn step<T: Shown>(
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

    fn enter(&self) -> Guard<'_, R> {
        R::lock(&self.shared.state)
    }

    /// Ends a step: wakes waiters if the step changed what they wait for.
    fn leave(&self, mut g: Guard<'_, R>) {
        let notify = g.take_notify();
        drop(g);
        if notify {
            R::notify_all(&self.shared.cv);
        }
    }

    fn record(
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
        g.steps += 1;
    }

    /// Looks at the world with `poll` until it is ready, waiting on the
    /// condvar in between. A paused process is not ready until its pause
    /// ends. The last process to wait moves the clock, or declares the
    /// deadlock (and every waiter then panics with its description).
    fn wait_until<'g, T>(
        &'g self,
        mut g: Guard<'g, R>,
        mut poll: impl FnMut(&mut State) -> Poll<T>,
    ) -> (Guard<'g, R>, io::Result<T>) {
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
                            g = R::wait(&self.shared.cv, g);
                            t_parked(&mut g, self.who, false);
                            g.waiters -= 1;
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

    fn metadata(&self, s: Stat) -> Metadata {
        Metadata {
            ino: s.ino,
            nlink: s.nlink,
            size: s.size,
            mtime: self.shared.start_time + s.mtime,
            kind: s.kind,
        }
    }

    fn write_impl(&self, fd: Fd, buf: &[u8], at: Option<u64>) -> io::Result<usize> {
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

    fn read_impl(&self, fd: Fd, buf: &mut [u8], at: Option<u64>) -> io::Result<usize> {
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

    /// Waits until a lock attempt succeeds; traced once, when it does.
    fn wait_for_lock(
        &self,
        fd: Fd,
        api: LockApi,
        kind: LockKind,
        call: impl Fn() -> String,
    ) -> io::Result<()> {
        let g = self.enter();
        let posix = api == LockApi::Posix;
        let (mut g, result) = self.wait_until(g, |s| {
            let attempt = match s.try_lock(self.who, fd, api, kind) {
                Ok(Attempt::Conflict(what)) if posix => {
                    match s.posix_would_deadlock(self.who, fd, kind) {
                        Ok(true) => Err(err(Errno::EDEADLK)),
                        Ok(false) => Ok(Attempt::Conflict(what)),
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
            let waits = match (&attempt, posix) {
                (Ok(Attempt::Conflict(_)), true) => {
                    s.ofd_id(self.who, fd).ok().map(|id| (s.ofd(id).ino, kind))
                }
                _ => None,
            };
            if let Some(t) = s.thread_mut(self.who) {
                t.posix_wait = waits;
            }
            match attempt {
                Ok(Attempt::Conflict(what)) => Poll::Pending { until: None, what },
                Ok(Attempt::Taken) => Poll::Ready(Ok(())),
                Err(e) => Poll::Ready(Err(e)),
            }
        });
        let result = result.and_then(|r| r);
        self.record(
            &mut g,
            || format!("{} [after waiting]", call()),
            || show_result(&result),
        );
        self.leave(g);
        result
    }
}

/// Marks the calling thread as parked on the condvar (or not).
fn t_parked(g: &mut State, who: Who, parked: bool) {
    if let Some(t) = g.thread_mut(who) {
        t.parked = parked;
    }
}

fn lock_call(fd: Fd, api: LockApi, kind: LockKind, wait: Wait) -> String {
    let nb = if wait == Wait::NonBlock {
        "|LOCK_NB"
    } else {
        ""
    };
    match (api, kind) {
        (LockApi::Flock, LockKind::Shared) => format!("flock({fd}, LOCK_SH{nb})"),
        (LockApi::Flock, LockKind::Exclusive) => format!("flock({fd}, LOCK_EX{nb})"),
        (api, kind) => {
            let cmd = match (api, wait) {
                (LockApi::Ofd, Wait::Block) => "F_OFD_SETLKW",
                (LockApi::Ofd, Wait::NonBlock) => "F_OFD_SETLK",
                (_, Wait::Block) => "F_SETLKW",
                (_, Wait::NonBlock) => "F_SETLK",
            };
            let ty = if kind == LockKind::Shared {
                "F_RDLCK"
            } else {
                "F_WRLCK"
            };
            format!("fcntl({fd}, {cmd}, {ty})")
        }
    }
}

impl<R: Runtime> Fs for SimProc<R> {
    fn open(&self, path: impl AsRef<Path>, opts: OpenOptions) -> io::Result<Fd> {
        let path = path.as_ref();
        self.step(
            || format!("open({path:?}, {opts})"),
            |s| s.open(self.who, &components(path)?, opts),
        )
    }

    fn close(&self, fd: Fd) -> io::Result<()> {
        self.step(|| format!("close({fd})"), |s| s.close(self.who, fd))
    }

    fn read(&self, fd: Fd, buf: &mut [u8]) -> io::Result<usize> {
        self.read_impl(fd, buf, None)
    }

    fn write(&self, fd: Fd, buf: &[u8]) -> io::Result<usize> {
        self.write_impl(fd, buf, None)
    }

    fn read_at(&self, fd: Fd, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.read_impl(fd, buf, Some(offset))
    }

    fn write_at(&self, fd: Fd, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.write_impl(fd, buf, Some(offset))
    }

    fn seek(&self, fd: Fd, pos: SeekFrom) -> io::Result<u64> {
        self.step(
            || format!("lseek({fd}, {pos:?})"),
            |s| s.seek(self.who, fd, pos),
        )
    }

    fn set_len(&self, fd: Fd, len: u64) -> io::Result<()> {
        self.step(
            || format!("ftruncate({fd}, {len})"),
            |s| s.set_len(self.who, fd, len),
        )
    }

    fn fsync(&self, fd: Fd) -> io::Result<()> {
        self.step(|| format!("fsync({fd})"), |s| s.fsync(self.who, fd))
    }

    fn fsync_dir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.step(
            || format!("fsync_dir({path:?})"),
            |s| s.fsync_dir(self.who, &components(path)?),
        )
    }

    fn fstat(&self, fd: Fd) -> io::Result<Metadata> {
        let s = self.step(|| format!("fstat({fd})"), |s| s.fstat(self.who, fd))?;
        Ok(self.metadata(s))
    }

    fn stat(&self, path: impl AsRef<Path>) -> io::Result<Metadata> {
        let path = path.as_ref();
        let s = self.step(
            || format!("stat({path:?})"),
            |s| s.stat(self.who, &components(path)?),
        )?;
        Ok(self.metadata(s))
    }

    fn rename(&self, from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
        let (from, to) = (from.as_ref(), to.as_ref());
        self.step(
            || format!("rename({from:?}, {to:?})"),
            |s| s.rename(self.who, &components(from)?, &components(to)?),
        )
    }

    fn link(&self, existing: impl AsRef<Path>, new: impl AsRef<Path>) -> io::Result<()> {
        let (existing, new) = (existing.as_ref(), new.as_ref());
        self.step(
            || format!("link({existing:?}, {new:?})"),
            |s| s.link(self.who, &components(existing)?, &components(new)?),
        )
    }

    fn unlink(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.step(
            || format!("unlink({path:?})"),
            |s| s.unlink(self.who, &components(path)?),
        )
    }

    fn mkdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.step(
            || format!("mkdir({path:?})"),
            |s| s.mkdir(self.who, &components(path)?),
        )
    }

    fn rmdir(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        self.step(
            || format!("rmdir({path:?})"),
            |s| s.rmdir(self.who, &components(path)?),
        )
    }

    fn read_dir(&self, path: impl AsRef<Path>) -> io::Result<Vec<String>> {
        let path = path.as_ref();
        self.step(
            || format!("readdir({path:?})"),
            |s| s.read_dir(self.who, &components(path)?),
        )
    }

    fn lock(&self, fd: Fd, api: LockApi, kind: LockKind, wait: Wait) -> io::Result<()> {
        let call = || lock_call(fd, api, kind, wait);
        let attempt = |s: &mut State, convert: bool| -> io::Result<Option<Attempt>> {
            if convert
                && api == LockApi::Flock
                && s.flock_drop_for_conversion(self.who, fd, kind)?
            {
                return Ok(None);
            }
            match s.try_lock(self.who, fd, api, kind)? {
                Attempt::Conflict(_) if wait == Wait::NonBlock => Err(err(Errno::EWOULDBLOCK)),
                Attempt::Conflict(_)
                    if api == LockApi::Posix && s.posix_would_deadlock(self.who, fd, kind)? =>
                {
                    Err(err(Errno::EDEADLK))
                }
                other => Ok(Some(other)),
            }
        };
        let mut first = self.step(call, |s| attempt(s, true))?;
        if first.is_none() {
            first = self.step(call, |s| attempt(s, false))?;
        }
        match first {
            Some(Attempt::Taken) => Ok(()),
            _ => self.wait_for_lock(fd, api, kind, call),
        }
    }

    fn unlock(&self, fd: Fd, api: LockApi) -> io::Result<()> {
        let call = || match api {
            LockApi::Flock => format!("flock({fd}, LOCK_UN)"),
            LockApi::Posix => format!("fcntl({fd}, F_SETLK, F_UNLCK)"),
            LockApi::Ofd => format!("fcntl({fd}, F_OFD_SETLK, F_UNLCK)"),
        };
        self.step(call, |s| s.unlock(self.who, fd, api))
    }
}

impl<R: Runtime> Clock for SimProc<R> {
    fn now(&self) -> SystemTime {
        let at = self.step(
            || "now()".into(),
            |s| {
                let skew = s.proc(self.who)?.skew_nanos;
                Ok(Offset(s.clock.as_nanos() as i128 + skew))
            },
        );
        // A crashed process gets the global clock: it is about to stop anyway.
        let Offset(nanos) =
            at.unwrap_or_else(|_| Offset(R::lock(&self.shared.state).clock.as_nanos() as i128));
        let magnitude = Duration::from_nanos(nanos.unsigned_abs().min(u64::MAX as u128) as u64);
        if nanos >= 0 {
            self.shared.start_time + magnitude
        } else {
            self.shared.start_time - magnitude
        }
    }

    fn sleep(&self, d: Duration) {
        if d.is_zero() {
            R::yield_now();
            return;
        }
        let wake = self.step(|| format!("sleep({d:?})"), |s| Ok(super::later(s.clock, d)));
        let Ok(wake) = wake else { return };
        let g = self.enter();
        let (g, _) = self.wait_until(g, |s| {
            if s.clock >= wake {
                Poll::Ready(())
            } else {
                Poll::Pending {
                    until: Some(wake),
                    what: format!("the clock to reach {wake:?}"),
                }
            }
        });
        self.leave(g);
    }
}

impl<R: Runtime> ProcessInfo for SimProc<R> {
    fn pid(&self) -> u32 {
        self.who.pid
    }

    fn is_alive(&self, pid: u32) -> bool {
        let alive = self.step(
            || format!("kill({pid}, 0)"),
            |s| Ok(s.procs.get(&pid).is_some_and(|p| p.alive())),
        );
        alive.unwrap_or(false)
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

/// Nanoseconds from the simulation's start time, as a process's clock
/// reads them (negative when skewed behind the start).
struct Offset(i128);

impl Shown for Offset {
    fn show(&self) -> String {
        let d = Duration::from_nanos(self.0.unsigned_abs().min(u64::MAX as u128) as u64);
        if self.0 < 0 {
            format!("start - {d:?}")
        } else {
            format!("start + {d:?}")
        }
    }
}

impl<R: Runtime> std::fmt::Debug for SimProc<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimProc(p{})", self.who.pid)
    }
}
