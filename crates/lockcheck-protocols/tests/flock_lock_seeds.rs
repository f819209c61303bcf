//! Seed 001's flock lock file per task (and seed 000's FileLock): the
//! seed's own checks on SimFs and on a real directory, its timeout, mutual
//! exclusion of the correct variants, and a hand-ordered reproduction of
//! the unlink-on-release race with its fixed twin.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use lockcheck_fs::{Clock, Fs, Process, ProcessInfo, RealFs, SimFs, Wait};
use lockcheck_protocols::flock_lock::{Acquire, FlockError, FlockLock, Polled, Release};
use lockcheck_protocols::history::{EventKind, History, NoHistory};

const DIR: &str = "locks";
const KEY: &str = "task-123";

/// Seed 001's "Testing File Locking Mechanism": acquire, a second
/// non-blocking attempt is blocked, release, the second now succeeds. The
/// holder and the contender are separate processes on separate threads.
fn file_locking_mechanism<P: Process + 'static>(a: P, b: P, release: Release) {
    let lock = FlockLock::new(DIR, release);
    let (to_b, from_a) = mpsc::channel();
    let (to_a, from_b) = mpsc::channel();
    let holder = {
        let lock = lock.clone();
        thread::spawn(move || {
            let guard = lock.try_acquire(&a, &NoHistory, KEY).unwrap();
            let guard = guard.expect("acquired exclusive lock");
            to_b.send(()).unwrap();
            from_b.recv().unwrap();
            guard.release(&a, &NoHistory).unwrap();
            to_b.send(()).unwrap();
        })
    };
    let contender = thread::spawn(move || {
        from_a.recv().unwrap();
        let second = lock.try_acquire(&b, &NoHistory, KEY).unwrap();
        assert!(second.is_none(), "{release}: second lock correctly blocked");
        to_a.send(()).unwrap();
        from_a.recv().unwrap();
        let second = lock.try_acquire(&b, &NoHistory, KEY).unwrap();
        let guard = second.expect("second lock now succeeds");
        guard.release(&b, &NoHistory).unwrap();
    });
    holder.join().unwrap();
    contender.join().unwrap();
}

#[test]
fn every_variant_passes_seed_001_file_locking_mechanism_on_simfs() {
    for release in Release::ALL {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        a.mkdir(DIR).unwrap();
        file_locking_mechanism(a, b, release);
    }
}

#[test]
fn every_variant_passes_seed_001_file_locking_mechanism_on_a_real_directory() {
    for release in Release::ALL {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (
            RealFs::new(dir.path()).unwrap(),
            RealFs::new(dir.path()).unwrap(),
        );
        a.mkdir(DIR).unwrap();
        file_locking_mechanism(a, b, release);
    }
}

#[test]
fn a_held_lock_times_out_after_the_timeout_rounded_up_to_the_retry_delay_in_virtual_time() {
    let timeout = Duration::from_secs(10);
    let retry_delay = Duration::from_millis(300);
    let tries = timeout.as_nanos().div_ceil(retry_delay.as_nanos()) as u32;
    let expected = retry_delay * tries; // 34 x 300 ms = 10.2 s
    assert_eq!(expected, Duration::from_millis(10_200));
    for release in Release::ALL {
        let fs = SimFs::new();
        let (a, b) = (fs.spawn(), fs.spawn());
        a.mkdir(DIR).unwrap();
        let lock = FlockLock::new(DIR, release).with_mode(Acquire::Retry {
            timeout,
            retry_delay,
        });
        let (held, is_held) = mpsc::channel();
        let holder = {
            let lock = lock.clone();
            thread::spawn(move || {
                let guard = lock.acquire(&a, &NoHistory, KEY).unwrap();
                held.send(()).unwrap();
                // A stuck holder: virtual time runs while it sleeps.
                a.sleep(Duration::from_secs(3600));
                guard.release(&a, &NoHistory).unwrap();
            })
        };
        is_held.recv().unwrap();
        let history = History::new();
        let contender = thread::spawn(move || {
            let start = b.now();
            let err = lock.acquire(&b, &history, KEY).unwrap_err();
            let elapsed = b.now().duration_since(start).unwrap();
            (err, elapsed, history)
        });
        let (err, elapsed, history) = contender.join().unwrap();
        match err {
            FlockError::Timeout { key, waited } => {
                assert_eq!(key, KEY);
                assert_eq!(waited, expected, "{release}");
            }
            other => panic!("{release}: expected a timeout, got {other}"),
        }
        assert_eq!(elapsed, expected, "{release}");
        let kinds: Vec<_> = history.events().iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::Invoke, EventKind::Fail]);
        holder.join().unwrap();
    }
}

