//! Checks the real backend cannot make in one OS process: POSIX locks
//! between simulated processes (twins of `os_processes`), process exit and
//! crash, pid reuse, the virtual clock, steps and deadlock reports.
//! (Power loss and durability are tested elsewhere.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use lockcheck_fs::{
    Clock, Errno, Fs, LockApi, LockKind, ProcessInfo, SimFs, SimProc, Wait, errno_of,
};

use crate::common::panic_message;
use crate::{assert_errno, assert_locks, assert_would_block, open, put, ro, rw};

use LockApi::{Flock, Ofd, Posix};
use LockKind::{Exclusive, Shared};

/// Twin of `os_processes::posix_lock_of_another_os_process_excludes_until_it_closes_any_descriptor_of_the_file`.
#[test]
fn posix_lock_of_another_process_excludes_until_it_closes_any_descriptor_of_the_file() {
    let fs: SimFs = SimFs::new();
    let (me, child) = (fs.spawn(), fs.spawn());
    put(&me, "lock", b"");
    let held = open(&child, "lock", rw());
    let extra = open(&child, "lock", ro());
    assert_locks(&child, held, Posix, Exclusive);
    let mine = open(&me, "lock", rw());
    assert_would_block(&me, mine, Posix, Exclusive);
    assert_would_block(&me, mine, Posix, Shared);
    assert_locks(&child, held, Posix, Shared);
    assert_locks(&me, mine, Posix, Shared);
    assert_would_block(&me, mine, Posix, Exclusive);
    assert_would_block(&child, held, Posix, Exclusive);
    me.unlock(mine, Posix).unwrap();
    assert_locks(&child, held, Posix, Exclusive);
    assert_would_block(&me, mine, Posix, Shared);
    child.close(extra).unwrap();
    assert_locks(&me, mine, Posix, Exclusive);
    assert_would_block(&child, held, Posix, Shared);
    me.close(mine).unwrap();
    assert_locks(&child, held, Posix, Exclusive);
}

/// Twin of `os_processes::locks_of_a_killed_os_process_are_released`.
#[test]
fn locks_of_a_crashed_process_are_released_and_its_calls_fail_with_esrch() {
    let fs: SimFs = SimFs::new();
    let (me, child) = (fs.spawn(), fs.spawn());
    let mut probes = Vec::new();
    for (name, api) in [("posix", Posix), ("flock", Flock), ("ofd", Ofd)] {
        put(&me, name, b"");
        let fd = open(&child, name, rw());
        assert_locks(&child, fd, api, Exclusive);
        probes.push((open(&me, name, rw()), api));
    }
    for &(fd, api) in &probes {
        assert_would_block(&me, fd, api, Shared);
    }
    assert_would_block(&me, probes[0].0, Ofd, Shared);
    assert_would_block(&me, probes[2].0, Posix, Shared);
    let pid = child.pid();
    assert!(me.is_alive(pid));
    fs.crash(pid);
    assert!(!me.is_alive(pid));
    assert_eq!(fs.live_pids(), [me.pid()]);
    for &(fd, api) in &probes {
        assert_locks(&me, fd, api, Exclusive);
    }
    assert_errno(child.open("posix", ro()), Errno::ESRCH);
    assert_errno(child.stat("posix"), Errno::ESRCH);
    assert_eq!(child.pid(), pid, "a dead process keeps its pid");
}

#[test]
fn dropping_a_process_is_its_exit_closing_descriptors_and_releasing_locks() {
    let fs: SimFs = SimFs::new();
    let me = fs.spawn();
    put(&me, "lock", b"");
    let child = fs.spawn();
    let pid = child.pid();
    let fd = open(&child, "lock", rw());
    assert_locks(&child, fd, Flock, Exclusive);
    let mine = open(&me, "lock", ro());
    assert_would_block(&me, mine, Flock, Shared);
    child.unlink("lock").unwrap();
    drop(child);
    assert!(me.is_alive(pid), "a zombie until reaped");
    assert_eq!(fs.live_pids(), [me.pid()], "but no longer running");
    assert_locks(&me, mine, Flock, Exclusive);
    fs.reap(pid).unwrap();
    assert!(!me.is_alive(pid));
    assert!(fs.snapshot().entries().is_empty(), "{}", fs.snapshot());
}

