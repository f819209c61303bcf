//! Advisory locks: flock, POSIX fcntl and OFD locks, and who owns them.
//!
//! POSIX-lock bodies keep every descriptor in ONE process so that both
//! backends mean the same thing (on the real backend all `World` processes
//! share one OS process's POSIX locks). An OFD lock is the probe: it is
//! owned by its open file description, so it conflicts with the POSIX lock
//! of its own process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use lockcheck_fs::{Errno, Fs, LockApi, LockKind, OpenOptions, Wait};

use crate::{
    World, assert_errno, assert_locks, assert_would_block, open, put, ro, rw, try_lock, wo,
};

use LockApi::{Flock, Ofd, Posix};
use LockKind::{Exclusive, Shared};

conformance! {
    flock_is_owned_by_the_open_file_description_so_two_opens_in_one_process_contend,
    flock_shared_locks_coexist_and_exclude_an_exclusive_one,
    flock_is_released_by_unlock_and_by_close,
    closing_another_open_of_the_file_keeps_the_flock,
    flock_relock_of_the_same_kind_succeeds_and_downgrade_lets_readers_in,
    flock_survives_unlink_and_a_new_file_at_the_name_is_not_locked,
    failed_nonblocking_flock_upgrade_loses_the_shared_lock,
    flock_upgrade_lets_no_waiter_in_between,
    flock_downgrade_lets_no_exclusive_waiter_in_between,
    blocked_flock_upgrade_waits_holding_nothing,
    blocking_flock_waits_until_the_holder_releases,
    crossing_blocking_flock_upgrades_do_not_deadlock,
    flock_contends_through_a_hard_link,
    flock_ignores_the_access_mode_and_works_on_directories,
    flock_and_record_locks_do_not_interact,
    posix_locks_of_one_process_do_not_exclude_each_other,
    closing_any_descriptor_of_the_file_drops_the_process_posix_lock,
    posix_unlock_drops_the_lock_and_unlocking_nothing_succeeds,
    posix_downgrade_to_shared_lets_ofd_readers_in,
    posix_exclusive_needs_a_writable_descriptor_and_shared_a_readable_one,
    ofd_locks_are_owned_by_the_description_so_two_opens_in_one_process_contend,
    ofd_locks_are_released_by_unlock_and_by_close,
    ofd_lock_excludes_a_posix_lock_of_the_same_process,
    failed_nonblocking_ofd_upgrade_keeps_the_shared_lock,
    ofd_exclusive_needs_a_writable_descriptor_and_shared_a_readable_one,
}

fn flock_is_owned_by_the_open_file_description_so_two_opens_in_one_process_contend<W: World>(
    w: &W,
) {
    let p = w.process();
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&p, "lock", ro()));
    assert_locks(&p, a, Flock, Exclusive);
    assert_would_block(&p, b, Flock, Exclusive);
    assert_would_block(&p, b, Flock, Shared);
    let q = w.process();
    let c = open(&q, "lock", ro());
    assert_would_block(&q, c, Flock, Shared);
    p.close(a).unwrap();
    assert_locks(&p, b, Flock, Exclusive);
    assert_would_block(&q, c, Flock, Exclusive);
}

fn flock_shared_locks_coexist_and_exclude_an_exclusive_one<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b, c) = (
        open(&p, "lock", ro()),
        open(&q, "lock", ro()),
        open(&q, "lock", ro()),
    );
    assert_locks(&p, a, Flock, Shared);
    assert_locks(&q, b, Flock, Shared);
    assert_would_block(&q, c, Flock, Exclusive);
    p.unlock(a, Flock).unwrap();
    assert_would_block(&q, c, Flock, Exclusive);
    q.unlock(b, Flock).unwrap();
    assert_locks(&q, c, Flock, Exclusive);
    assert_would_block(&p, a, Flock, Shared);
    assert_would_block(&q, b, Flock, Shared);
}

