//! SimFs's primitives under shuttle: one scheduling point per SimFs call.
//!
//! Shuttle's own `Mutex` takes a scheduling point when it is locked and
//! another when it is released, so a SimFs call built on it costs the
//! scheduler two decisions. The second one adds no SimFs history: it
//! comes before the lock is freed, so no other process's SimFs call can
//! run there, and any call that runs after it could as well run at the
//! caller's next call. (What it did add: another task's plain code, resumed
//! from a scheduling point of its own, between a SimFs call and the code
//! that follows it in the caller. Now that code runs atomically with the
//! call before it, as it does between two system calls of one thread that
//! the kernel does not preempt.) This mutex keeps the first point only.
//! Shuttle runs one task
//! at a time and never switches inside a SimFs call (the call neither locks
//! nor yields inside), so the std mutex underneath is never contended.
//!
//! The condition variable blocks the waiting task as a shuttle future
//! does, so shuttle sees a blocked task, never a spinning one, and a
//! deadlock of simulated processes is still a deadlock to shuttle.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, TryLockError};
use std::task::{Poll, Waker};

/// A mutex whose `lock` is exactly one shuttle scheduling point and whose
/// release is none.
pub struct Mutex<T> {
    data: std::sync::Mutex<T>,
    /// Loaded once per `lock`: a shuttle atomic access is a bare scheduling
    /// point (unlike `yield_now`, which also asks PCT to lower the task's
    /// priority).
    point: ::shuttle::sync::atomic::AtomicBool,
}

impl<T> Mutex<T> {
    /// A new mutex holding `value`. Create it inside a shuttle test.
    pub fn new(value: T) -> Self {
        Mutex {
            data: std::sync::Mutex::new(value),
            point: ::shuttle::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Lets the scheduler run another task, then takes the lock.
    pub fn lock(&self) -> Guard<'_, T> {
        self.point.load(Ordering::SeqCst);
        self.relock()
    }

    /// Takes the lock with no scheduling point. A poisoned lock is
    /// recovered, as SimFs keeps its state consistent across a panic.
    ///
    /// The lock is always free here, since no task switches while holding
    /// it, unless code running inside a step (an observer, say) took a
    /// scheduling point: then waiting would hang the OS thread that all
    /// shuttle tasks share, so this panics with the cause instead.
    fn relock(&self) -> Guard<'_, T> {
        let inner = match self.data.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => panic!(
                "lockcheck: the simulation's lock is held by a task that switched out inside \
                 a step; code that runs inside a step (a SimFs observer) must not call SimFs, \
                 its processes, or any shuttle primitive"
            ),
        };
        Guard { mutex: self, inner }
    }
}

/// The guard of a locked [`Mutex`].
pub struct Guard<'a, T> {
    mutex: &'a Mutex<T>,
    inner: std::sync::MutexGuard<'a, T>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

/// A condition variable for [`Mutex`].
#[derive(Default)]
pub struct Condvar {
    /// The tasks blocked in [`Condvar::wait`]: each one's wake-up flag and
    /// waker, in the order they came.
    waiters: std::sync::Mutex<Vec<(Arc<AtomicBool>, Waker)>>,
}

impl Condvar {
    /// Registers the calling task as a waiter, releases the lock, blocks
    /// until [`Condvar::notify_all`], and takes the lock again.
    ///
    /// Nothing runs between the release and the block (shuttle switches
    /// only at its scheduling points), so no notification is lost. The
    /// task blocks as a future does under `shuttle::future::block_on`, and
    /// returns only once notified: shuttle's `park` would let the scheduler
    /// wake it spuriously at every decision, which an unfair scheduler can
    /// turn into an endless spin. (Shuttle keeps a task's last wake-up
    /// flag after `block_on` returns, so a later wait may stay runnable for
    /// one decision before it sleeps: a wasted decision, not a wake-up.)
    /// When every task is blocked, shuttle still sees the deadlock.
    pub fn wait<'a, T>(&self, guard: Guard<'a, T>) -> Guard<'a, T> {
        let mutex = guard.mutex;
        let mut guard = Some(guard);
        let woken = Arc::new(AtomicBool::new(false));
        ::shuttle::future::block_on(std::future::poll_fn(|cx| {
            if let Some(g) = guard.take() {
                self.waiters
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((Arc::clone(&woken), cx.waker().clone()));
                drop(g);
            }
            if woken.load(Ordering::Relaxed) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        mutex.relock()
    }

    /// Wakes every waiting task. Not a scheduling point: the wake-up is
    /// part of the step that calls it.
    pub fn notify_all(&self) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|p| p.into_inner()));
        for (woken, waker) in waiters {
            woken.store(true, Ordering::Relaxed);
            waker.wake();
        }
    }
}