#[test]
fn under_a_parent_that_ignores_sigchld_an_exited_process_leaves_no_zombie() {
    let fs: SimFs = SimFs::with_config(lockcheck_fs::SimConfig {
        reap_on_exit: true,
        ..lockcheck_fs::SimConfig::default()
    });
    let (me, child) = (fs.spawn(), fs.spawn());
    let pid = child.pid();
    drop(child);
    assert!(!me.is_alive(pid), "reaped at exit: kill(pid, 0) fails");
    assert_errno(fs.reap(pid), Errno::ECHILD); // Nothing left to reap.
    assert_eq!(
        fs.spawn_with_pid(pid).unwrap().pid(),
        pid,
        "the pid is free"
    );
}

#[test]
fn only_an_exited_process_can_be_reaped_and_only_then_its_pid_is_reused() {
    let fs: SimFs = SimFs::new();
    let (me, child) = (fs.spawn(), fs.spawn());
    let pid = child.pid();
    assert_errno(fs.reap(pid), Errno::EWOULDBLOCK); // Still running.
    drop(child);
    assert_errno(fs.spawn_with_pid(pid), Errno::EEXIST); // A zombie has it.
    fs.reap(pid).unwrap();
    assert_errno(fs.reap(pid), Errno::ECHILD); // Already reaped.
    assert_errno(fs.reap(2_000_000_000), Errno::ECHILD); // Never existed.
    assert!(!me.is_alive(pid));
    let again = fs.spawn_with_pid(pid).unwrap();
    assert!(me.is_alive(pid), "the pid is alive again: another process");
    assert_eq!(again.pid(), pid);
    // The harness's act, like sync_all: no process's step, not traced.
    let trace: Vec<String> = fs.trace().iter().map(|e| e.call.clone()).collect();
    assert!(!trace.iter().any(|c| c.contains("reap")), "{trace:?}");
}

#[test]
fn blocking_posix_lock_of_another_process_waits_until_the_holder_releases() {
    let fs: SimFs = SimFs::new();
    let (p, q) = (fs.spawn(), fs.spawn());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", rw()), open(&q, "lock", rw()));
    p.lock(a, Posix, Exclusive, Wait::Block).unwrap();
    let released = AtomicBool::new(false);
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            q.lock(b, Posix, Exclusive, Wait::Block).unwrap();
            assert!(released.load(Ordering::SeqCst));
        });
        while !fs.blocked_pids().contains(&q.pid()) {
            thread::yield_now(); // Wait for the fact: q is asleep on the lock.
        }
        released.store(true, Ordering::SeqCst);
        p.unlock(a, Posix).unwrap();
        waiter.join().unwrap();
    });
    assert_would_block(&p, a, Posix, Shared);
}

/// Waits until `p` is asleep on a lock or its call `h` has returned;
/// true if it is asleep.
fn asleep_or_returned<T>(fs: &SimFs, p: &SimProc, h: &thread::ScopedJoinHandle<'_, T>) -> bool {
    loop {
        if fs.blocked_pids().contains(&p.pid()) {
            return true;
        }
        if h.is_finished() {
            return false;
        }
        thread::yield_now();
    }
}