fn flock_is_released_by_unlock_and_by_close<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let a = open(&p, "lock", ro());
    let b = open(&q, "lock", ro());
    assert_locks(&p, a, Flock, Exclusive);
    assert_would_block(&q, b, Flock, Exclusive);
    p.unlock(a, Flock).unwrap();
    p.unlock(a, Flock).unwrap(); // Unlocking nothing is no error.
    assert_locks(&q, b, Flock, Exclusive);
    assert_would_block(&p, a, Flock, Exclusive);
    q.close(b).unwrap();
    assert_locks(&p, a, Flock, Exclusive);
}

fn closing_another_open_of_the_file_keeps_the_flock<W: World>(w: &W) {
    // Without dup, each open is its own description: closing one open
    // never releases another open's flock.
    let p = w.process();
    put(&p, "lock", b"");
    let (a, b, c) = (
        open(&p, "lock", ro()),
        open(&p, "lock", ro()),
        open(&p, "lock", rw()),
    );
    assert_locks(&p, a, Flock, Exclusive);
    p.close(b).unwrap();
    assert_would_block(&p, c, Flock, Shared);
    p.close(a).unwrap();
    assert_locks(&p, c, Flock, Shared);
}

fn flock_relock_of_the_same_kind_succeeds_and_downgrade_lets_readers_in<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&q, "lock", ro()));
    assert_locks(&p, a, Flock, Exclusive);
    assert_locks(&p, a, Flock, Exclusive);
    assert_would_block(&q, b, Flock, Shared);
    assert_locks(&p, a, Flock, Shared);
    assert_locks(&q, b, Flock, Shared);
    assert_would_block(&q, b, Flock, Exclusive);
}

fn flock_survives_unlink_and_a_new_file_at_the_name_is_not_locked<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let holder = open(&p, "lock", ro());
    let early = open(&q, "lock", ro());
    assert_locks(&p, holder, Flock, Exclusive);
    q.unlink("lock").unwrap();
    assert_would_block(&q, early, Flock, Exclusive);
    // The classic lock-file race: a new file at the name is another inode,
    // and its lock is free while the old holder still holds the old one.
    let late = open(&q, "lock", ro().create(true));
    assert_locks(&q, late, Flock, Exclusive);
    assert_would_block(&q, early, Flock, Shared);
    p.close(holder).unwrap();
    assert_locks(&q, early, Flock, Exclusive);
}

fn failed_nonblocking_flock_upgrade_loses_the_shared_lock<W: World>(w: &W) {
    let (p, q, r) = (w.process(), w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b, c) = (
        open(&p, "lock", ro()),
        open(&q, "lock", ro()),
        open(&r, "lock", ro()),
    );
    assert_locks(&p, a, Flock, Shared);
    assert_locks(&q, b, Flock, Shared);
    assert_would_block(&p, a, Flock, Exclusive);
    assert_would_block(&r, c, Flock, Exclusive); // b still holds shared.
    q.unlock(b, Flock).unwrap();
    // Had `a` kept its shared lock, this would fail.
    assert_locks(&r, c, Flock, Exclusive);
    assert_would_block(&p, a, Flock, Shared);
}

/// `p` converts its lock on the file to `to` while another process is
/// asleep waiting for an exclusive lock: the conversion succeeds at once,
/// and the waiter gets the lock only after `p` unlocks. Linux converts
/// under one hold of the inode's lock list, so no waiter gets in between.
fn conversion_with_an_exclusive_waiter<W: World>(w: &W, from: LockKind, to: LockKind) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&q, "lock", ro()));
    p.flock(a, from, Wait::Block).unwrap();
    let (unlocked, waiter_in) = (AtomicBool::new(false), AtomicBool::new(false));
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            q.flock(b, Exclusive, Wait::Block).unwrap();
            waiter_in.store(true, Ordering::SeqCst);
            assert!(
                unlocked.load(Ordering::SeqCst),
                "the waiter got in while the converted lock was held"
            );
            q.unlock(b, Flock).unwrap();
        });
        w.await_waiters("lock", 1);
        p.flock(a, to, Wait::Block).unwrap();
        assert!(
            !waiter_in.load(Ordering::SeqCst),
            "the waiter got in during the conversion"
        );
        let probe = open(&p, "lock", ro());
        assert_would_block(&p, probe, Flock, Exclusive);
        match to {
            Shared => assert_locks(&p, probe, Flock, Shared),
            Exclusive => assert_would_block(&p, probe, Flock, Shared),
        }
        p.close(probe).unwrap();
        unlocked.store(true, Ordering::SeqCst);
        p.unlock(a, Flock).unwrap();
        waiter.join().unwrap();
    });
}