#[test]
fn a_held_lock_times_out_on_a_real_directory() {
    let dir = tempfile::tempdir().unwrap();
    let a = RealFs::new(dir.path()).unwrap();
    a.mkdir(DIR).unwrap();
    for release in Release::ALL {
        let lock = FlockLock::new(DIR, release).with_mode(Acquire::Retry {
            timeout: Duration::from_millis(50),
            retry_delay: Duration::from_millis(5),
        });
        let guard = lock.acquire(&a, &NoHistory, KEY).unwrap();
        let root = dir.path().to_path_buf();
        let contender = {
            let lock = lock.clone();
            thread::spawn(move || {
                let b = RealFs::new(root).unwrap();
                lock.acquire(&b, &NoHistory, KEY).map(|_| ())
            })
        };
        let result = contender.join().unwrap();
        assert!(
            matches!(result, Err(FlockError::Timeout { .. })),
            "{release}: {result:?}"
        );
        guard.release(&a, &NoHistory).unwrap();
    }
}

/// `threads` processes each add 1 to a counter file `rounds` times under
/// the lock; returns the final count.
fn count_under_lock<P: Process + 'static>(procs: Vec<P>, lock: &FlockLock, rounds: u32) -> u64 {
    let workers: Vec<_> = procs
        .into_iter()
        .map(|p| {
            let lock = lock.clone();
            thread::spawn(move || {
                for _ in 0..rounds {
                    let guard = lock.acquire(&p, &NoHistory, KEY).unwrap();
                    let n: u64 = match p.read_file("counter") {
                        Ok(bytes) => String::from_utf8(bytes).unwrap().parse().unwrap(),
                        Err(_) => 0,
                    };
                    p.write_file("counter", (n + 1).to_string().as_bytes())
                        .unwrap();
                    guard.release(&p, &NoHistory).unwrap();
                }
                p
            })
        })
        .collect();
    let procs: Vec<P> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let bytes = procs[0].read_file("counter").unwrap();
    String::from_utf8(bytes).unwrap().parse().unwrap()
}

#[test]
fn keep_file_and_unlink_with_recheck_lose_no_increment_on_real_threads() {
    let modes = [
        Acquire::Block,
        Acquire::Retry {
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_millis(1),
        },
    ];
    for release in [Release::KeepFile, Release::UnlinkWithRecheck] {
        for mode in modes {
            let dir = tempfile::tempdir().unwrap();
            let procs: Vec<RealFs> = (0..4).map(|_| RealFs::new(dir.path()).unwrap()).collect();
            procs[0].mkdir(DIR).unwrap();
            let lock = FlockLock::new(DIR, release).with_mode(mode);
            assert_eq!(
                count_under_lock(procs, &lock, 50),
                200,
                "{release} {mode:?}"
            );
            let left = std::fs::read_dir(dir.path().join(DIR)).unwrap().count();
            let expected = usize::from(release == Release::KeepFile);
            assert_eq!(left, expected, "{release}: lock files left behind");
        }
    }
}

#[test]
fn keep_file_and_unlink_with_recheck_lose_no_increment_on_simfs_threads() {
    for release in [Release::KeepFile, Release::UnlinkWithRecheck] {
        let fs = SimFs::new();
        let procs: Vec<_> = (0..4).map(|_| fs.spawn()).collect();
        procs[0].mkdir(DIR).unwrap();
        let lock = FlockLock::new(DIR, release).with_mode(Acquire::Block);
        assert_eq!(count_under_lock(procs, &lock, 50), 200, "{release}");
    }
}