/// Twin of `os_processes::posix_deadlock_through_a_later_conflicting_lock_goes_unseen_and_the_request_sleeps`.
#[test]
fn posix_deadlock_through_a_later_conflicting_lock_goes_unseen_and_the_request_sleeps() {
    let fs: SimFs = SimFs::new();
    let (a, b, me) = (fs.spawn(), fs.spawn(), fs.spawn());
    put(&me, "l", b"");
    put(&me, "m", b"");
    let (al, bl, ml) = (
        open(&a, "l", rw()),
        open(&b, "l", rw()),
        open(&me, "l", rw()),
    );
    let (bm, mm) = (open(&b, "m", rw()), open(&me, "m", rw()));
    assert_locks(&a, al, Posix, Shared); // First in l's list...
    assert_locks(&b, bl, Posix, Shared); // ...then b.
    assert_locks(&me, mm, Posix, Exclusive);
    thread::scope(|s| {
        let b_wait = s.spawn(|| b.lock(bm, Posix, Exclusive, Wait::Block));
        assert!(asleep_or_returned(&fs, &b, &b_wait), "b waits for m");
        // me -> b -> me is a cycle, but Linux follows only the first
        // conflicting lock's owner, a, who waits for nothing: me sleeps.
        let me_wait = s.spawn(|| me.lock(ml, Posix, Exclusive, Wait::Block));
        if !asleep_or_returned(&fs, &me, &me_wait) {
            let r = me_wait.join().unwrap().map_err(|e| errno_of(&e));
            panic!("the request returned {r:?} instead of sleeping");
        }
        fs.crash(b.pid());
        assert_errno(b_wait.join().unwrap(), Errno::ESRCH);
        a.unlock(al, Posix).unwrap();
        me_wait.join().unwrap().unwrap();
    });
}

/// Twin of `os_processes::posix_deadlock_through_the_first_conflicting_lock_is_refused`.
#[test]
fn posix_deadlock_through_the_first_conflicting_lock_is_refused() {
    let fs: SimFs = SimFs::new();
    let (a, b, me) = (fs.spawn(), fs.spawn(), fs.spawn());
    put(&me, "l", b"");
    put(&me, "m", b"");
    let (al, bl, ml) = (
        open(&a, "l", rw()),
        open(&b, "l", rw()),
        open(&me, "l", rw()),
    );
    let (am, mm) = (open(&a, "m", rw()), open(&me, "m", rw()));
    assert_locks(&a, al, Posix, Shared);
    assert_locks(&b, bl, Posix, Shared);
    assert_locks(&me, mm, Posix, Exclusive);
    thread::scope(|s| {
        let a_wait = s.spawn(|| a.lock(am, Posix, Exclusive, Wait::Block));
        assert!(asleep_or_returned(&fs, &a, &a_wait), "a waits for m");
        let me_wait = s.spawn(|| me.lock(ml, Posix, Exclusive, Wait::Block));
        let asleep = asleep_or_returned(&fs, &me, &me_wait);
        if asleep {
            fs.crash(a.pid()); // Unwind, then fail.
            fs.crash(b.pid());
        }
        assert_errno(me_wait.join().unwrap(), Errno::EDEADLK);
        assert!(!asleep);
        me.unlock(mm, Posix).unwrap();
        a_wait.join().unwrap().unwrap();
    });
}

#[test]
fn pids_count_up_from_100_and_a_crashed_pid_can_be_reused() {
    let fs: SimFs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    assert_eq!((a.pid(), b.pid()), (100, 101));
    assert_errno(fs.spawn_with_pid(100), Errno::EEXIST);
    put(&a, "f", b"");
    fs.crash(100);
    let again = fs.spawn_with_pid(100).unwrap();
    assert!(b.is_alive(100), "the pid is alive again: another process");
    assert_errno(a.stat("f"), Errno::ESRCH);
    assert!(again.exists("f").unwrap());
    assert_eq!(fs.spawn().pid(), 102);
}

#[test]
fn the_virtual_clock_moves_only_by_sleeping_and_sets_mtime() {
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    let start = fs.now();
    assert_eq!(p.now(), start);
    put(&p, "f", b"");
    assert_eq!(p.stat("f").unwrap().mtime, start);
    p.sleep(Duration::from_secs(5));
    assert_eq!(p.now(), start + Duration::from_secs(5));
    assert_eq!(fs.elapsed(), Duration::from_secs(5));
    put(&p, "f", b"x");
    assert_eq!(p.stat("f").unwrap().mtime, start + Duration::from_secs(5));
}

