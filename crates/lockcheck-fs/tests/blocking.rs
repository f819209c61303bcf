//! Blocking lock semantics: with real threads on RealFs (the kernel), with
//! real threads on SimFs, and exhaustively with shuttle on SimFs.
//!
//! On RealFs a test learns that a thread is asleep in the kernel from
//! /proc/locks (a waiter's line starts with `->`), so no test depends on
//! timing: it waits for a fact, never for a duration.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod common;
use common::{kernel_waiters, panic_message, wait_for_kernel_waiters};
use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{
    Errno, Fd, FlockConversion, Fs, LockApi, LockKind, OpenOptions, ProcessInfo, RealFs, SimConfig,
    SimFs, Wait, errno_of,
};

fn rw_create() -> OpenOptions {
    OpenOptions::new().read(true).write(true).create(true)
}

/// On RealFs: `holder` holds a lock on `file`; a thread blocks taking
/// `wait_api` through a second descriptor; `release` drops the lock. The
/// waiter must get the lock, and only after `release` ran.
fn real_waiter_gets_lock_only_after(
    hold: impl FnOnce(&RealFs, Fd),
    wait_api: LockApi,
    release: impl FnOnce(&RealFs, Fd),
) {
    let dir = tempfile::tempdir().unwrap();
    let (holder, waiter) = (
        RealFs::new(dir.path()).unwrap(),
        RealFs::new(dir.path()).unwrap(),
    );
    let fh = holder.open("lock", rw_create()).unwrap();
    let fw = waiter.open("lock", rw_create()).unwrap();
    hold(&holder, fh);
    let released = AtomicBool::new(false);
    std::thread::scope(|s| {
        let t = s.spawn(|| {
            waiter
                .lock(fw, wait_api, LockKind::Exclusive, Wait::Block)
                .unwrap();
            released.load(Ordering::SeqCst)
        });
        wait_for_kernel_waiters(&dir.path().join("lock"), 1);
        released.store(true, Ordering::SeqCst);
        release(&holder, fh);
        assert!(
            t.join().unwrap(),
            "the waiter got the lock before it was released"
        );
    });
}

#[test]
fn real_flock_waiter_blocks_until_the_holder_unlocks() {
    real_waiter_gets_lock_only_after(
        |fs, fd| fs.flock(fd, LockKind::Exclusive, Wait::Block).unwrap(),
        LockApi::Flock,
        |fs, fd| fs.unlock(fd, LockApi::Flock).unwrap(),
    );
}

#[test]
fn real_flock_waiter_blocks_until_the_holder_closes() {
    real_waiter_gets_lock_only_after(
        |fs, fd| fs.flock(fd, LockKind::Shared, Wait::Block).unwrap(),
        LockApi::Flock,
        |fs, fd| fs.close(fd).unwrap(),
    );
}

#[test]
fn real_fcntl_lock_vanishes_when_the_process_closes_another_descriptor() {
    // The holder's POSIX lock is taken through one descriptor and dropped
    // by closing a different one; the blocked OFD waiter then proceeds.
    let other: std::sync::Mutex<Option<Fd>> = std::sync::Mutex::new(None);
    real_waiter_gets_lock_only_after(
        |fs, fd| {
            fs.lock(fd, LockApi::Posix, LockKind::Exclusive, Wait::Block)
                .unwrap();
            *other.lock().unwrap() = Some(fs.open("lock", OpenOptions::new()).unwrap());
        },
        LockApi::Ofd,
        |fs, _| fs.close(other.lock().unwrap().unwrap()).unwrap(),
    );
}

#[test]
fn sim_flock_waiter_on_real_threads_blocks_until_the_holder_unlocks() {
    let fs = SimFs::new();
    let (holder, waiter) = (fs.spawn(), fs.spawn());
    let fh = holder.open("lock", rw_create()).unwrap();
    let fw = waiter.open("lock", rw_create()).unwrap();
    holder.flock(fh, LockKind::Exclusive, Wait::Block).unwrap();
    let released = AtomicBool::new(false);
    std::thread::scope(|s| {
        let t = s.spawn(|| {
            waiter.flock(fw, LockKind::Exclusive, Wait::Block).unwrap();
            released.load(Ordering::SeqCst)
        });
        // Wait for the fact that the waiter is asleep on the lock.
        while !fs.blocked_pids().contains(&waiter.pid()) {
            std::thread::yield_now();
        }
        released.store(true, Ordering::SeqCst);
        holder.unlock(fh, LockApi::Flock).unwrap();
        assert!(t.join().unwrap());
    });
}

