//! Linearizability of a program's protocol operations: the interpreter
//! records each operation's call and outcome, by process index, into one
//! history per execution, typed by the sequential spec of the protocol's
//! family; at the end of the execution `linearizable` checks it.
//!
//! | protocol                   | spec            | recorded operations                    |
//! |----------------------------|-----------------|----------------------------------------|
//! | lock file (not fenced)     | `MutexSpec`     | acquire (`TryAcquire`), release        |
//! | lock file (fenced)         | `LeaseSpec`     | acquire (token), the fenced resource   |
//! | flock                      | `MutexSpec`     | acquire, release                       |
//! | claims                     | `ClaimSpec`     | claim                                  |
//! | registry                   | `RegistrySpec`  | add agent, update status               |
//! | task board                 | `TaskBoardSpec` | assign (status updates are not in it)  |
//!
//! Outcomes: what the operation returned (`ok`); `fail` when it certainly
//! did not take effect (a time-out, a lock found held, an error that left
//! the file alone); `info` (unknown) when the process crashed under it or an
//! I/O error struck midway. A crash also gives a lock's holder an
//! unknown-outcome release, invoked at the crash: the kernel drops a flock
//! at once, a lock file goes stale later. A lock-file refresh that finds
//! the lock lost is recorded as a release with unknown outcome too (the
//! process stops believing it holds the lock); a refresh that succeeds is
//! a failed (no-effect) release.

use std::collections::BTreeSet;
use std::fmt::Debug;

use lockcheck_lincheck::specs::{
    BoardInput, BoardOutput, Claim, ClaimOutput, ClaimSpec, LeaseInput, LeaseOutput, LeaseSpec,
    MutexInput, MutexOutput, MutexSpec, RegistryInput, RegistryOutput, RegistrySpec, TaskBoardSpec,
};
use lockcheck_lincheck::{CheckOptions, History, OpResult, Verdict, check_with};

use crate::program::Protocol;

/// The recorded protocol operations of one execution, typed by the spec
/// that checks them. History processes are scenario process indexes; the
/// setup's own operations (the fenced resource's initial value) belong to
/// process `n`, one past the last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpHistory {
    /// Unfenced lock files and flock: [`MutexSpec`].
    Mutex(History<MutexInput, MutexOutput>),
    /// Fenced lock files: [`LeaseSpec`].
    Lease(History<LeaseInput, LeaseOutput>),
    /// Claims: [`ClaimSpec`].
    Claim(History<Claim, ClaimOutput>),
    /// The agent registry: [`RegistrySpec`].
    Registry(History<RegistryInput, RegistryOutput>),
    /// The task board: [`TaskBoardSpec`].
    Board(History<BoardInput, BoardOutput>),
}

/// An operation's input, as the interpreter records it.
#[derive(Clone, Debug)]
pub(crate) enum Call {
    Mutex(MutexInput),
    Lease(LeaseInput),
    Claim(Claim),
    Registry(RegistryInput),
    Board(BoardInput),
}

/// An operation's output, as the interpreter records it.
#[derive(Clone, Debug)]
pub(crate) enum Return {
    Mutex(MutexOutput),
    Lease(LeaseOutput),
    Claim(ClaimOutput),
    Registry(RegistryOutput),
    Board(BoardOutput),
}

/// How much memory the checker's memo may take per execution.
const MEMO_BYTES: usize = 64 << 20;

impl OpHistory {
    /// An empty history for `protocol`'s spec, with `processes` processes.
    pub fn for_protocol(protocol: &Protocol, processes: usize) -> OpHistory {
        match protocol {
            Protocol::LockFile { .. } if protocol.fenced() => {
                // The fenced resource starts at 0: a write by the setup.
                let mut h = History::new();
                let setup = processes as u64;
                let _ = h.invoke(setup, LeaseInput::Write { token: 0, value: 0 });
                let _ = h.ok(setup, LeaseOutput::Accepted);
                OpHistory::Lease(h)
            }
            Protocol::LockFile { .. } | Protocol::Flock { .. } => OpHistory::Mutex(History::new()),
            Protocol::Claim { .. } => OpHistory::Claim(History::new()),
            Protocol::Registry { .. } => OpHistory::Registry(History::new()),
            Protocol::TaskBoard { .. } => OpHistory::Board(History::new()),
        }
    }

