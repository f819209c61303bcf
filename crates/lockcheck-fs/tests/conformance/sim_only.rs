//! Checks the real backend cannot make in one OS process: POSIX locks
//! between simulated processes (twins of `os_processes`), process exit and
//! crash, pid reuse, the virtual clock, steps and deadlock reports.
//! (Power loss and durability are tested elsewhere.)

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use lockcheck_fs::{Clock, Errno, Fs, LockApi, LockKind, ProcessInfo, SimFs, Wait};

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
    assert!(!me.is_alive(pid));
    assert_locks(&me, mine, Flock, Exclusive);
    assert!(fs.snapshot().entries().is_empty(), "{}", fs.snapshot());
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