/// Runs `scenario` (which returns its SimFs when done) under shuttle's DFS
/// scheduler, every interleaving, and asserts that the waiting path was
/// taken in some interleavings but not in all: the blocking is exercised,
/// not assumed.
fn in_every_interleaving_sometimes_waiting(
    scenario: impl Fn() -> SimFs<ShuttleRuntime> + Send + Sync + 'static,
) {
    let (runs, blocked) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r2, b2) = (runs.clone(), blocked.clone());
    shuttle::check_dfs(
        move || {
            let fs = scenario();
            r2.fetch_add(1, Ordering::SeqCst);
            if fs
                .trace()
                .iter()
                .any(|e| e.call.contains("[after waiting]"))
            {
                b2.fetch_add(1, Ordering::SeqCst);
            }
        },
        None,
    );
    let (runs, blocked) = (runs.load(Ordering::SeqCst), blocked.load(Ordering::SeqCst));
    assert!(
        blocked > 0 && blocked < runs,
        "{blocked} of {runs} interleavings blocked"
    );
}

/// Under shuttle's DFS scheduler (every interleaving): a second descriptor
/// waits for the first to unlock or close, and the waiting path is
/// actually taken in some interleavings.
fn shuttle_waiter_gets_lock_only_after(release_by_close: bool) {
    in_every_interleaving_sometimes_waiting(move || {
        let fs = SimFs::<ShuttleRuntime>::default();
        let (holder, waiter) = (fs.spawn(), fs.spawn());
        let fh = holder.open("lock", rw_create()).unwrap();
        let fw = waiter.open("lock", rw_create()).unwrap();
        holder.flock(fh, LockKind::Exclusive, Wait::Block).unwrap();
        let released = Arc::new(shuttle::sync::atomic::AtomicBool::new(false));
        let seen = released.clone();
        let t = shuttle::thread::spawn(move || {
            waiter.flock(fw, LockKind::Exclusive, Wait::Block).unwrap();
            assert!(seen.load(Ordering::SeqCst), "lock granted before release");
        });
        released.store(true, Ordering::SeqCst);
        if release_by_close {
            holder.close(fh).unwrap();
        } else {
            holder.unlock(fh, LockApi::Flock).unwrap();
        }
        t.join().unwrap();
        fs
    });
}

#[test]
fn shuttle_flock_waiter_blocks_until_the_holder_unlocks_in_every_interleaving() {
    shuttle_waiter_gets_lock_only_after(false);
}

#[test]
fn shuttle_flock_waiter_blocks_until_the_holder_closes_in_every_interleaving() {
    shuttle_waiter_gets_lock_only_after(true);
}

#[test]
fn shuttle_fcntl_lock_vanishes_when_the_process_closes_another_descriptor() {
    in_every_interleaving_sometimes_waiting(|| {
        let fs = SimFs::<ShuttleRuntime>::default();
        let (holder, waiter) = (fs.spawn(), fs.spawn());
        let f1 = holder.open("lock", rw_create()).unwrap();
        let f2 = holder.open("lock", OpenOptions::new()).unwrap();
        let fw = waiter.open("lock", rw_create()).unwrap();
        holder
            .lock(f1, LockApi::Posix, LockKind::Exclusive, Wait::Block)
            .unwrap();
        let closed = Arc::new(shuttle::sync::atomic::AtomicBool::new(false));
        let seen = closed.clone();
        let t = shuttle::thread::spawn(move || {
            waiter
                .lock(fw, LockApi::Posix, LockKind::Exclusive, Wait::Block)
                .unwrap();
            assert!(seen.load(Ordering::SeqCst), "lock granted while still held");
        });
        closed.store(true, Ordering::SeqCst);
        holder.close(f2).unwrap(); // Not the descriptor that took the lock.
        t.join().unwrap();
        fs
    });
}