fn flock_upgrade_lets_no_waiter_in_between<W: World>(w: &W) {
    conversion_with_an_exclusive_waiter(w, Shared, Exclusive);
}

fn flock_downgrade_lets_no_exclusive_waiter_in_between<W: World>(w: &W) {
    conversion_with_an_exclusive_waiter(w, Exclusive, Shared);
}

fn blocked_flock_upgrade_waits_holding_nothing<W: World>(w: &W) {
    // Linux drops the old lock before it looks for a conflict: an upgrade
    // that has to wait waits without its shared lock.
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&q, "lock", ro()));
    assert_locks(&p, a, Flock, Shared);
    assert_locks(&q, b, Flock, Shared);
    let released = AtomicBool::new(false);
    thread::scope(|s| {
        let upgrader = s.spawn(|| {
            p.flock(a, Exclusive, Wait::Block).unwrap();
            assert!(released.load(Ordering::SeqCst), "upgraded while q held");
        });
        w.await_waiters("lock", 1);
        // Had `a` kept its shared lock, q's upgrade would fail.
        assert_locks(&q, b, Flock, Exclusive);
        released.store(true, Ordering::SeqCst);
        q.unlock(b, Flock).unwrap();
        upgrader.join().unwrap();
    });
    assert_would_block(&q, b, Flock, Shared);
}

fn blocking_flock_waits_until_the_holder_releases<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let a = open(&p, "lock", ro());
    let b = open(&q, "lock", ro());
    p.flock(a, Exclusive, Wait::Block).unwrap();
    let released = AtomicBool::new(false);
    thread::scope(|s| {
        let waiter = s.spawn(|| {
            q.flock(b, Exclusive, Wait::Block).unwrap();
            assert!(
                released.load(Ordering::SeqCst),
                "the blocking flock returned while the other description held the lock"
            );
            q.unlock(b, Flock).unwrap();
        });
        released.store(true, Ordering::SeqCst);
        p.unlock(a, Flock).unwrap();
        waiter.join().unwrap();
    });
    assert_locks(&p, a, Flock, Exclusive);
}

fn crossing_blocking_flock_upgrades_do_not_deadlock<W: World>(w: &W) {
    // Each upgrade drops its shared lock before it waits, so two holders
    // upgrading at once both get through, one after the other.
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", ro()), open(&q, "lock", ro()));
    assert_locks(&p, a, Flock, Shared);
    assert_locks(&q, b, Flock, Shared);
    let inside = AtomicBool::new(false);
    let upgrade = |fs: &W::P, fd| {
        fs.flock(fd, Exclusive, Wait::Block).unwrap();
        assert!(
            !inside.swap(true, Ordering::SeqCst),
            "two exclusive holders"
        );
        inside.store(false, Ordering::SeqCst);
        fs.unlock(fd, Flock).unwrap();
    };
    thread::scope(|s| {
        s.spawn(|| upgrade(&p, a));
        s.spawn(|| upgrade(&q, b));
    });
    assert_locks(&p, a, Flock, Exclusive);
}

fn flock_contends_through_a_hard_link<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    p.link("lock", "alias").unwrap();
    let (a, b) = (open(&p, "lock", ro()), open(&q, "alias", ro()));
    assert_locks(&p, a, Flock, Exclusive);
    assert_would_block(&q, b, Flock, Shared);
}

