//! The history model: events per process in real-time order, and the
//! operations (call, return) intervals they form.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A process (client, thread, agent) that invokes one operation at a time.
pub type ProcessId = u64;

/// The index of an operation in its [`History`], in order of invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub usize);

/// One event of a history, as a process records it.
///
/// This is also the element of the JSON history format (see
/// [`crate::formats::json`]): `{"type":"invoke","process":0,"input":...}`,
/// `{"type":"ok","process":0,"output":...}`, `{"type":"fail","process":0}`,
/// `{"type":"info","process":0}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event<I, O> {
    /// The process calls an operation with this input.
    Invoke {
        /// Who calls.
        process: ProcessId,
        /// What it asks for.
        input: I,
    },
    /// The process's pending operation returned this output.
    Ok {
        /// Whose operation returned.
        process: ProcessId,
        /// What it returned.
        output: O,
    },
    /// The process's pending operation failed: it certainly did not take
    /// effect, so the checker ignores it.
    Fail {
        /// Whose operation failed.
        process: ProcessId,
    },
    /// The outcome of the process's pending operation is unknown (a time-out,
    /// a crash): it may have taken effect at any time after its call, or never.
    Info {
        /// Whose operation has an unknown outcome.
        process: ProcessId,
    },
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult<O> {
    /// It returned this output.
    Ok(O),
    /// It failed and did not take effect.
    Fail,
    /// Unknown outcome ([`Event::Info`]): it returns at +infinity.
    Info,
    /// No completion was recorded: treated like [`OpResult::Info`].
    Pending,
}

/// One operation: a call and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation<I, O> {
    /// Its index in the history.
    pub id: OpId,
    /// The process that called it.
    pub process: ProcessId,
    /// Its input.
    pub input: I,
    /// How it ended.
    pub result: OpResult<O>,
    /// Position of its invoke event in the history (a logical time).
    pub call: u64,
    /// Position of its completing event (ok, fail or info), if any.
    pub end: Option<u64>,
}

impl<I, O> Operation<I, O> {
    /// The output, for an operation that returned one.
    pub fn output(&self) -> Option<&O> {
        match &self.result {
            OpResult::Ok(o) => Some(o),
            _ => None,
        }
    }

    /// When it returns for the checker: the ok event's time, or `None`
    /// (+infinity) for info and pending operations.
    pub fn returns_at(&self) -> Option<u64> {
        match self.result {
            OpResult::Ok(_) => self.end,
            _ => None,
        }
    }

    /// Whether the checker considers it (failed operations did not happen).
    pub fn counts(&self) -> bool {
        !matches!(self.result, OpResult::Fail)
    }
}

/// A history could not be built from these events.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HistoryError {
    /// A process invoked an operation while its previous one was pending.
    #[error(
        "process {process} invoked an operation while its operation {pending:?} was still pending"
    )]
    AlreadyPending {
        /// The process.
        process: ProcessId,
        /// Its pending operation.
        pending: OpId,
    },
    /// An ok, fail or info event came from a process with nothing pending.
    #[error("process {process} completed an operation but had none pending")]
    NothingPending {
        /// The process.
        process: ProcessId,
    },
}

/// A concurrent history: operations with their real-time intervals.
///
/// Build one event by event ([`History::invoke`], [`History::ok`],
/// [`History::fail`], [`History::info`]) in the order they happened, or from
/// a list of [`Event`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History<I, O> {
    ops: Vec<Operation<I, O>>,
    pending: HashMap<ProcessId, usize>,
    clock: u64,
}

impl<I, O> Default for History<I, O> {
    fn default() -> Self {
        History {
            ops: Vec::new(),
            pending: HashMap::new(),
            clock: 0,
        }
    }
}

impl<I, O> History<I, O> {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a history from events in real-time order.
    pub fn from_events(
        events: impl IntoIterator<Item = Event<I, O>>,
    ) -> Result<Self, HistoryError> {
        let mut h = History::new();
        for e in events {
            h.push(e)?;
        }
        Ok(h)
    }

    /// Records one event.
    pub fn push(&mut self, event: Event<I, O>) -> Result<(), HistoryError> {
        match event {
            Event::Invoke { process, input } => self.invoke(process, input).map(drop),
            Event::Ok { process, output } => self.ok(process, output).map(drop),
            Event::Fail { process } => self.fail(process).map(drop),
            Event::Info { process } => self.info(process).map(drop),
        }
    }

    /// `process` calls an operation; returns its id.
    pub fn invoke(&mut self, process: ProcessId, input: I) -> Result<OpId, HistoryError> {
        if let Some(&i) = self.pending.get(&process) {
            return Err(HistoryError::AlreadyPending {
                process,
                pending: OpId(i),
            });
        }
        let id = OpId(self.ops.len());
        self.pending.insert(process, id.0);
        let call = self.tick();
        self.ops.push(Operation {
            id,
            process,
            input,
            result: OpResult::Pending,
            call,
            end: None,
        });
        Ok(id)
    }

    /// `process`'s pending operation returned `output`.
    pub fn ok(&mut self, process: ProcessId, output: O) -> Result<OpId, HistoryError> {
        self.complete(process, OpResult::Ok(output))
    }

    /// `process`'s pending operation failed (did not take effect).
    pub fn fail(&mut self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.complete(process, OpResult::Fail)
    }

    /// `process`'s pending operation has an unknown outcome.
    pub fn info(&mut self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.complete(process, OpResult::Info)
    }

    fn complete(&mut self, process: ProcessId, result: OpResult<O>) -> Result<OpId, HistoryError> {
        let i = self
            .pending
            .remove(&process)
            .ok_or(HistoryError::NothingPending { process })?;
        let t = self.tick();
        let op = &mut self.ops[i];
        op.result = result;
        op.end = Some(t);
        Ok(OpId(i))
    }

    fn tick(&mut self) -> u64 {
        let t = self.clock;
        self.clock += 1;
        t
    }

    /// Every operation, in order of invocation (failed ones included).
    pub fn ops(&self) -> &[Operation<I, O>] {
        &self.ops
    }

    /// One operation.
    pub fn op(&self, id: OpId) -> &Operation<I, O> {
        &self.ops[id.0]
    }

    /// How many operations (failed ones included).
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether no operation was invoked.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The number of events recorded (the history's logical end time).
    pub fn end_time(&self) -> u64 {
        self.clock
    }

    /// The events again, in real-time order.
    pub fn to_events(&self) -> Vec<Event<I, O>>
    where
        I: Clone,
        O: Clone,
    {
        let mut timed: Vec<(u64, Event<I, O>)> = Vec::with_capacity(self.ops.len() * 2);
        for op in &self.ops {
            let process = op.process;
            timed.push((
                op.call,
                Event::Invoke {
                    process,
                    input: op.input.clone(),
                },
            ));
            if let Some(t) = op.end {
                let e = match &op.result {
                    OpResult::Ok(o) => Event::Ok {
                        process,
                        output: o.clone(),
                    },
                    OpResult::Fail => Event::Fail { process },
                    OpResult::Info | OpResult::Pending => Event::Info { process },
                };
                timed.push((t, e));
            }
        }
        timed.sort_by_key(|(t, _)| *t);
        timed.into_iter().map(|(_, e)| e).collect()
    }
}