#[test]
fn every_call_is_one_atomic_step() {
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    let before = fs.steps();
    put(&p, "a", b"data"); // open, write, close
    assert_eq!(fs.steps(), before + 3);
    p.rename("a", "b").unwrap();
    assert_eq!(fs.steps(), before + 4);
    assert_errno(p.stat("a"), Errno::ENOENT); // Failed calls are steps too.
    assert_eq!(fs.steps(), before + 5);
}

#[test]
fn a_lock_that_can_never_be_granted_is_reported_as_a_deadlock_not_a_hang() {
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&p, "lock", ro()));
    p.flock(a, Exclusive, Wait::Block).unwrap();
    let blocked = catch_unwind(AssertUnwindSafe(|| p.flock(b, Exclusive, Wait::Block)));
    let panic = blocked.expect_err("a process waiting on itself can never proceed");
    let message = panic_message(&*panic);
    assert!(message.contains("deadlock"), "{message}");
}

/// Twin of `os_processes::crossing_blocking_posix_upgrades_of_two_os_processes_get_edeadlk_for_exactly_one`.
#[test]
fn crossing_blocking_posix_upgrades_get_edeadlk_for_exactly_one() {
    let fs: SimFs = SimFs::new();
    let (p, q) = (fs.spawn(), fs.spawn());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", rw()), open(&q, "lock", rw()));
    assert_locks(&p, a, Posix, Shared);
    assert_locks(&q, b, Posix, Shared);
    let upgrade = |fs: &lockcheck_fs::SimProc, fd| {
        let r = fs.lock(fd, Posix, Exclusive, Wait::Block);
        if r.is_err() {
            fs.unlock(fd, Posix).unwrap();
        }
        r.map_err(|e| lockcheck_fs::errno_of(&e))
    };
    let (rp, rq) = thread::scope(|s| {
        let tp = s.spawn(|| upgrade(&p, a));
        let tq = s.spawn(|| upgrade(&q, b));
        (tp.join().unwrap(), tq.join().unwrap())
    });
    match (rp, rq) {
        (Ok(()), Err(Some(Errno::EDEADLK))) | (Err(Some(Errno::EDEADLK)), Ok(())) => {}
        other => panic!("expected exactly one EDEADLK, got {other:?}"),
    }
}

#[test]
fn an_observer_sees_every_step_with_the_file_system_as_the_step_left_it() {
    use std::sync::{Arc, Mutex};
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    fs.observe(move |view| {
        let contents = view
            .file("lock")
            .map(|b| String::from_utf8_lossy(b).into_owned());
        log.lock().unwrap().push(format!(
            "{} p{} {:?} {:?}",
            view.step(),
            view.pid(),
            contents,
            view.names("")
        ));
    });
    p.write_file("lock", b"a").unwrap();
    p.rename("lock", "old").unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "0 p100 Some(\"\") [\"lock\"]",
            "1 p100 Some(\"a\") [\"lock\"]",
            "2 p100 Some(\"a\") [\"lock\"]",
            "3 p100 None [\"old\"]",
        ]
    );
}

/// A thread of `p` blocks taking `api` through descriptor `n` of "lock",
/// held exclusively by another process; a second thread of `p` closes `n`
/// and opens "other", which gets the number `n`. Then the holder unlocks.
/// Returns what the blocked call returned, with the world for checks.
/// Twin of `blocking::real_*_blocked_on_a_descriptor_another_thread_closes_*`.
fn blocked_call_whose_descriptor_is_closed(api: LockApi) -> (std::io::Result<()>, SimFs) {
    let fs: SimFs = SimFs::new();
    let (holder, p) = (fs.spawn(), fs.spawn());
    put(&holder, "lock", b"");
    put(&holder, "other", b"");
    let held = open(&holder, "lock", rw());
    assert_locks(&holder, held, api, Exclusive);
    let n = open(&p, "lock", rw());
    let waiter = p.thread();
    let result = thread::scope(|s| {
        let call = s.spawn(|| waiter.lock(n, api, Exclusive, Wait::Block));
        assert!(asleep_or_returned(&fs, &p, &call), "the call waits");
        p.close(n).unwrap();
        assert_eq!(open(&p, "other", rw()), n, "the number is reused");
        // Still waiting, on the original description: not EBADF, and not
        // a lock on the file that now has the number.
        assert!(asleep_or_returned(&fs, &p, &call), "the call still waits");
        let probe = fs.spawn();
        let other = open(&probe, "other", rw());
        assert_locks(&probe, other, api, Exclusive);
        probe.unlock(other, api).unwrap();
        holder.unlock(held, api).unwrap();
        call.join().unwrap()
    });
    drop(waiter);
    // Nothing references the description now: no lock is left on "lock".
    let probe = fs.spawn();
    let fd = open(&probe, "lock", rw());
    assert_locks(&probe, fd, api, Exclusive);
    (result, fs)
}

