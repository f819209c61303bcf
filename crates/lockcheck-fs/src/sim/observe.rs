//! Watching every step: [`super::SimFs::observe`] installs a function that
//! SimFs calls right after each atomic step, with a read-only
//! [`StepView`] of the file system as the step left it. Explorers build
//! their per-step monitors on it (a watched file always parses, a held
//! lock file is never missing).

use std::time::Duration;

use super::state::State;
use super::tree::Node;
use crate::path::components;

/// The function [`super::SimFs::observe`] installs.
pub(crate) struct Observer(pub Box<dyn FnMut(&StepView<'_>) + Send>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// The file system right after one step, as every process now sees it
/// (the page cache). Only for looking: the step is over and the next has
/// not begun.
pub struct StepView<'a> {
    pub(super) state: &'a State,
    pub(super) pid: u32,
    pub(super) step: u64,
}

impl StepView<'_> {
    /// The number of the step just taken (as in the trace).
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The process that took it.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Virtual time since the simulation began.
    pub fn elapsed(&self) -> Duration {
        self.state.clock
    }

    /// The contents of the regular file at `path`; `None` if the path
    /// does not name one.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match &self.state.cache.get(self.ino(path)?)?.node {
            Node::File(data) => Some(data),
            Node::Dir(_) => None,
        }
    }

    /// Whether anything (file or directory) is at `path`.
    pub fn exists(&self, path: &str) -> bool {
        self.ino(path).is_some()
    }

    /// The names in the directory at `path` (`""` for the root), sorted;
    /// empty if it is not a directory.
    pub fn names(&self, dir: &str) -> Vec<&str> {
        let ino = if dir.is_empty() {
            Some(super::tree::ROOT)
        } else {
            self.ino(dir)
        };
        ino.and_then(|ino| self.state.cache.entries(ino))
            .map(|e| e.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn ino(&self, path: &str) -> Option<u64> {
        let c = components(path.as_ref()).ok()?;
        self.state.resolve(&c).ok()
    }
}

impl State {
    /// Ends a step: counts it and shows it to the observer, if any.
    pub(crate) fn end_step(&mut self, pid: u32) {
        let step = self.steps;
        self.steps += 1;
        if let Some(mut observer) = self.observer.take() {
            (observer.0)(&StepView {
                state: self,
                pid,
                step,
            });
            self.observer = Some(observer);
        }
    }
}
