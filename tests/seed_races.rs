//! The first seed race, reproduced with nothing but the file-system layer
//! and shuttle: seed 004's lock refresh by unlink-then-write lets a second
//! agent take the lock, while refresh by write-temp-then-rename never leaves
//! the lock file missing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockcheck::fs::sync::ShuttleRuntime;
use lockcheck::fs::{Errno, Fs, OpenOptions, SimFs, SimProc, errno_of};

type Proc = SimProc<ShuttleRuntime>;

fn try_acquire(p: &Proc, owner: &str) -> bool {
    match p.open(
        "agent.lock",
        OpenOptions::new().write(true).create_new(true),
    ) {
        Ok(fd) => {
            p.write_all(fd, owner.as_bytes()).unwrap();
            p.close(fd).unwrap();
            true
        }
        Err(e) if errno_of(&e) == Some(Errno::EEXIST) => false,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Agent a holds the lock and refreshes it once; agent b tries to take it
/// once. Counts the interleavings (shuttle DFS: all of them) in which b
/// got the lock while a still believed it held it.
fn double_owners(refresh: fn(&Proc)) -> (usize, usize) {
    let bad = Arc::new(AtomicUsize::new(0));
    let all = Arc::new(AtomicUsize::new(0));
    let (bad2, all2) = (bad.clone(), all.clone());
    shuttle::check_dfs(
        move || {
            let fs = SimFs::<ShuttleRuntime>::default();
            let (a, b) = (fs.spawn(), fs.spawn());
            assert!(try_acquire(&a, "a"));
            let t = shuttle::thread::spawn(move || try_acquire(&b, "b"));
            refresh(&a);
            if t.join().unwrap() {
                bad2.fetch_add(1, Ordering::SeqCst);
            }
            all2.fetch_add(1, Ordering::SeqCst);
        },
        None,
    );
    (bad.load(Ordering::SeqCst), all.load(Ordering::SeqCst))
}

#[test]
fn unlink_then_write_refresh_lets_two_owners_hold_the_lock() {
    let (bad, all) = double_owners(|a| {
        a.unlink("agent.lock").unwrap();
        a.write_file("agent.lock", b"a refreshed").unwrap();
    });
    assert!(
        bad > 0,
        "the race window must be found: 0 of {all} interleavings"
    );
}

#[test]
fn temp_then_rename_refresh_never_lets_a_second_owner_in() {
    let (bad, all) = double_owners(|a| {
        a.write_file("agent.lock.tmp", b"a refreshed").unwrap();
        a.rename("agent.lock.tmp", "agent.lock").unwrap();
    });
    assert_eq!(bad, 0, "{bad} of {all} interleavings had two owners");
    assert!(all > 10, "DFS explored every interleaving: {all}");
}
