//! A history recorder that threads (or simulated processes) share.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::history::{History, HistoryError, OpId, ProcessId};

/// A cloneable handle on one [`History`], recording events from many
/// threads in the order they take its lock. Record `invoke` just before an
/// operation starts and its completion just after it ends, so that each
/// operation's recorded interval contains its real one.
#[derive(Debug)]
pub struct Recorder<I, O> {
    inner: Arc<Mutex<History<I, O>>>,
}

impl<I, O> Clone for Recorder<I, O> {
    fn clone(&self) -> Self {
        Recorder {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<I, O> Default for Recorder<I, O> {
    fn default() -> Self {
        Recorder {
            inner: Arc::new(Mutex::new(History::new())),
        }
    }
}

impl<I, O> Recorder<I, O> {
    /// A recorder of an empty history.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, History<I, O>> {
        // A panic while recording cannot leave the history half-updated.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an invocation; see [`History::invoke`].
    pub fn invoke(&self, process: ProcessId, input: I) -> Result<OpId, HistoryError> {
        self.lock().invoke(process, input)
    }

    /// Records a return; see [`History::ok`].
    pub fn ok(&self, process: ProcessId, output: O) -> Result<OpId, HistoryError> {
        self.lock().ok(process, output)
    }

    /// Records a failure; see [`History::fail`].
    pub fn fail(&self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.lock().fail(process)
    }

    /// Records an unknown outcome; see [`History::info`].
    pub fn info(&self, process: ProcessId) -> Result<OpId, HistoryError> {
        self.lock().info(process)
    }

    /// A copy of the history so far.
    pub fn snapshot(&self) -> History<I, O>
    where
        I: Clone,
        O: Clone,
    {
        self.lock().clone()
    }

    /// The history, taken out of the recorder (which is left empty).
    pub fn take(&self) -> History<I, O> {
        std::mem::take(&mut *self.lock())
    }
}
