//! Whether a thread is asleep waiting for a lock: the fact a test waits for
//! instead of for time ([`super::SimFs::blocked_pids`] per process,
//! [`SimProc::is_blocked`] per thread).

use super::proc::SimProc;
use super::state::{Status, ThreadState};
use crate::sync::Runtime;

impl ThreadState {
    /// Asleep on the condvar waiting for a lock, and not woken since it
    /// last found the lock taken: only another step can let it proceed.
    pub(crate) fn blocked_on_lock(&self) -> bool {
        self.parked && self.status == Status::Waiting(None)
    }
}

impl<R: Runtime> SimProc<R> {
    /// True while this handle's thread is asleep waiting for a lock (a
    /// blocking `lock` call that found a conflict and has not been woken
    /// since). A woken waiter counts as running until it has looked again.
    pub fn is_blocked(&self) -> bool {
        let mut g = self.enter();
        let blocked = g.thread_mut(self.who).is_some_and(|t| t.blocked_on_lock());
        self.leave(g);
        blocked
    }
}
