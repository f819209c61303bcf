//! SimFs: a deterministic in-memory model of a POSIX file system shared by
//! simulated processes. Its semantics are stated once, in the crate docs.

mod blocked;
mod calls;
mod config;
mod durable;
mod inode_lock;
mod lock_ops;
mod locks;
mod observe;
mod ops;
mod proc;
mod sched;
mod show;
mod snapshot;
mod state;
mod trace;
mod tree;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub use config::{FlockConversion, SimConfig};
pub use durable::{MAX_REORDERED, Profile};
pub use observe::StepView;
pub use proc::{Killed, SimProc};
pub use show::show_bytes;
pub use snapshot::Snapshot;
pub use trace::TraceEvent;

use crate::errno::{Errno, err};
use crate::sync::{Runtime, StdRuntime};
use state::{Life, State};

/// The virtual clock stops at 400 years (still a u64 of nanoseconds):
/// sleeping or pausing "forever" saturates there instead of overflowing.
/// Once the clock is there it can move no more, so a sleep that starts
/// there never ends (it waits like a blocked lock, and deadlock detection
/// sees it) rather than return at once, which would let a retry loop with
/// a deadline past the limit spin forever.
/// What a sleep that starts at [`CLOCK_LIMIT`] waits for, as deadlock
/// reports name it: the clock never passes its limit, so such a wait
/// ends only in a deadlock report, which names the limit with this text.
pub const CLOCK_LIMIT_WAIT: &str = "the clock to pass its limit of 400 years (it never will)";

pub(crate) const CLOCK_LIMIT: Duration = Duration::from_secs(400 * 365 * 24 * 3600);

/// `clock + d`, saturating at [`CLOCK_LIMIT`].
pub(crate) fn later(clock: Duration, d: Duration) -> Duration {
    clock.saturating_add(d).min(CLOCK_LIMIT)
}

/// What every process of one simulation shares.
pub(crate) struct Shared<R: Runtime> {
    state: R::Mutex<State>,
    cv: R::Condvar,
    trace: bool,
    torn_write_size: Option<usize>,
    start_time: SystemTime,
    flock_conversion: FlockConversion,
    /// The pid of the one process that moves ([`SimFs::run_alone`]);
    /// [`EVERYONE`]: every process. Outside the state's mutex: setting it
    /// is no scheduling point, so it changes no schedule.
    solo: AtomicU64,
}

/// [`Shared::solo`] when every process moves.
const EVERYONE: u64 = u64::MAX;

impl<R: Runtime> Shared<R> {
    /// The process running alone, if one is.
    pub(crate) fn solo(&self) -> Option<u32> {
        u32::try_from(self.solo.load(Ordering::Relaxed)).ok()
    }
}

/// How far a process's clock is from the simulation's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skew {
    /// The process's `now()` runs ahead by this much.
    Ahead(Duration),
    /// The process's `now()` runs behind by this much.
    Behind(Duration),
}

/// A simulated file system and the processes that share it.
///
/// Cloning gives another handle to the same simulation. The methods here
/// act from outside the processes (the test, or an explorer injecting
/// faults); the processes themselves act through [`SimProc`].
pub struct SimFs<R: Runtime = StdRuntime> {
    shared: Arc<Shared<R>>,
}

