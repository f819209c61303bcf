//! The one sync abstraction SimFs (and the explorers) run on: a mutex, a
//! condition variable and `yield`, implemented by std, shuttle and loom.
//!
//! SimFs is generic over [`Runtime`], so the same simulated file system runs
//! under real threads ([`StdRuntime`]), under shuttle's controlled scheduler
//! ([`ShuttleRuntime`]) and under loom's exhaustive one ([`LoomRuntime`]) in
//! one `cargo test` build. Every SimFs call takes the mutex once, which is
//! what makes each call one atomic step and one scheduling point; a call that
//! must wait (a blocked lock, a sleep) waits on the condition variable, so
//! shuttle and loom see a blocked thread, never a spinning one.

use std::ops::DerefMut;

pub mod shuttle;

/// A family of synchronization primitives.
pub trait Runtime: Send + Sync + Sized + 'static {
    /// A mutual-exclusion lock holding a `T`.
    type Mutex<T: Send>: Send + Sync;
    /// The guard of a locked [`Runtime::Mutex`].
    type Guard<'a, T: Send + 'a>: DerefMut<Target = T>;
    /// A condition variable used with a [`Runtime::Mutex`].
    type Condvar: Send + Sync;

    /// A new mutex holding `value`.
    fn mutex<T: Send>(value: T) -> Self::Mutex<T>;
    /// Locks the mutex. A poisoned std mutex is recovered: SimFs keeps its
    /// state consistent across a panic in a simulated process.
    fn lock<T: Send>(mutex: &Self::Mutex<T>) -> Self::Guard<'_, T>;
    /// A new condition variable.
    fn condvar() -> Self::Condvar;
    /// Releases the guard, waits for a notification and locks again.
    fn wait<'a, T: Send>(cv: &Self::Condvar, guard: Self::Guard<'a, T>) -> Self::Guard<'a, T>;
    /// Like [`Runtime::wait`], but gives up after `patience` of real time
    /// and says so (`true`). Runtimes that control time themselves (shuttle,
    /// loom) never give up: their schedulers report a stuck test.
    fn wait_patiently<'a, T: Send>(
        cv: &Self::Condvar,
        guard: Self::Guard<'a, T>,
        patience: std::time::Duration,
    ) -> (Self::Guard<'a, T>, bool) {
        let _ = patience;
        (Self::wait(cv, guard), false)
    }
    /// Wakes every waiter.
    fn notify_all(cv: &Self::Condvar);
    /// Lets another thread run.
    fn yield_now();
}

/// Real threads: `std::sync`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdRuntime;

impl Runtime for StdRuntime {
    type Mutex<T: Send> = std::sync::Mutex<T>;
    type Guard<'a, T: Send + 'a> = std::sync::MutexGuard<'a, T>;
    type Condvar = std::sync::Condvar;

    fn mutex<T: Send>(value: T) -> Self::Mutex<T> {
        std::sync::Mutex::new(value)
    }
    fn lock<T: Send>(mutex: &Self::Mutex<T>) -> Self::Guard<'_, T> {
        mutex.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn condvar() -> Self::Condvar {
        std::sync::Condvar::new()
    }
    fn wait<'a, T: Send>(cv: &Self::Condvar, guard: Self::Guard<'a, T>) -> Self::Guard<'a, T> {
        cv.wait(guard).unwrap_or_else(|p| p.into_inner())
    }
    fn wait_patiently<'a, T: Send>(
        cv: &Self::Condvar,
        guard: Self::Guard<'a, T>,
        patience: std::time::Duration,
    ) -> (Self::Guard<'a, T>, bool) {
        let (guard, timeout) = cv
            .wait_timeout(guard, patience)
            .unwrap_or_else(|p| p.into_inner());
        (guard, timeout.timed_out())
    }
    fn notify_all(cv: &Self::Condvar) {
        cv.notify_all()
    }
    fn yield_now() {
        std::thread::yield_now()
    }
}

/// Shuttle's controlled threads (random, PCT, DFS and replay schedulers).
/// Must be used inside a shuttle test (`shuttle::check_*`, `Runner`).
///
/// Each lock is one scheduling point and each release none (see
/// [`self::shuttle`]): half the decisions shuttle's own `Mutex`
/// would cost, for the same set of reachable SimFs histories.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShuttleRuntime;

impl Runtime for ShuttleRuntime {
    type Mutex<T: Send> = shuttle::Mutex<T>;
    type Guard<'a, T: Send + 'a> = shuttle::Guard<'a, T>;
    type Condvar = shuttle::Condvar;

    fn mutex<T: Send>(value: T) -> Self::Mutex<T> {
        shuttle::Mutex::new(value)
    }
    fn lock<T: Send>(mutex: &Self::Mutex<T>) -> Self::Guard<'_, T> {
        mutex.lock()
    }
    fn condvar() -> Self::Condvar {
        shuttle::Condvar::default()
    }
    fn wait<'a, T: Send>(cv: &Self::Condvar, guard: Self::Guard<'a, T>) -> Self::Guard<'a, T> {
        cv.wait(guard)
    }
    fn notify_all(cv: &Self::Condvar) {
        cv.notify_all()
    }
    fn yield_now() {
        ::shuttle::thread::yield_now()
    }
}

/// Loom's exhaustive model checker. Must be used inside `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoomRuntime;

impl Runtime for LoomRuntime {
    type Mutex<T: Send> = loom::sync::Mutex<T>;
    type Guard<'a, T: Send + 'a> = loom::sync::MutexGuard<'a, T>;
    type Condvar = loom::sync::Condvar;

    fn mutex<T: Send>(value: T) -> Self::Mutex<T> {
        loom::sync::Mutex::new(value)
    }
    fn lock<T: Send>(mutex: &Self::Mutex<T>) -> Self::Guard<'_, T> {
        mutex.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn condvar() -> Self::Condvar {
        loom::sync::Condvar::new()
    }
    fn wait<'a, T: Send>(cv: &Self::Condvar, guard: Self::Guard<'a, T>) -> Self::Guard<'a, T> {
        cv.wait(guard).unwrap_or_else(|p| p.into_inner())
    }
    fn notify_all(cv: &Self::Condvar) {
        cv.notify_all()
    }
    fn yield_now() {
        loom::thread::yield_now()
    }
}
