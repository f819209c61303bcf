//! Ghost state: what the monitors know that the file system does not (who
//! believes it is inside its critical section, which updates were
//! acknowledged), kept beside one execution and updated atomically with
//! the steps around it.
//!
//! It sits behind a std mutex on purpose: taking it is not a scheduling
//! point for shuttle or loom. Under shuttle a SimFs call's one scheduling
//! point is at its start, so a process's ghost updates are atomic with the
//! step just before them: no other process runs in between (loom, whose
//! mutex also switches on release, may run one there).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use lockcheck_fs::StepView;
use lockcheck_protocols::history::History;

use crate::linearizable::{OpHistory, OpRecorder};
use crate::property::{Property, Violation};
use crate::verdict::Limit;

/// The ghost state of one execution.
#[derive(Debug, Default)]
pub struct Ghost {
    state: Mutex<GhostState>,
    history: Arc<History>,
}

#[derive(Debug, Default)]
pub(crate) struct GhostState {
    /// Processes (by index) inside their critical section.
    pub inside: BTreeMap<usize, u32>,
    /// The first violation seen.
    pub violation: Option<Violation>,
    /// The last step the observer saw.
    pub step: Option<u64>,
    /// Critical-section increments acknowledged to their process.
    pub increments: u64,
    /// The fenced resource: the largest token it has seen, and its value.
    pub fence: (u64, u64),
    /// Acknowledged adds and claims, by process index.
    pub acked: Vec<(usize, String)>,
    /// Winners of each claimed task.
    pub claims: BTreeMap<String, Vec<usize>>,
    /// Processes waiting for a lock, with the step they began.
    pub waiting: BTreeMap<usize, u64>,
    /// The step since which the lock is free (none inside).
    pub free_since: u64,
    /// The properties checked in this execution.
    pub watched: Vec<Property>,
    /// Processes (by index) that crashed: they do nothing more, not even
    /// ghost-only work such as writes to the fenced resource.
    pub crashed: std::collections::BTreeSet<usize>,
    /// The protocol operations' history, when the execution records one.
    pub ops: Option<OpRecorder>,
    /// Per process (by index): operations completed, critical sections
    /// entered (for [`crate::Reached`]).
    pub progress: Vec<(u64, u64)>,
    /// A hash of which process took each step, in order: executions with
    /// different interleavings get different fingerprints.
    pub fingerprint: u64,
    /// The budget limit that cut this execution short, if any.
    pub limit: Option<Limit>,
}

impl Ghost {
    /// Ghost state for an execution that checks `watched`.
    pub fn new(watched: Vec<Property>) -> Ghost {
        let ghost = Ghost::default();
        ghost.lock().watched = watched;
        ghost
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, GhostState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records `violation` unless one was already seen.
    pub fn violate(&self, property: Property, detail: impl Into<String>) {
        let mut g = self.lock();
        let step = g.step;
        g.record(Violation {
            property,
            step,
            detail: detail.into(),
        });
    }

    /// The history of the operations that report one (the task board's).
    pub fn history(&self) -> Arc<History> {
        self.history.clone()
    }

    /// The first violation seen, if any.
    pub fn violation(&self) -> Option<Violation> {
        self.lock().violation.clone()
    }

    /// Starts recording protocol operations into `history`.
    pub(crate) fn record_ops(&self, history: OpHistory) {
        self.lock().ops = Some(OpRecorder::new(history));
    }

    /// The protocol operations recorded so far, if recording.
    pub(crate) fn op_history(&self) -> Option<OpHistory> {
        self.lock().ops.as_ref().map(|r| r.history().clone())
    }
}

impl GhostState {
    /// Whether a property of this name is checked.
    pub(crate) fn watches(&self, name: &str) -> bool {
        self.watched.iter().any(|p| p.name() == name)
    }

    /// Records the first violation; none after a limit of the explorer
    /// cut the execution short (a process stopped midway proves nothing).
    pub(crate) fn record(&mut self, v: Violation) {
        if self.violation.is_none() && self.limit.is_none() {
            self.violation = Some(v);
        }
    }