fn flock_ignores_the_access_mode_and_works_on_directories<W: World>(w: &W) {
    let p = w.process();
    put(&p, "f", b"");
    p.mkdir("d").unwrap();
    let wfd = open(&p, "f", wo());
    assert_locks(&p, wfd, Flock, Shared);
    p.close(wfd).unwrap();
    let rfd = open(&p, "f", OpenOptions::new());
    assert_locks(&p, rfd, Flock, Exclusive);
    let (d1, d2) = (open(&p, "d", ro()), open(&p, "d", ro()));
    assert_locks(&p, d1, Flock, Exclusive);
    assert_would_block(&p, d2, Flock, Shared);
    // POSIX shared locks need only a readable descriptor, directories too.
    assert_locks(&p, d2, Posix, Shared);
    assert_errno(try_lock(&p, d2, Posix, Exclusive), Errno::EBADF);
}

fn flock_and_record_locks_do_not_interact<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (a, b, c) = (
        open(&p, "lock", rw()),
        open(&p, "lock", rw()),
        open(&p, "lock", rw()),
    );
    assert_locks(&p, a, Flock, Exclusive);
    assert_locks(&p, b, Posix, Exclusive);
    assert_would_block(&p, c, Ofd, Exclusive); // Conflicts with the POSIX lock...
    assert_would_block(&p, c, Flock, Exclusive); // ...and with the flock, separately.
    p.unlock(b, Posix).unwrap();
    assert_locks(&p, c, Ofd, Exclusive);
    assert_would_block(&p, c, Flock, Shared);
    p.unlock(a, Flock).unwrap();
    assert_locks(&p, c, Flock, Exclusive);
}

fn posix_locks_of_one_process_do_not_exclude_each_other<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (a, b, probe) = (
        open(&p, "lock", rw()),
        open(&p, "lock", rw()),
        open(&p, "lock", rw()),
    );
    assert_locks(&p, a, Posix, Exclusive);
    assert_locks(&p, b, Posix, Exclusive);
    assert_locks(&p, a, Posix, Shared);
    assert_locks(&p, b, Posix, Exclusive);
    assert_would_block(&p, probe, Ofd, Shared);
    // One lock per (process, file): unlocking through either descriptor frees it.
    p.unlock(a, Posix).unwrap();
    assert_locks(&p, probe, Ofd, Exclusive);
}

fn closing_any_descriptor_of_the_file_drops_the_process_posix_lock<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    put(&p, "other", b"");
    let holder = open(&p, "lock", rw());
    let probe = open(&p, "lock", rw());
    let unrelated = open(&p, "lock", ro());
    let other_file = open(&p, "other", ro());
    assert_locks(&p, holder, Posix, Exclusive);
    assert_would_block(&p, probe, Ofd, Exclusive);
    assert_would_block(&p, probe, Ofd, Shared);
    p.close(other_file).unwrap();
    assert_would_block(&p, probe, Ofd, Exclusive); // Another file's close: no effect.
    p.close(unrelated).unwrap();
    assert_locks(&p, probe, Ofd, Exclusive);
    // And the holder does not get it back by itself.
    assert_would_block(&p, holder, Posix, Shared);
}

fn posix_unlock_drops_the_lock_and_unlocking_nothing_succeeds<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (holder, probe) = (open(&p, "lock", rw()), open(&p, "lock", rw()));
    p.unlock(holder, Posix).unwrap();
    p.unlock(holder, Ofd).unwrap();
    assert_locks(&p, holder, Posix, Exclusive);
    assert_would_block(&p, probe, Ofd, Shared);
    p.unlock(holder, Posix).unwrap();
    assert_locks(&p, probe, Ofd, Exclusive);
}

fn posix_downgrade_to_shared_lets_ofd_readers_in<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (holder, probe) = (open(&p, "lock", rw()), open(&p, "lock", rw()));
    assert_locks(&p, holder, Posix, Exclusive);
    assert_would_block(&p, probe, Ofd, Shared);
    assert_locks(&p, holder, Posix, Shared);
    assert_locks(&p, probe, Ofd, Shared);
    assert_would_block(&p, holder, Posix, Exclusive); // The OFD reader now blocks an upgrade.
    assert_would_block(&p, probe, Ofd, Exclusive);
}