impl<R: Runtime> Clone for SimFs<R> {
    fn clone(&self) -> Self {
        SimFs {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<R: Runtime> Default for SimFs<R> {
    /// An empty file system with the default [`SimConfig`].
    fn default() -> Self {
        Self::build(SimConfig::default())
    }
}

impl SimFs<StdRuntime> {
    /// An empty file system with the default [`SimConfig`], for real
    /// threads. Under shuttle or loom use `SimFs::<ShuttleRuntime>::default()`
    /// or [`SimFs::build`], inside the test closure.
    pub fn new() -> Self {
        Self::build(SimConfig::default())
    }

    /// An empty file system with the given configuration, for real threads.
    pub fn with_config(config: SimConfig) -> Self {
        Self::build(config)
    }
}

impl<R: Runtime> std::fmt::Debug for SimFs<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimFs")
            .field("steps", &self.steps())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> SimFs<R> {
    /// An empty file system on any [`Runtime`]. Under shuttle or loom,
    /// create it inside the test closure.
    pub fn build(config: SimConfig) -> Self {
        let mut state = State::new(config.profile);
        state.nofile_limit = config.nofile_limit;
        state.reap_on_exit = config.reap_on_exit;
        let shared = Shared {
            trace: config.trace,
            torn_write_size: config.torn_write_size,
            start_time: config.start_time,
            flock_conversion: config.flock_conversion,
            state: R::mutex(state),
            cv: R::condvar(),
            solo: AtomicU64::new(EVERYONE),
        };
        SimFs {
            shared: Arc::new(shared),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut g = R::lock(&self.shared.state);
        let out = f(&mut g);
        let notify = g.take_notify();
        drop(g);
        if notify {
            R::notify_all(&self.shared.cv);
        }
        out
    }

    /// Starts a process with a fresh pid (pids count up from 100).
    pub fn spawn(&self) -> SimProc<R> {
        let who = self
            .with_state(|s| s.spawn(None))
            .expect("a fresh pid is always free");
        SimProc {
            shared: Arc::clone(&self.shared),
            who,
            unwind_when_killed: Default::default(),
        }
    }

    /// Starts a process with the given pid, which may be the pid of a
    /// process that has crashed, or exited and been reaped (pid reuse).
    /// `EEXIST` if a running process or an unreaped zombie has it.
    pub fn spawn_with_pid(&self, pid: u32) -> io::Result<SimProc<R>> {
        let who = self.with_state(|s| s.spawn(Some(pid)))?;
        Ok(SimProc {
            shared: Arc::clone(&self.shared),
            who,
            unwind_when_killed: Default::default(),
        })
    }

    /// Kills a process (SIGKILL) and reaps it at once: its descriptors
    /// close and its locks go; everything it wrote stays in the page cache;
    /// `kill(pid, 0)` fails from now on. Its further calls fail with
    /// `ESRCH`. No-op for a process that already ended.
    pub fn crash(&self, pid: u32) {
        let _ = self.fault(
            pid,
            || "crash (SIGKILL)".into(),
            |s| {
                s.end_process(pid, None, Life::Crashed);
                Ok(())
            },
        );
    }

    /// Reaps a process that has exited (its last [`SimProc`] handle was
    /// dropped), as its parent's `waitpid` would: until then it is a
    /// zombie, which `kill(pid, 0)` ([`crate::ProcessInfo::is_alive`])
    /// still reports alive and whose pid cannot be reused. The harness
    /// that spawned the processes is their parent and reaps them; nothing
    /// else does. `EWOULDBLOCK` (`EAGAIN`, as `WNOHANG` finds nothing) if
    /// the process is still running, `ECHILD` if no exited, unreaped
    /// process has this pid.
    pub fn reap(&self, pid: u32) -> io::Result<()> {
        // The harness's act, not a step of any simulated process: neither
        // traced nor counted (as `sync_all`).
        self.with_state(|s| s.reap(pid))
    }

    /// Stops a process (SIGSTOP, a GC pause) for `d` of virtual time from
    /// now: its next call, or the wait it is in, does not proceed until
    /// then, while the others run. `ESRCH` if it is not alive.
    pub fn pause(&self, pid: u32, d: Duration) -> io::Result<()> {
        self.fault(
            pid,
            || format!("pause({d:?}) (SIGSTOP)"),
            |s| {
                let until = later(s.clock, d);
                let p = s
                    .procs
                    .get_mut(&pid)
                    .filter(|p| p.alive())
                    .ok_or_else(|| err(Errno::ESRCH))?;
                p.paused_until = p.paused_until.max(until);
                Ok(())
            },
        )
    }

    /// Lets only process `pid` move (`None`: every process), for a phase
    /// in which the others do not run, such as a scenario's setup: the
    /// clock moves when it waits for a time, and when it waits for a lock
    /// that only another process can release, that is a deadlock,
    /// reported as always (every waiter panics with a message that starts
    /// `lockcheck: deadlock:`), instead of a wait for processes that do not
    /// run.
    pub fn run_alone(&self, pid: Option<u32>) {
        let solo = pid.map_or(EVERYONE, u64::from);
        self.shared.solo.store(solo, Ordering::Relaxed);
    }

    /// Sets how far a process's clock is from the simulation's.
    pub fn skew_clock(&self, pid: u32, skew: Skew) -> io::Result<()> {
        self.fault(
            pid,
            || format!("skew_clock({skew:?})"),
            |s| {
                let p = s
                    .procs
                    .get_mut(&pid)
                    .filter(|p| p.alive())
                    .ok_or_else(|| err(Errno::ESRCH))?;
                p.skew_nanos = match skew {
                    Skew::Ahead(d) => d.as_nanos() as i128,
                    Skew::Behind(d) => -(d.as_nanos() as i128),
                };
                Ok(())
            },
        )
    }

    /// Moves the virtual clock forward by `d` (waking sleepers whose time
    /// has come).
    pub fn advance(&self, d: Duration) {
        self.with_state(|s| {
            s.clock = later(s.clock, d);
            s.wake_all();
        });
    }

    /// Virtual time since the simulation started.
    pub fn elapsed(&self) -> Duration {
        self.with_state(|s| s.clock)
    }

    /// The simulation's wall clock (without any process's skew).
    pub fn now(&self) -> SystemTime {
        self.shared.start_time + self.elapsed()
    }

    /// Atomic steps taken so far by all processes.
    pub fn steps(&self) -> u64 {
        self.with_state(|s| s.steps)
    }

    /// Every call so far, in order (empty when tracing is off).
    pub fn trace(&self) -> Vec<TraceEvent> {
        self.with_state(|s| s.trace.clone())
    }

    /// The pids of running processes (not exited, not crashed), sorted.
    pub fn live_pids(&self) -> Vec<u32> {
        self.with_state(|s| {
            s.procs
                .iter()
                .filter(|(_, p)| p.alive())
                .map(|(pid, _)| *pid)
                .collect()
        })
    }

    /// The pids of live processes with a thread asleep waiting for a lock,
    /// sorted: a test can wait for this fact instead of for time.
    pub fn blocked_pids(&self) -> Vec<u32> {
        self.with_state(|s| {
            let blocked =
                |p: &state::ProcState| p.alive() && p.threads.values().any(|t| t.blocked_on_lock());
            s.procs
                .iter()
                .filter(|(_, p)| blocked(p))
                .map(|(pid, _)| *pid)
                .collect()
        })
    }

    /// Calls `observer` right after every later step, with a read-only
    /// view of the file system as that step left it; replaces any earlier
    /// observer. It runs inside the step, under the simulation's lock: it
    /// must not call back into this `SimFs` or its processes, nor use
    /// shuttle or loom primitives (record what it finds in std types, and
    /// act on it after the step). Under shuttle, breaking this rule panics
    /// with that explanation.
    pub fn observe(&self, observer: impl FnMut(&StepView<'_>) + Send + 'static) {
        let new = observe::Observer(Box::new(observer));
        let old = self.with_state(|s| s.observer.replace(new));
        // Dropped outside the step: it may own handles whose drop is a step.
        drop(old);
    }

    /// What the processes see now (the page cache).
    pub fn snapshot(&self) -> Snapshot {
        self.with_state(|s| Snapshot::new(s.cache.listing()))
    }

    /// What is durable now: what a power loss keeps at the least.
    pub fn durable_snapshot(&self) -> Snapshot {
        self.with_state(|s| Snapshot::new(s.durable.tree.listing()))
    }

    /// Makes every change so far durable, as `sync(2)` does: a power loss
    /// from now on keeps at least what the processes see now. Meant for
    /// the state a scenario starts from (files that existed before the
    /// run are on disk), so it is not a step of any process: it is not
    /// traced and takes no step.
    pub fn sync_all(&self) {
        self.with_state(|s| s.durable.sync_all());
    }

    /// The number of states a power loss now could leave on disk under the
    /// configured [`Profile`] (saturating; some may be equal).
    pub fn crash_state_count(&self) -> u64 {
        self.with_state(|s| s.durable.crash_state_count())
    }

    /// Crash state number `index` (see [`Profile`]): state 0 is the
    /// durable state alone, the last keeps every change.
    pub fn crash_state(&self, index: u64) -> Option<Snapshot> {
        let durable = self.with_state(|s| s.durable.clone());
        durable
            .crash_state(index)
            .map(|t| Snapshot::new(t.listing()))
    }

    /// Every crash state, in index order, distinct ones only. Lazy: take
    /// what you can afford when the count is large.
    pub fn crash_states(&self) -> impl Iterator<Item = Snapshot> + use<R> {
        let durable = self.with_state(|s| s.durable.clone());
        let mut seen = std::collections::HashSet::new();
        (0..durable.crash_state_count())
            .map_while(move |i| durable.crash_state(i))
            .map(|t| Snapshot::new(t.listing()))
            .filter(move |snap| seen.insert(snap.clone()))
    }

    /// Power loss: every process dies (its calls fail with `ESRCH`), every
    /// lock and descriptor is gone, and the file system comes back as crash
    /// state `index`, which is then durable. `EINVAL` if there is no such
    /// state.
    pub fn power_loss(&self, index: u64) -> io::Result<()> {
        self.fault(
            0,
            || format!("power loss, crash state {index}"),
            |s| {
                let tree = s
                    .durable
                    .crash_state(index)
                    .ok_or_else(|| err(Errno::EINVAL))?;
                s.power_loss(tree);
                Ok(())
            },
        )
    }

    /// A fault injected from outside the processes: one step, traced
    /// against the process it hits (pid 0 for the whole machine).
    fn fault(
        &self,
        pid: u32,
        call: impl FnOnce() -> String,
        f: impl FnOnce(&mut State) -> io::Result<()>,
    ) -> io::Result<()> {
        self.with_state(|s| {
            let result = f(s);
            if self.shared.trace {
                let shown = show::show_result(&result);
                s.trace.push(TraceEvent {
                    step: s.steps,
                    pid,
                    call: call(),
                    result: shown,
                });
            }
            s.end_step(pid);
            result
        })
    }
}