#[test]
fn unlink_on_release_lets_a_waiter_on_the_old_inode_and_a_newcomer_hold_the_lock_at_once() {
    let fs = SimFs::new();
    let (a, b, c) = (fs.spawn(), fs.spawn(), fs.spawn());
    a.mkdir(DIR).unwrap();
    let lock = FlockLock::new(DIR, Release::UnlinkOnRelease);
    let history = History::new();

    let held_by_a = lock.try_acquire(&a, &history, KEY).unwrap().unwrap();
    // B opens the lock file (A's inode) and its first try is refused.
    let b_waits = match lock
        .attempt(&b, KEY)
        .unwrap()
        .poll(&b, Wait::NonBlock)
        .unwrap()
    {
        Polled::Busy(attempt) => attempt,
        other => panic!("B should be refused while A holds: {other:?}"),
    };
    // A releases: unlock, close, unlink.
    held_by_a.release(&a, &history).unwrap();
    assert!(!c.exists(lock.path(KEY)).unwrap());
    // C creates a new lock file at the path and locks it.
    let held_by_c = lock.try_acquire(&c, &history, KEY).unwrap();
    let held_by_c = held_by_c.expect("C locks the new file");
    // B's retry locks the old, unlinked inode.
    let held_by_b = match b_waits.poll(&b, Wait::NonBlock).unwrap() {
        Polled::Acquired(guard) => guard,
        other => panic!("B's retry should get the old inode: {other:?}"),
    };

    // Two holders at once, of two different files.
    assert_ne!(held_by_b.ino(), held_by_c.ino());
    assert_eq!(
        b.fstat(held_by_b.fd()).unwrap().nlink,
        0,
        "B locked an unlinked file"
    );
    assert_eq!(c.stat(lock.path(KEY)).unwrap().ino, held_by_c.ino());
    held_by_b.release(&b, &history).unwrap();
    held_by_c.release(&c, &history).unwrap();
    // The history shows C's acquisition after A's release, and then two
    // releases in a row: B's lock was taken step by step, unrecorded.
    let ops: Vec<_> = history
        .events()
        .iter()
        .map(|e| (e.process, e.op.as_str().to_owned(), e.kind))
        .collect();
    let (pa, pb, pc) = (a.pid(), b.pid(), c.pid());
    let expected: Vec<_> = [
        (pa, "flock/acquire"),
        (pa, "flock/release"),
        (pc, "flock/acquire"),
        (pb, "flock/release"),
        (pc, "flock/release"),
    ]
    .into_iter()
    .flat_map(|(p, op)| [EventKind::Invoke, EventKind::Ok].map(|kind| (p, op.to_owned(), kind)))
    .collect();
    assert_eq!(ops, expected);
}

#[test]
fn unlink_with_recheck_makes_the_waiter_on_the_old_inode_retry_instead_of_sharing_the_lock() {
    let fs = SimFs::new();
    let (a, b, c) = (fs.spawn(), fs.spawn(), fs.spawn());
    a.mkdir(DIR).unwrap();
    let lock = FlockLock::new(DIR, Release::UnlinkWithRecheck);

    let held_by_a = lock.try_acquire(&a, &NoHistory, KEY).unwrap().unwrap();
    let b_waits = match lock
        .attempt(&b, KEY)
        .unwrap()
        .poll(&b, Wait::NonBlock)
        .unwrap()
    {
        Polled::Busy(attempt) => attempt,
        other => panic!("B should be refused while A holds: {other:?}"),
    };
    // A releases: unlink while holding, then close.
    held_by_a.release(&a, &NoHistory).unwrap();
    let held_by_c = lock.try_acquire(&c, &NoHistory, KEY).unwrap();
    let held_by_c = held_by_c.expect("C locks the new file");
    // B gets the old inode's lock, sees the path names another file, and
    // lets go.
    assert!(matches!(
        b_waits.poll(&b, Wait::NonBlock).unwrap(),
        Polled::Stale
    ));
    // Its next attempt opens C's file, and is refused while C holds it.
    let b_waits = match lock
        .attempt(&b, KEY)
        .unwrap()
        .poll(&b, Wait::NonBlock)
        .unwrap()
    {
        Polled::Busy(attempt) => attempt,
        other => panic!("B should be refused while C holds: {other:?}"),
    };
    assert!(lock.try_acquire(&b, &NoHistory, KEY).unwrap().is_none());
    // C releases (unlinking its file): B's lock on it is stale again...
    held_by_c.release(&c, &NoHistory).unwrap();
    assert!(matches!(
        b_waits.poll(&b, Wait::NonBlock).unwrap(),
        Polled::Stale
    ));
    // ...and a fresh attempt creates the file anew and holds the lock alone.
    let held_by_b = lock.try_acquire(&b, &NoHistory, KEY).unwrap().unwrap();
    assert_eq!(b.stat(lock.path(KEY)).unwrap().ino, held_by_b.ino());
    held_by_b.release(&b, &NoHistory).unwrap();
    assert!(!b.exists(lock.path(KEY)).unwrap());
}

