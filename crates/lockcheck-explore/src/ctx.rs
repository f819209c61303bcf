//! What a simulated process's code gets besides its file system: who it
//! is, and the calls that tell the monitors what it believes and what it
//! was told.

use std::sync::Arc;

use lockcheck_fs::sync::Runtime;
use lockcheck_fs::{SimFs, SimProc};

use lockcheck_protocols::history::History;

use crate::ghost::Ghost;
use crate::linearizable::{Call, Return};
use crate::property::{Property, Violation};

/// One process of an execution: its [`SimProc`] (an `Fs`, `Clock` and
/// `ProcessInfo`) and its link to the monitors.
pub struct Ctx<R: Runtime> {
    index: usize,
    proc: SimProc<R>,
    fs: SimFs<R>,
    ghost: Arc<Ghost>,
}

impl<R: Runtime> Ctx<R> {
    pub(crate) fn new(index: usize, proc: SimProc<R>, fs: SimFs<R>, ghost: Arc<Ghost>) -> Self {
        Ctx {
            index,
            proc,
            fs,
            ghost,
        }
    }

    /// The process's file system, clock and process table.
    pub fn proc(&self) -> &SimProc<R> {
        &self.proc
    }

    /// The process's number in its scenario, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The process's pid.
    pub fn pid(&self) -> u32 {
        lockcheck_fs::ProcessInfo::pid(&self.proc)
    }

    /// The process now believes it holds the lock: `mutual-exclusion`
    /// fails if another process believes so too.
    pub fn enter(&self) {
        let pid = self.pid();
        self.ghost.lock().enter(self.index, pid);
    }

    /// The process no longer believes it holds the lock.
    pub fn exit(&self) {
        self.ghost.lock().exit(self.index);
    }

    /// The process starts waiting for the lock (for `bounded-liveness`).
    pub fn waiting(&self) {
        let mut g = self.ghost.lock();
        if g.crashed.contains(&self.index) {
            return;
        }
        let step = g.step.map_or(0, |s| s + 1);
        g.waiting.insert(self.index, step);
    }

    /// The process completed an operation: counted in the report's
    /// [`crate::Reached`], so that a "safe" verdict in which this process
    /// never got anywhere is reported as vacuous instead
    /// ([`crate::Verdict::Vacuous`]). Protocol operations report their
    /// own; a user's process calls it after each piece of work it cares
    /// about (one with a critical section may rely on [`Ctx::enter`]).
    pub fn completed(&self) {
        self.ghost.lock().completed(self.index);
    }

    /// Reads the whole file at `path` (one `read_file`) and reports the
    /// bytes read to `json-read-parses`: what this reader saw must parse.
    pub fn read_file(&self, path: &str) -> std::io::Result<Vec<u8>> {
        let bytes = lockcheck_fs::Fs::read_file(&self.proc, path)?;
        self.saw(path, &bytes);
        Ok(bytes)
    }

    /// The process read the whole file at `path` and got `bytes`:
    /// `json-read-parses` of that path fails if they do not parse.
    pub(crate) fn saw(&self, path: &str, bytes: &[u8]) {
        let mut g = self.ghost.lock();
        if g.crashed.contains(&self.index) {
            return;
        }
        let watched = g
            .watched
            .iter()
            .any(|p| matches!(p, Property::JsonReadParses { path: w } if w == path));
        if !watched {
            return;
        }
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(bytes) {
            let detail = format!(
                "process {} read {path} and got what does not parse ({e}): {}",
                self.index,
                lockcheck_fs::show_bytes(bytes)
            );
            let step = g.step;
            g.record(Violation {
                property: Property::JsonReadParses {
                    path: path.to_string(),
                },
                step,
                detail,
            });
        }
    }

    /// A check of the process's own failed: the `assertion` property.
    /// Ignored once the process has been killed by a fault: nothing it
    /// does after its crash is its own.
    pub fn fail(&self, detail: impl Into<String>) {
        if self.crashed() {
            return;
        }
        let detail = format!("process {}: {}", self.index, detail.into());
        self.ghost.violate(Property::Assertion, detail);
    }

    /// An update (an added agent) was acknowledged to the process.
    pub fn acknowledge(&self, id: &str) {
        self.ghost.lock().acked.push((self.index, id.to_string()));
    }