    /// Process `who` (pid `pid`) enters its critical section.
    /// A process the explorer has already killed (its crash is recorded
    /// here just before the file system's, and it may finish the call it
    /// was in between the two) no longer counts.
    pub(crate) fn enter(&mut self, who: usize, pid: u32) {
        self.waiting.remove(&who);
        if self.crashed.contains(&who) {
            return;
        }
        if let Some((other, other_pid)) = self.inside.iter().next()
            && self.watches("mutual-exclusion")
        {
            let detail = format!(
                "process {who} (p{pid}) entered its critical section while process {other} \
                 (p{other_pid}) was inside its own"
            );
            let step = self.step;
            self.record(Violation {
                property: Property::MutualExclusion,
                step,
                detail,
            });
        }
        self.inside.insert(who, pid);
        self.progress_of(who).1 += 1;
    }

    /// Process `who` completed an operation (unless it crashed).
    pub(crate) fn completed(&mut self, who: usize) {
        if !self.crashed.contains(&who) {
            self.progress_of(who).0 += 1;
        }
    }

    fn progress_of(&mut self, who: usize) -> &mut (u64, u64) {
        if self.progress.len() <= who {
            self.progress.resize(who + 1, (0, 0));
        }
        &mut self.progress[who]
    }

    /// Process `who` was killed: it leaves its critical section, stops
    /// waiting, and its pending operation's outcome becomes unknown.
    pub(crate) fn crash(&mut self, who: usize) {
        self.exit(who);
        self.waiting.remove(&who);
        self.crashed.insert(who);
        if let Some(ops) = &mut self.ops {
            ops.crash(who);
        }
    }

    /// Process `who` leaves its critical section.
    pub(crate) fn exit(&mut self, who: usize) {
        if self.inside.remove(&who).is_some() && self.inside.is_empty() {
            self.free_since = self.step.map_or(0, |s| s + 1);
        }
    }
}

/// The per-step monitors of one execution, as a SimFs observer.
pub(crate) fn step_monitor(
    ghost: Arc<Ghost>,
    properties: Vec<Property>,
) -> impl FnMut(&StepView<'_>) + Send + 'static {
    move |view| {
        let mut g = ghost.lock();
        g.step = Some(view.step());
        g.fingerprint = fold(g.fingerprint, view.pid());
        if g.violation.is_some() {
            return;
        }
        for p in &properties {
            if let Some(detail) = check_step(p, &g, view) {
                let step = Some(view.step());
                g.record(Violation {
                    property: p.clone(),
                    step,
                    detail,
                });
                return;
            }
        }
    }
}

/// FNV-1a over the pids of the steps, one at a time.
fn fold(hash: u64, pid: u32) -> u64 {
    const PRIME: u64 = 0x0100_0000_01b3;
    let start = if hash == 0 {
        0xcbf2_9ce4_8422_2325
    } else {
        hash
    };
    pid.to_le_bytes()
        .iter()
        .fold(start, |h, b| (h ^ u64::from(*b)).wrapping_mul(PRIME))
}

fn check_step(p: &Property, g: &GhostState, view: &StepView<'_>) -> Option<String> {
    match p {
        Property::JsonParses { path, allow_empty } => {
            let bytes = view.file(path)?;
            if *allow_empty && bytes.is_empty() {
                return None;
            }
            serde_json::from_slice::<serde_json::Value>(bytes)
                .err()
                .map(|e| {
                    format!(
                        "{path} does not parse ({e}): {}",
                        lockcheck_fs::show_bytes(bytes)
                    )
                })
        }
        Property::LockFilePresent { path } => {
            let (who, pid) = g.inside.iter().next()?;
            (!view.exists(path))
                .then(|| format!("{path} is missing while process {who} (p{pid}) holds the lock"))
        }
        Property::BoundedLiveness { steps } => {
            if !g.inside.is_empty() {
                return None;
            }
            let (who, since) = g.waiting.iter().min_by_key(|(_, s)| **s)?;
            let free = (*since).max(g.free_since);
            (view.step().saturating_sub(free) > *steps).then(|| {
                format!("process {who} has waited {steps}+ steps for a lock that nobody holds")
            })
        }
        _ => None,
    }
}