#[test]
fn a_guard_released_through_another_process_is_refused() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    a.mkdir(DIR).unwrap();
    let lock = FlockLock::new(DIR, Release::KeepFile);
    let guard = lock.try_acquire(&a, &NoHistory, KEY).unwrap().unwrap();
    let err = guard.release(&b, &NoHistory).unwrap_err();
    let FlockError::NotOwner { guard, called_by } = err else {
        panic!("expected NotOwner, got {err}");
    };
    assert_eq!((guard.pid(), called_by), (a.pid(), b.pid()));
    // The lock is still held: it was not released through B...
    assert!(lock.try_acquire(&b, &NoHistory, KEY).unwrap().is_none());
    // ...and the guard came back, to be released through A.
    guard.release(&a, &NoHistory).unwrap();
    let guard = lock.try_acquire(&b, &NoHistory, KEY).unwrap().unwrap();
    guard.release(&b, &NoHistory).unwrap();
}

#[test]
fn variant_names_are_stable_and_parse_back() {
    let names: Vec<String> = Release::ALL.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        names,
        [
            "flock/unlink-on-release",
            "flock/keep-file",
            "flock/unlink-with-recheck"
        ]
    );
    for r in Release::ALL {
        assert_eq!(r.to_string().parse::<Release>().unwrap(), r);
    }
    let err = "flock/nope".parse::<Release>().unwrap_err();
    assert!(err.to_string().contains("flock/keep-file"), "{err}");
}

/// A holds; B blocks in `flock` on its own thread; A releases and B, woken,
/// takes the lock; then a newcomer C tries once. Returns whether C got the
/// lock while B held it. Every step waits for a fact (B parked in `flock`,
/// B's report), never for time.
fn newcomer_gets_the_lock_a_woken_waiter_holds(release: Release) -> bool {
    let fs = SimFs::new();
    let (a, b, c) = (fs.spawn(), fs.spawn(), fs.spawn());
    a.mkdir(DIR).unwrap();
    let lock = FlockLock::new(DIR, release).with_mode(Acquire::Block);
    let held_by_a = lock.try_acquire(&a, &NoHistory, KEY).unwrap().unwrap();
    let b_pid = b.pid();
    let (b_holds, b_reported) = mpsc::channel();
    let (let_b_go, b_may_go) = mpsc::channel::<()>();
    let waiter = {
        let lock = lock.clone();
        thread::spawn(move || {
            let guard = lock.acquire(&b, &NoHistory, KEY).unwrap();
            b_holds.send(()).unwrap();
            b_may_go.recv().unwrap();
            guard.release(&b, &NoHistory).unwrap();
        })
    };
    while !fs.blocked_pids().contains(&b_pid) {
        thread::yield_now();
    }
    held_by_a.release(&a, &NoHistory).unwrap();
    // B wakes and takes the lock (on the old inode, or after a recheck on a
    // file it creates anew); wait until it says so.
    b_reported.recv().unwrap();
    let held_by_c = lock.try_acquire(&c, &NoHistory, KEY).unwrap();
    let c_holds = held_by_c.is_some();
    if let Some(guard) = held_by_c {
        guard.release(&c, &NoHistory).unwrap();
    }
    let_b_go.send(()).unwrap();
    waiter.join().unwrap();
    c_holds
}

#[test]
fn unlink_on_release_lets_a_blocked_waiter_and_a_newcomer_hold_the_lock_at_once() {
    let release = Release::UnlinkOnRelease;
    assert!(newcomer_gets_the_lock_a_woken_waiter_holds(release));
}

#[test]
fn unlink_with_recheck_and_keep_file_refuse_the_newcomer_while_the_woken_waiter_holds() {
    for release in [Release::KeepFile, Release::UnlinkWithRecheck] {
        let c_holds = newcomer_gets_the_lock_a_woken_waiter_holds(release);
        assert!(!c_holds, "{release}: C got the lock B holds");
    }
}