#[test]
fn crossing_posix_waits_give_exactly_one_process_edeadlk() {
    shuttle::check_dfs(
        || {
            let fs = SimFs::<ShuttleRuntime>::default();
            let (a, b) = (fs.spawn(), fs.spawn());
            let a1 = a.open("1", rw_create()).unwrap();
            let a2 = a.open("2", rw_create()).unwrap();
            let b1 = b.open("1", rw_create()).unwrap();
            let b2 = b.open("2", rw_create()).unwrap();
            a.lock(a1, LockApi::Posix, LockKind::Exclusive, Wait::Block)
                .unwrap();
            b.lock(b2, LockApi::Posix, LockKind::Exclusive, Wait::Block)
                .unwrap();
            // Each asks for the other's file; whoever closes the cycle is
            // refused, gives up its own lock, and lets the other through.
            let t = shuttle::thread::spawn(move || {
                let r = b.lock(b1, LockApi::Posix, LockKind::Exclusive, Wait::Block);
                b.close(b2).unwrap();
                r.map_err(|e| errno_of(&e))
            });
            let ra = a.lock(a2, LockApi::Posix, LockKind::Exclusive, Wait::Block);
            a.close(a1).unwrap();
            let ra = ra.map_err(|e| errno_of(&e));
            let rb = t.join().unwrap();
            let deadlocks = [&ra, &rb]
                .iter()
                .filter(|r| **r == &Err(Some(Errno::EDEADLK)))
                .count();
            assert_eq!(deadlocks, 1, "a: {ra:?}, b: {rb:?}");
            assert!(ra.is_ok() || rb.is_ok());
        },
        None,
    );
}

#[test]
fn shuttle_reports_crossing_flocks_as_a_deadlock() {
    let outcome = std::panic::catch_unwind(|| {
        shuttle::check_dfs(
            || {
                let fs = SimFs::<ShuttleRuntime>::default();
                let (a, b) = (fs.spawn(), fs.spawn());
                let (a1, a2) = (
                    a.open("1", rw_create()).unwrap(),
                    a.open("2", rw_create()).unwrap(),
                );
                let (b1, b2) = (
                    b.open("1", rw_create()).unwrap(),
                    b.open("2", rw_create()).unwrap(),
                );
                let t = shuttle::thread::spawn(move || {
                    b.flock(b2, LockKind::Exclusive, Wait::Block).unwrap();
                    b.flock(b1, LockKind::Exclusive, Wait::Block).unwrap();
                });
                a.flock(a1, LockKind::Exclusive, Wait::Block).unwrap();
                a.flock(a2, LockKind::Exclusive, Wait::Block).unwrap();
                a.close(a1).unwrap();
                a.close(a2).unwrap();
                t.join().unwrap();
            },
            None,
        )
    });
    let panic = outcome.expect_err("some interleaving deadlocks");
    let msg = panic_message(&*panic);
    assert!(
        msg.contains("lockcheck: deadlock: every live process is blocked"),
        "{msg}"
    );
}

/// Under shuttle's DFS scheduler: `p` holds a shared flock and upgrades it
/// while another process asks for an exclusive one. Returns in how many
/// interleavings the other process held the lock before `p`'s upgrade
/// returned, and how many interleavings there were.
fn upgrades_overtaken_by_a_waiter(conversion: FlockConversion) -> (usize, usize) {
    let (runs, overtaken) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (r2, o2) = (runs.clone(), overtaken.clone());
    shuttle::check_dfs(
        move || {
            let config = SimConfig {
                flock_conversion: conversion,
                ..SimConfig::default()
            };
            let fs = SimFs::<ShuttleRuntime>::build(config);
            let (p, q) = (fs.spawn(), fs.spawn());
            let a = p.open("lock", rw_create()).unwrap();
            let b = q.open("lock", rw_create()).unwrap();
            p.flock(a, LockKind::Shared, Wait::Block).unwrap();
            let got = Arc::new(shuttle::sync::atomic::AtomicBool::new(false));
            let seen = got.clone();
            let t = shuttle::thread::spawn(move || {
                q.flock(b, LockKind::Exclusive, Wait::Block).unwrap();
                seen.store(true, Ordering::SeqCst);
                q.unlock(b, LockApi::Flock).unwrap();
            });
            p.flock(a, LockKind::Exclusive, Wait::Block).unwrap();
            if got.load(Ordering::SeqCst) {
                o2.fetch_add(1, Ordering::SeqCst);
            }
            p.unlock(a, LockApi::Flock).unwrap();
            t.join().unwrap();
            r2.fetch_add(1, Ordering::SeqCst);
        },
        None,
    );
    (
        overtaken.load(Ordering::SeqCst),
        runs.load(Ordering::SeqCst),
    )
}

#[test]
fn flock_conversion_lets_no_waiter_in_between_in_every_interleaving() {
    let (overtaken, runs) = upgrades_overtaken_by_a_waiter(FlockConversion::Atomic);
    assert!(runs > 1, "{runs} interleavings");
    assert_eq!(overtaken, 0, "of {runs} interleavings");
}

#[test]
fn two_step_flock_conversion_lets_a_waiter_in_between_in_some_interleavings() {
    let (overtaken, runs) = upgrades_overtaken_by_a_waiter(FlockConversion::TwoStep);
    assert!(
        overtaken > 0 && overtaken < runs,
        "{overtaken} of {runs} interleavings overtaken"
    );
}