#[test]
fn flock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_leaves_no_lock() {
    let (result, _) = blocked_call_whose_descriptor_is_closed(Flock);
    result.unwrap();
}

#[test]
fn ofd_lock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_leaves_no_lock() {
    let (result, _) = blocked_call_whose_descriptor_is_closed(Ofd);
    result.unwrap();
}

#[test]
fn posix_lock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_fails_with_ebadf() {
    let (result, fs) = blocked_call_whose_descriptor_is_closed(Posix);
    assert_errno(result, Errno::EBADF);
    let trace = fs.trace();
    let ended = trace.iter().find(|e| e.call.contains("[after waiting]"));
    assert_eq!(
        ended.map(|e| (e.call.as_str(), e.result.as_str())),
        Some(("fcntl(fd3, F_SETLKW, F_WRLCK) [after waiting]", "-1 EBADF"))
    );
}

#[test]
fn a_waiter_whose_descriptor_was_closed_still_counts_as_blocked_for_deadlock_reports() {
    let fs: SimFs = SimFs::new();
    let (holder, p) = (fs.spawn(), fs.spawn());
    put(&holder, "lock", b"");
    put(&holder, "m", b"");
    let held = open(&holder, "lock", ro());
    holder.flock(held, Exclusive, Wait::Block).unwrap();
    let n = open(&p, "lock", ro());
    let m = open(&p, "m", ro());
    p.flock(m, Exclusive, Wait::Block).unwrap();
    let waiter = p.thread();
    let holder_m = open(&holder, "m", ro());
    let (w, h) = thread::scope(|s| {
        let w =
            s.spawn(|| catch_unwind(AssertUnwindSafe(|| waiter.flock(n, Exclusive, Wait::Block))));
        while !fs.blocked_pids().contains(&p.pid()) {
            thread::yield_now();
        }
        p.close(n).unwrap();
        drop(p); // Only the waiting thread is left of p.
        // The holder now waits for p's lock on m: nobody can ever proceed.
        let h = s.spawn(|| {
            catch_unwind(AssertUnwindSafe(|| {
                holder.flock(holder_m, Exclusive, Wait::Block)
            }))
        });
        (w.join().unwrap(), h.join().unwrap())
    });
    for outcome in [w, h] {
        let panic = outcome.expect_err("a deadlock is reported in every waiter");
        let message = panic_message(&*panic);
        assert!(message.starts_with("lockcheck: deadlock:"), "{message}");
    }
}

#[test]
fn a_crash_ends_a_blocked_call_at_once_with_the_locks_of_its_description() {
    let fs: SimFs = SimFs::new();
    let (holder, p, probe) = (fs.spawn(), fs.spawn(), fs.spawn());
    put(&holder, "a", b"");
    let held = open(&holder, "a", rw());
    assert_locks(&holder, held, Flock, Exclusive);
    let d = open(&p, "a", rw());
    assert_locks(&p, d, Ofd, Exclusive);
    let waiter = p.thread();
    let probe_fd = open(&probe, "a", rw());
    thread::scope(|s| {
        let call = s.spawn(|| waiter.flock(d, Exclusive, Wait::Block));
        assert!(asleep_or_returned(&fs, &p, &call), "the call waits");
        assert_would_block(&probe, probe_fd, Ofd, Shared);
        fs.crash(p.pid());
        // In the crash's own step: the call no longer holds the description.
        assert_locks(&probe, probe_fd, Ofd, Exclusive);
        assert_errno(call.join().unwrap(), Errno::ESRCH);
    });
}

