//! Clock and ProcessInfo.

use std::time::Duration;

use lockcheck_fs::{Clock, ProcessInfo};

use crate::World;

conformance! {
    pid_is_stable_and_the_own_process_is_alive,
    a_pid_that_never_existed_is_not_alive,
    an_exited_process_is_alive_until_reaped,
    sleep_returns_and_now_does_not_go_backwards,
}

fn pid_is_stable_and_the_own_process_is_alive<W: World>(w: &W) {
    let p = w.process();
    let pid = p.pid();
    assert_ne!(pid, 0);
    assert_eq!(p.pid(), pid);
    assert!(p.is_alive(pid));
    let q = w.process();
    assert!(q.is_alive(pid), "another process sees it alive too");
    assert!(p.is_alive(q.pid()));
}

fn a_pid_that_never_existed_is_not_alive<W: World>(w: &W) {
    let p = w.process();
    // Above Linux's largest pid_max (2^22), and a positive i32.
    assert!(!p.is_alive(2_000_000_000));
}

fn an_exited_process_is_alive_until_reaped<W: World>(w: &W) {
    let p = w.process();
    let pid = w.exit_unreaped();
    assert!(p.is_alive(pid), "a zombie still answers kill(pid, 0)");
    w.reap(pid);
    assert!(!p.is_alive(pid), "a reaped process is gone");
}

fn sleep_returns_and_now_does_not_go_backwards<W: World>(w: &W) {
    let p = w.process();
    let before = p.now();
    p.sleep(Duration::ZERO);
    p.sleep(Duration::from_millis(1));
    let after = p.now();
    assert!(after >= before, "{before:?} -> {after:?}");
}