fn posix_exclusive_needs_a_writable_descriptor_and_shared_a_readable_one<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (r, wr) = (open(&p, "lock", ro()), open(&p, "lock", wo()));
    assert_errno(try_lock(&p, r, Posix, Exclusive), Errno::EBADF);
    assert_errno(try_lock(&p, wr, Posix, Shared), Errno::EBADF);
    let probe = open(&p, "lock", rw());
    assert_locks(&p, probe, Ofd, Exclusive); // The failed calls took nothing.
    p.unlock(probe, Ofd).unwrap();
    assert_locks(&p, r, Posix, Shared);
    assert_locks(&p, wr, Posix, Exclusive);
}

fn ofd_locks_are_owned_by_the_description_so_two_opens_in_one_process_contend<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", rw()), open(&p, "lock", rw()));
    assert_locks(&p, a, Ofd, Exclusive);
    assert_locks(&p, a, Ofd, Exclusive);
    assert_would_block(&p, b, Ofd, Exclusive);
    assert_would_block(&p, b, Ofd, Shared);
    let c = open(&q, "lock", rw());
    assert_would_block(&q, c, Ofd, Shared);
    assert_locks(&p, a, Ofd, Shared);
    assert_locks(&p, b, Ofd, Shared);
    assert_locks(&q, c, Ofd, Shared);
    assert_would_block(&q, c, Ofd, Exclusive);
}

fn ofd_locks_are_released_by_unlock_and_by_close<W: World>(w: &W) {
    let (p, q) = (w.process(), w.process());
    put(&p, "lock", b"");
    let (a, other, b) = (
        open(&p, "lock", rw()),
        open(&p, "lock", ro()),
        open(&q, "lock", rw()),
    );
    assert_locks(&p, a, Ofd, Exclusive);
    p.close(other).unwrap(); // Unlike POSIX locks: another close does nothing.
    assert_would_block(&q, b, Ofd, Exclusive);
    p.unlock(a, Ofd).unwrap();
    assert_locks(&q, b, Ofd, Exclusive);
    assert_would_block(&p, a, Ofd, Shared);
    q.close(b).unwrap();
    assert_locks(&p, a, Ofd, Exclusive);
}

fn ofd_lock_excludes_a_posix_lock_of_the_same_process<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (a, b) = (open(&p, "lock", rw()), open(&p, "lock", rw()));
    assert_locks(&p, a, Ofd, Exclusive);
    assert_would_block(&p, b, Posix, Exclusive);
    assert_would_block(&p, a, Posix, Shared); // Even through the same descriptor.
    p.unlock(a, Ofd).unwrap();
    assert_locks(&p, b, Posix, Exclusive);
}

fn failed_nonblocking_ofd_upgrade_keeps_the_shared_lock<W: World>(w: &W) {
    // Unlike flock, a record lock upgrade that fails changes nothing.
    let (p, q, r) = (w.process(), w.process(), w.process());
    put(&p, "lock", b"");
    let (a, b, c) = (
        open(&p, "lock", rw()),
        open(&q, "lock", rw()),
        open(&r, "lock", rw()),
    );
    assert_locks(&p, a, Ofd, Shared);
    assert_locks(&q, b, Ofd, Shared);
    assert_would_block(&p, a, Ofd, Exclusive);
    q.unlock(b, Ofd).unwrap();
    assert_would_block(&r, c, Ofd, Exclusive); // `a` still holds shared.
    assert_locks(&r, c, Ofd, Shared);
    assert_would_block(&r, c, Ofd, Exclusive);
}

fn ofd_exclusive_needs_a_writable_descriptor_and_shared_a_readable_one<W: World>(w: &W) {
    let p = w.process();
    put(&p, "lock", b"");
    let (r, wr) = (open(&p, "lock", ro()), open(&p, "lock", wo()));
    assert_errno(try_lock(&p, r, Ofd, Exclusive), Errno::EBADF);
    assert_errno(try_lock(&p, wr, Ofd, Shared), Errno::EBADF);
    assert_locks(&p, r, Ofd, Shared);
    p.unlock(r, Ofd).unwrap();
    assert_locks(&p, wr, Ofd, Exclusive);
}