/// Twin of `os_processes::posix_deadlock_chain`: `None` if the request
/// went to sleep.
fn posix_deadlock_chain(n: usize) -> Option<Result<(), Option<Errno>>> {
    let fs: SimFs = SimFs::new();
    let me = fs.spawn();
    // A process that makes no call counts as running: when the check gives
    // up, the cycle is a deadlock SimFs would otherwise report as one.
    let _bystander = fs.spawn();
    for i in 0..=n {
        put(&me, &format!("f{i}"), b"");
    }
    let f0 = open(&me, "f0", rw());
    assert_locks(&me, f0, Posix, Exclusive);
    let procs: Vec<SimProc> = (1..=n).map(|_| fs.spawn()).collect();
    thread::scope(|s| {
        for (i, p) in procs.iter().enumerate().map(|(i, p)| (i + 1, p)) {
            let mine = open(p, &format!("f{i}"), rw());
            let next = open(p, &format!("f{}", i - 1), rw());
            assert_locks(p, mine, Posix, Exclusive);
            let wait = s.spawn(move || p.lock(next, Posix, Exclusive, Wait::Block));
            assert!(asleep_or_returned(&fs, p, &wait), "p{} waits", p.pid());
        }
        let last = open(&me, &format!("f{n}"), rw());
        let me = &me;
        let request = s.spawn(move || me.lock(last, Posix, Exclusive, Wait::Block));
        let asleep = asleep_or_returned(&fs, me, &request);
        for p in &procs {
            fs.crash(p.pid());
        }
        let result = request.join().unwrap().map_err(|e| errno_of(&e));
        (!asleep).then_some(result)
    })
}

#[test]
fn posix_deadlock_check_follows_a_chain_of_eleven_owners() {
    assert_eq!(posix_deadlock_chain(11), Some(Err(Some(Errno::EDEADLK))));
}

#[test]
fn posix_deadlock_check_gives_up_past_eleven_owners_and_the_request_sleeps() {
    assert_eq!(posix_deadlock_chain(12), None);
}

/// Twin of `os_processes::the_kernel_numbers_descriptors_below_rlimit_nofile_then_open_fails_with_emfile`,
/// with the default limit: a loop that leaks descriptors meets `EMFILE`.
#[test]
fn descriptors_are_numbered_below_nofile_limit_then_open_fails_with_emfile() {
    let fs: SimFs = SimFs::new();
    let p = fs.spawn();
    put(&p, "f", b"");
    let mut fds = Vec::new();
    let refused = loop {
        match p.open("f", ro()) {
            Ok(fd) => fds.push(fd),
            Err(e) => break e,
        }
    };
    assert_eq!(fds.len(), 1021, "3 to 1023: RLIMIT_NOFILE is 1024");
    assert_eq!(fds.last(), Some(&lockcheck_fs::Fd(1023)));
    assert_errno::<()>(Err(refused), Errno::EMFILE);
    // The descriptor comes first: a full table creates nothing.
    let create = lockcheck_fs::OpenOptions::new().write(true).create(true);
    assert_errno(p.open("f.new", create), Errno::EMFILE);
    assert!(!p.exists("f.new").unwrap());
    // Closing one frees its number for the next open.
    p.close(lockcheck_fs::Fd(10)).unwrap();
    assert_eq!(p.open("f", ro()).unwrap(), lockcheck_fs::Fd(10));
    let small = SimFs::with_config(lockcheck_fs::SimConfig {
        nofile_limit: 64,
        ..lockcheck_fs::SimConfig::default()
    });
    let q = small.spawn();
    put(&q, "f", b"");
    let opened: Vec<_> = std::iter::from_fn(|| q.open("f", ro()).ok()).collect();
    assert_eq!(opened.last(), Some(&lockcheck_fs::Fd(63)));
    assert_errno(q.open("f", ro()), Errno::EMFILE);
}
