//! How SimFs meets shuttle's scheduler: every SimFs call is exactly one
//! scheduling decision, and a process blocked in SimFs returns only when a
//! step wakes it, so no scheduler (however unfair) can spin on it;
//! and code that switches tasks inside a step is reported, not hung.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Fs, LockApi, LockKind, OpenOptions, SimFs, Wait};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};
use shuttle::{Config, Runner};

mod common;
use common::panic_message;

/// Runs one execution, always choosing the runnable task with the lowest
/// id (the main thread whenever it can run), and counts the decisions.
struct LowestFirst {
    decisions: Arc<AtomicUsize>,
    started: bool,
}

impl Scheduler for LowestFirst {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            None
        } else {
            Some(Schedule::new(0))
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        _current: Option<TaskId>,
        _yielding: bool,
    ) -> Option<TaskId> {
        self.decisions.fetch_add(1, Ordering::Relaxed);
        runnable.iter().map(|t| t.id()).min()
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// The scheduling decisions one execution of `f` takes.
fn decisions(f: impl Fn() + Send + Sync + 'static) -> usize {
    let count = Arc::new(AtomicUsize::new(0));
    let scheduler = LowestFirst {
        decisions: Arc::clone(&count),
        started: false,
    };
    Runner::new(scheduler, Config::new()).run(f);
    count.load(Ordering::Relaxed)
}

/// One process making `calls` stat calls.
fn stats(calls: usize) -> usize {
    decisions(move || {
        let fs = SimFs::<ShuttleRuntime>::default();
        let p = fs.spawn();
        for _ in 0..calls {
            let _ = p.stat("nothing");
        }
    })
}

#[test]
fn every_simfs_call_is_exactly_one_scheduling_decision() {
    assert_eq!(stats(20) - stats(10), 10);
}

#[test]
fn a_process_blocked_on_a_lock_is_not_scheduled_until_the_holder_releases() {
    // The main thread waits for a flock the child holds. A scheduler that
    // always prefers the main thread would spin forever on a waiter that
    // stayed runnable (shuttle's `park` allows spurious wake-ups); here
    // the child runs, releases, and the whole execution takes 19
    // decisions (35 when SimFs sat on shuttle's own mutex and condvar).
    let n = decisions(|| {
        let fs = SimFs::<ShuttleRuntime>::default();
        let (main, child) = (fs.spawn(), fs.spawn());
        let rw = OpenOptions::new().read(true).write(true).create(true);
        let fc = child.open("lock", rw).unwrap();
        child.flock(fc, LockKind::Exclusive, Wait::Block).unwrap();
        let fm = main.open("lock", rw).unwrap();
        let t = shuttle::thread::spawn(move || {
            for _ in 0..3 {
                let _ = child.stat("lock");
            }
            child.unlock(fc, LockApi::Flock).unwrap();
        });
        main.flock(fm, LockKind::Exclusive, Wait::Block).unwrap();
        t.join().unwrap();
    });
    assert!(n < 25, "{n} decisions");
}

#[test]
fn an_observer_that_switches_tasks_inside_a_step_panics_with_the_cause() {
    // Before, this hung the OS thread that every shuttle task shares.
    let outcome = std::panic::catch_unwind(|| {
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(0, 100);
        Runner::new(scheduler, Config::new()).run(|| {
            let fs = SimFs::<ShuttleRuntime>::default();
            let flag = Arc::new(shuttle::sync::atomic::AtomicBool::new(false));
            let seen = Arc::clone(&flag);
            fs.observe(move |_| {
                seen.store(true, Ordering::SeqCst); // a scheduling point
            });
            let (a, b) = (fs.spawn(), fs.spawn());
            let t = shuttle::thread::spawn(move || {
                let _ = b.stat("x");
            });
            let _ = a.stat("x");
            t.join().unwrap();
        })
    });
    let panic = outcome.expect_err("the misuse is reported");
    let message = panic_message(&*panic);
    assert!(
        message.contains("must not call SimFs, its processes, or any shuttle primitive"),
        "{message}"
    );
}