/// On the kernel itself (raw system calls, no RealFs descriptor table): a
/// thread blocks taking `api` exclusively through a raw descriptor of a
/// file held by another open file description (an flock for flock; an
/// OFD lock for OFD and POSIX, which conflicts with this process's POSIX
/// locks too). This thread closes the raw descriptor while the call
/// waits: the call keeps waiting, on the file it resolved. Returns what
/// the call returned once the holder unlocked, after checking that no
/// lock is left on the file. (Whether a new open gets the closed number
/// cannot be made deterministic here, as other tests of this binary open
/// files concurrently; the kernel's waiter never looks at the number again
/// anyway, and the SimFs twins in `conformance::sim_only` reuse it.)
fn real_blocked_call_whose_descriptor_is_closed(api: LockApi) -> std::io::Result<()> {
    use std::os::fd::IntoRawFd;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock");
    let holder = RealFs::new(dir.path()).unwrap();
    let held = holder.open("lock", rw_create()).unwrap();
    let holder_api = if api == LockApi::Flock {
        LockApi::Flock
    } else {
        LockApi::Ofd
    };
    holder
        .lock(held, holder_api, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    let raw = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap()
        .into_raw_fd();
    let call = std::thread::spawn(move || raw_blocking_exclusive_lock(raw, api));
    wait_for_kernel_waiters(&path, 1);
    // SAFETY: `raw` is this test's own descriptor; nothing else closes it.
    assert_eq!(unsafe { libc::close(raw) }, 0);
    assert!(
        !call.is_finished(),
        "the call returned when its descriptor was closed"
    );
    assert_eq!(kernel_waiters(&path), 1, "the call still waits");
    holder.unlock(held, holder_api).unwrap();
    let result = call.join().unwrap();
    let probe = RealFs::new(dir.path()).unwrap();
    let fd = probe.open("lock", rw_create()).unwrap();
    let probe_api = if api == LockApi::Flock {
        LockApi::Flock
    } else {
        LockApi::Ofd
    };
    probe
        .lock(fd, probe_api, LockKind::Exclusive, Wait::NonBlock)
        .expect("no lock is left once nothing references the description");
    result
}

/// `flock(LOCK_EX)`, `F_SETLKW` or `F_OFD_SETLKW` with `F_WRLCK` on a raw
/// descriptor.
fn raw_blocking_exclusive_lock(raw: i32, api: LockApi) -> std::io::Result<()> {
    loop {
        let r = match api {
            // SAFETY: flock on a plain descriptor number has no memory effects.
            LockApi::Flock => unsafe { libc::flock(raw, libc::LOCK_EX) },
            LockApi::Posix | LockApi::Ofd => {
                // SAFETY: all-zero is a valid `flock` (whole file, l_pid 0).
                let mut lock: libc::flock = unsafe { std::mem::zeroed() };
                lock.l_type = libc::F_WRLCK as libc::c_short;
                lock.l_whence = libc::SEEK_SET as libc::c_short;
                let cmd = if api == LockApi::Posix {
                    libc::F_SETLKW
                } else {
                    libc::F_OFD_SETLKW
                };
                // SAFETY: `lock` is a valid flock that outlives the call.
                unsafe { libc::fcntl(raw, cmd, &lock as *const libc::flock) }
            }
        };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[test]
fn real_flock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_leaves_no_lock() {
    real_blocked_call_whose_descriptor_is_closed(LockApi::Flock).unwrap();
}

#[test]
fn real_ofd_lock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_leaves_no_lock() {
    real_blocked_call_whose_descriptor_is_closed(LockApi::Ofd).unwrap();
}

#[test]
fn real_posix_lock_blocked_on_a_descriptor_another_thread_closes_keeps_waiting_then_fails_with_ebadf()
 {
    let result = real_blocked_call_whose_descriptor_is_closed(LockApi::Posix);
    assert_eq!(result.map_err(|e| errno_of(&e)), Err(Some(Errno::EBADF)));
}

/// The same through RealFs, whose descriptor table stands for the
/// process's: a thread blocks taking `api` through descriptor `n`, another
/// thread closes `n` and opens another file, which gets the number `n`.
/// RealFs must behave as the kernel does above.
fn realfs_blocked_call_whose_descriptor_is_closed(api: LockApi) -> std::io::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock");
    let holder = RealFs::new(dir.path()).unwrap();
    let held = holder.open("lock", rw_create()).unwrap();
    let other_api = if api == LockApi::Flock {
        LockApi::Flock
    } else {
        LockApi::Ofd
    };
    holder
        .lock(held, other_api, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    holder.write_file("other", b"").unwrap();
    let p = Arc::new(RealFs::new(dir.path()).unwrap());
    let n = p.open("lock", rw_create()).unwrap();
    let call = {
        let p = Arc::clone(&p);
        std::thread::spawn(move || p.lock(n, api, LockKind::Exclusive, Wait::Block))
    };
    wait_for_kernel_waiters(&path, 1);
    p.close(n).unwrap();
    let reused = p.open("other", rw_create()).unwrap();
    assert_eq!(reused, n, "the number is reused");
    assert!(
        !call.is_finished(),
        "the call returned when its descriptor was closed"
    );
    assert_eq!(kernel_waiters(&path), 1, "the call still waits");
    let probe = RealFs::new(dir.path()).unwrap();
    let other = probe.open("other", rw_create()).unwrap();
    probe
        .lock(other, other_api, LockKind::Exclusive, Wait::NonBlock)
        .expect("the file that now has the number is not locked");
    holder.unlock(held, other_api).unwrap();
    let result = call.join().unwrap();
    let fd = probe.open("lock", rw_create()).unwrap();
    probe
        .lock(fd, other_api, LockKind::Exclusive, Wait::NonBlock)
        .expect("no lock is left once nothing references the description");
    result
}

#[test]
fn realfs_flock_blocked_on_a_descriptor_another_thread_closes_behaves_as_the_kernel() {
    realfs_blocked_call_whose_descriptor_is_closed(LockApi::Flock).unwrap();
}

#[test]
fn realfs_ofd_lock_blocked_on_a_descriptor_another_thread_closes_behaves_as_the_kernel() {
    realfs_blocked_call_whose_descriptor_is_closed(LockApi::Ofd).unwrap();
}

#[test]
fn realfs_posix_lock_blocked_on_a_descriptor_another_thread_closes_fails_with_ebadf() {
    let result = realfs_blocked_call_whose_descriptor_is_closed(LockApi::Posix);
    assert_eq!(result.map_err(|e| errno_of(&e)), Err(Some(Errno::EBADF)));
}

#[test]
fn realfs_closing_a_descriptor_a_blocked_call_holds_drops_the_process_posix_locks_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock");
    let holder = RealFs::new(dir.path()).unwrap();
    let held = holder.open("lock", rw_create()).unwrap();
    holder
        .flock(held, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    let p = Arc::new(RealFs::new(dir.path()).unwrap());
    let other = p.open("lock", rw_create()).unwrap();
    p.lock(other, LockApi::Posix, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    let n = p.open("lock", rw_create()).unwrap();
    let call = {
        let p = Arc::clone(&p);
        std::thread::spawn(move || p.flock(n, LockKind::Exclusive, Wait::Block))
    };
    wait_for_kernel_waiters(&path, 1);
    let probe = RealFs::new(dir.path()).unwrap();
    let fd = probe.open("lock", rw_create()).unwrap();
    assert_eq!(
        errno_of(
            &probe
                .lock(fd, LockApi::Ofd, LockKind::Shared, Wait::NonBlock)
                .unwrap_err()
        ),
        Some(Errno::EWOULDBLOCK)
    );
    p.close(n).unwrap(); // Any close of the file drops the process's POSIX lock.
    probe
        .lock(fd, LockApi::Ofd, LockKind::Exclusive, Wait::NonBlock)
        .expect("the POSIX lock went with the close");
    probe.unlock(fd, LockApi::Ofd).unwrap();
    holder.unlock(held, LockApi::Flock).unwrap();
    call.join().unwrap().unwrap();
}

#[test]
fn is_blocked_holds_exactly_while_a_simulated_thread_waits_for_a_lock() {
    let fs = SimFs::new();
    let (holder, waiter) = (fs.spawn(), Arc::new(fs.spawn()));
    let held = holder.open("f", rw_create()).unwrap();
    holder
        .lock(held, LockApi::Flock, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    let fd = waiter.open("f", rw_create()).unwrap();
    assert!(!waiter.is_blocked(), "an idle thread is not blocked");
    let w = Arc::clone(&waiter);
    let t = std::thread::spawn(move || w.lock(fd, LockApi::Flock, LockKind::Shared, Wait::Block));
    // Waits for the fact, not for a time.
    while !waiter.is_blocked() {
        std::thread::yield_now();
    }
    holder.unlock(held, LockApi::Flock).unwrap();
    t.join().unwrap().unwrap();
    assert!(
        !waiter.is_blocked(),
        "a woken thread that got its lock is not blocked"
    );
}
