//! The calls of a simulated process: `Fs`, `Clock` and `ProcessInfo` for
//! [`SimProc`], each one step (or a wait) through the machinery in
//! `proc.rs`.

use std::io::{self, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::config::FlockConversion;
use super::lock_ops::Attempt;
use super::proc::{Poll, SimProc};
use super::show::Shown;
use super::state::State;
use crate::path::components;
use crate::sync::Runtime;
use crate::{Clock, Fd, Fs, LockApi, LockKind, Metadata, OpenOptions, ProcessInfo, Wait};

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
        // O_TRUNC truncates under the inode lock, as ftruncate does.
        let blocker = |s: &State| {
            let ino = s.resolve(&components(path).ok()?).ok()?;
            opts.truncate.then(|| s.write_blocker(ino, self.who))?
        };
        self.step_when(
            || format!("open({path:?}, {opts})"),
            blocker,
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
        self.step_when(
            || format!("ftruncate({fd}, {len})"),
            |s| self.write_blocker(s, fd),
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
            |s| s.rename(self.who, &components(from)?, to),
        )
    }

    fn link(&self, existing: impl AsRef<Path>, new: impl AsRef<Path>) -> io::Result<()> {
        let (existing, new) = (existing.as_ref(), new.as_ref());
        self.step(
            || format!("link({existing:?}, {new:?})"),
            |s| s.link(self.who, &components(existing)?, new),
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
        let two_step =
            api == LockApi::Flock && self.shared.flock_conversion == FlockConversion::TwoStep;
        let who = self.who;
        // The first step resolves `fd` once and holds its description to
        // the end of the call (see `State::lock_step`).
        let mut held = None;
        let mut first = self.step(call, |s| {
            let r = s.hold_ofd(who, fd)?;
            held = Some(r);
            if two_step && s.flock_drop_for_conversion(who, r.id, kind) {
                return Ok(None);
            }
            s.lock_step(who, fd, r, api, kind, wait).map(Some)
        })?;
        let r = held.expect("a successful first step holds the description");
        if first.is_none() {
            let mut ran = false;
            let second = self.step(call, |s| {
                ran = true;
                s.lock_step(who, fd, r, api, kind, wait).map(Some)
            });
            if !ran {
                // The process died before the step: the hold ends here.
                let mut g = self.enter();
                g.release_hold(who);
                self.leave(g);
            }
            first = second?;
        }
        match first {
            Some(Attempt::Taken) => Ok(()),
            _ => self.wait_for_lock(fd, r, api, kind, call),
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
        let at_limit = std::cell::Cell::new(false);
        let wake = self.step(
            || format!("sleep({d:?})"),
            |s| {
                at_limit.set(s.clock >= super::CLOCK_LIMIT);
                Ok(super::later(s.clock, d))
            },
        );
        let Ok(wake) = wake else { return };
        let g = self.enter();
        let (g, _) = self.wait_until(g, |s| {
            if at_limit.get() {
                Poll::Pending {
                    until: None,
                    what: super::CLOCK_LIMIT_WAIT.into(),
                }
            } else if s.clock >= wake {
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
            |s| Ok(s.procs.get(&pid).is_some_and(|p| p.answers_kill())),
        );
        alive.unwrap_or(false)
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