    /// The process was told it claimed `task`: `claimed-once` fails if
    /// another was told so too.
    pub fn claimed(&self, task: &str) {
        let mut g = self.ghost.lock();
        let winners = g.claims.entry(task.to_string()).or_default();
        winners.push(self.index);
        if winners.len() > 1 && g.watches("claimed-once") {
            let detail = format!("task {task} was claimed by processes {:?}", g.claims[task]);
            let step = g.step;
            g.record(Violation {
                property: Property::ClaimedOnce,
                step,
                detail,
            });
        }
    }

    /// The history the task board's operations report to.
    pub(crate) fn history(&self) -> Arc<History> {
        self.ghost.history()
    }

    /// The critical section's increment was acknowledged.
    pub(crate) fn incremented(&self) {
        self.ghost.lock().increments += 1;
    }

    /// Reads the fenced resource's value with `token`; `None` if it
    /// refuses the token (it has seen a larger one), or if the process
    /// has crashed. Recorded (when recording) as a read of the value and
    /// a write of the same value with `token`, accepted or rejected: a
    /// fenced read raises the resource's fence like a write does.
    pub(crate) fn fenced_read(&self, token: u64) -> Option<u64> {
        use lockcheck_lincheck::specs::{LeaseInput, LeaseOutput};
        let mut g = self.ghost.lock();
        if g.crashed.contains(&self.index) {
            return None;
        }
        let (fence, value) = g.fence;
        if let Some(ops) = &mut g.ops {
            let value = value as i64;
            if token >= fence {
                ops.invoke(self.index, Call::Lease(LeaseInput::Read));
                ops.ok(self.index, Return::Lease(LeaseOutput::Value(Some(value))));
            }
            ops.invoke(self.index, Call::Lease(LeaseInput::Write { token, value }));
            let accepted = token >= fence;
            let out = if accepted {
                LeaseOutput::Accepted
            } else {
                LeaseOutput::Rejected
            };
            ops.ok(self.index, Return::Lease(out));
        }
        if token < fence {
            return None;
        }
        g.fence.0 = token;
        Some(value)
    }

    /// Writes `value` to the fenced resource with `token`, unless it has
    /// seen a larger token since (or the process crashed); an accepted
    /// write is an acknowledged increment.
    pub(crate) fn fenced_write(&self, token: u64, value: u64) {
        use lockcheck_lincheck::specs::{LeaseInput, LeaseOutput};
        let mut g = self.ghost.lock();
        if g.crashed.contains(&self.index) {
            return;
        }
        let accepted = token >= g.fence.0;
        if let Some(ops) = &mut g.ops {
            let value = value as i64;
            ops.invoke(self.index, Call::Lease(LeaseInput::Write { token, value }));
            let out = if accepted {
                LeaseOutput::Accepted
            } else {
                LeaseOutput::Rejected
            };
            ops.ok(self.index, Return::Lease(out));
        }
        if accepted {
            g.fence = (token, value);
            g.increments += 1;
        }
    }

    /// Whether the process has crashed.
    pub(crate) fn crashed(&self) -> bool {
        self.ghost.lock().crashed.contains(&self.index)
    }

    /// Records the call of a protocol operation (when recording).
    pub(crate) fn invoke(&self, call: Call) {
        if let Some(ops) = &mut self.ghost.lock().ops {
            ops.invoke(self.index, call);
        }
    }

    /// Records that the pending operation returned `ret`: it completed.
    pub(crate) fn returned(&self, ret: Return) {
        let mut g = self.ghost.lock();
        g.completed(self.index);
        if let Some(ops) = &mut g.ops {
            ops.ok(self.index, ret);
        }
    }

    /// Records that the pending operation certainly did not take effect.
    pub(crate) fn failed(&self) {
        if let Some(ops) = &mut self.ghost.lock().ops {
            ops.fail(self.index);
        }
    }

    /// Records that the pending operation's outcome is unknown.
    pub(crate) fn unknown(&self) {
        if let Some(ops) = &mut self.ghost.lock().ops {
            ops.info(self.index);
        }
    }

    /// The process kills itself (SIGKILL): its beliefs die with it.
    pub(crate) fn crash_self(&self) {
        self.ghost.lock().crash(self.index);
        self.fs.crash(self.pid());
    }
}