    /// The spec's name.
    pub fn spec_name(&self) -> &'static str {
        match self {
            OpHistory::Mutex(_) => "MutexSpec",
            OpHistory::Lease(_) => "LeaseSpec",
            OpHistory::Claim(_) => "ClaimSpec",
            OpHistory::Registry(_) => "RegistrySpec",
            OpHistory::Board(_) => "TaskBoardSpec",
        }
    }

    /// How many operations were recorded (failed ones included).
    pub fn len(&self) -> usize {
        match self {
            OpHistory::Mutex(h) => h.len(),
            OpHistory::Lease(h) => h.len(),
            OpHistory::Claim(h) => h.len(),
            OpHistory::Registry(h) => h.len(),
            OpHistory::Board(h) => h.len(),
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The checker's verdict against the spec (a 64 MiB memo; no time
    /// limit, so the verdict does not depend on the machine).
    pub fn check(&self) -> Verdict {
        let options = CheckOptions::default().with_memory_limit(MEMO_BYTES);
        match self {
            OpHistory::Mutex(h) => check_with(&MutexSpec, h, &options),
            OpHistory::Lease(h) => check_with(&LeaseSpec, h, &options),
            OpHistory::Claim(h) => check_with(&ClaimSpec, h, &options),
            OpHistory::Registry(h) => check_with(&RegistrySpec, h, &options),
            OpHistory::Board(h) => check_with(&TaskBoardSpec, h, &options),
        }
    }

    /// One line per operation: `op 3 [p1] Acquire(1) -> Ok(Acquired) @2..5`
    /// (the event positions of its call and return).
    pub fn lines(&self) -> Vec<String> {
        match self {
            OpHistory::Mutex(h) => lines(h),
            OpHistory::Lease(h) => lines(h),
            OpHistory::Claim(h) => lines(h),
            OpHistory::Registry(h) => lines(h),
            OpHistory::Board(h) => lines(h),
        }
    }

    /// The `linearizable` violation's detail, if the history is not
    /// linearizable: the verdict (longest linearizable prefix, operations
    /// that cannot be placed) and the history. An unknown verdict (the memo
    /// budget ran out) is not a violation.
    pub fn violation(&self) -> Option<String> {
        let verdict = self.check();
        if !verdict.is_not_linearizable() {
            return None;
        }
        let mut out = format!("{} against {}; history:", verdict, self.spec_name());
        for line in self.lines() {
            out.push_str("\n      ");
            out.push_str(&line);
        }
        Some(out)
    }

    fn invoke(&mut self, who: u64, call: Call) {
        let _ = match (self, call) {
            (OpHistory::Mutex(h), Call::Mutex(i)) => h.invoke(who, i),
            (OpHistory::Lease(h), Call::Lease(i)) => h.invoke(who, i),
            (OpHistory::Claim(h), Call::Claim(i)) => h.invoke(who, i),
            (OpHistory::Registry(h), Call::Registry(i)) => h.invoke(who, i),
            (OpHistory::Board(h), Call::Board(i)) => h.invoke(who, i),
            _ => return,
        };
    }

    fn ok(&mut self, who: u64, ret: Return) {
        let _ = match (self, ret) {
            (OpHistory::Mutex(h), Return::Mutex(o)) => h.ok(who, o),
            (OpHistory::Lease(h), Return::Lease(o)) => h.ok(who, o),
            (OpHistory::Claim(h), Return::Claim(o)) => h.ok(who, o),
            (OpHistory::Registry(h), Return::Registry(o)) => h.ok(who, o),
            (OpHistory::Board(h), Return::Board(o)) => h.ok(who, o),
            _ => return,
        };
    }

    fn end(&mut self, who: u64, failed: bool) {
        macro_rules! end {
            ($h:expr) => {{
                let _ = if failed { $h.fail(who) } else { $h.info(who) };
            }};
        }
        match self {
            OpHistory::Mutex(h) => end!(h),
            OpHistory::Lease(h) => end!(h),
            OpHistory::Claim(h) => end!(h),
            OpHistory::Registry(h) => end!(h),
            OpHistory::Board(h) => end!(h),
        }
    }
}

fn lines<I: Debug, O: Debug>(h: &History<I, O>) -> Vec<String> {
    h.ops()
        .iter()
        .map(|op| {
            let result = match &op.result {
                OpResult::Ok(o) => format!("{o:?}"),
                OpResult::Fail => "fail".into(),
                OpResult::Info | OpResult::Pending => "info (unknown)".into(),
            };
            let end = op.end.map_or("?".into(), |t| t.to_string());
            format!(
                "op {} [p{}] {:?} -> {} @{}..{}",
                op.id.0, op.process, op.input, result, op.call, end
            )
        })
        .collect()
}

/// The live recorder of one execution, kept in the ghost state: it drops
/// whatever a crashed process records after its crash.
#[derive(Debug)]
pub(crate) struct OpRecorder {
    history: OpHistory,
    crashed: BTreeSet<usize>,
}

impl OpRecorder {
    pub(crate) fn new(history: OpHistory) -> OpRecorder {
        OpRecorder {
            history,
            crashed: BTreeSet::new(),
        }
    }

    pub(crate) fn invoke(&mut self, who: usize, call: Call) {
        if !self.crashed.contains(&who) {
            self.history.invoke(who as u64, call);
        }
    }

    pub(crate) fn ok(&mut self, who: usize, ret: Return) {
        if !self.crashed.contains(&who) {
            self.history.ok(who as u64, ret);
        }
    }

    /// The pending operation certainly did not take effect.
    pub(crate) fn fail(&mut self, who: usize) {
        if !self.crashed.contains(&who) {
            self.history.end(who as u64, true);
        }
    }

    /// The pending operation's outcome is unknown.
    pub(crate) fn info(&mut self, who: usize) {
        if !self.crashed.contains(&who) {
            self.history.end(who as u64, false);
        }
    }

    /// Process `who` crashed: its pending operation's outcome is unknown,
    /// and a lock it may hold is released at some unknown time from now.
    pub(crate) fn crash(&mut self, who: usize) {
        if !self.crashed.insert(who) {
            return;
        }
        let p = who as u64;
        self.history.end(p, false);
        if let OpHistory::Mutex(h) = &mut self.history {
            let _ = h.invoke(p, MutexInput::Release(p));
            let _ = h.info(p);
        }
    }

    pub(crate) fn history(&self) -> &OpHistory {
        &self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockcheck_protocols::flock_lock::Release;

    fn mutex() -> OpRecorder {
        OpRecorder::new(OpHistory::for_protocol(
            &Protocol::flock(Release::KeepFile),
            2,
        ))
    }

    #[test]
    fn a_crashed_holder_releases_at_an_unknown_time_and_records_nothing_more() {
        let mut r = mutex();
        r.invoke(0, Call::Mutex(MutexInput::Acquire(0)));
        r.ok(0, Return::Mutex(MutexOutput::Acquired));
        r.crash(0);
        r.invoke(0, Call::Mutex(MutexInput::Release(0))); // after its death
        r.invoke(1, Call::Mutex(MutexInput::Acquire(1)));
        r.ok(1, Return::Mutex(MutexOutput::Acquired));
        let h = r.history();
        assert_eq!(h.len(), 3, "{:#?}", h.lines());
        assert!(h.check().is_linearizable(), "{}", h.check());
        assert_eq!(h.lines()[1], "op 1 [p0] Release(0) -> info (unknown) @2..3");
    }

    #[test]
    fn two_holders_at_once_are_reported_with_the_history() {
        let mut r = mutex();
        for who in [0, 1] {
            r.invoke(who, Call::Mutex(MutexInput::Acquire(who as u64)));
            r.ok(who, Return::Mutex(MutexOutput::Acquired));
        }
        let detail = r.history().violation().expect("two holders");
        assert_eq!(
            detail,
            "not linearizable (partition 0): longest linearizable prefix [0], then none of [1] \
             can be placed against MutexSpec; history:\n      \
             op 0 [p0] Acquire(0) -> Acquired @0..1\n      \
             op 1 [p1] Acquire(1) -> Acquired @2..3"
        );
    }

    #[test]
    fn the_fenced_resource_starts_at_zero_written_by_the_setup() {
        let protocol = Protocol::lockfile(lockcheck_protocols::lockfile::Refresh::Fenced);
        let h = OpHistory::for_protocol(&protocol, 2);
        assert_eq!(h.spec_name(), "LeaseSpec");
        assert_eq!(
            h.lines(),
            ["op 0 [p2] Write { token: 0, value: 0 } -> Accepted @0..1"]
        );
    }
}
