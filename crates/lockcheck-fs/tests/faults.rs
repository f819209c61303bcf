//! SimFs-only behaviour: crashes, power loss under both durability
//! profiles, pid reuse, virtual time, pauses, clock skew and torn writes.

use std::time::Duration;

use lockcheck_fs::{
    Clock, Errno, Fs, LockApi, LockKind, OpenOptions, ProcessInfo, Profile, SimConfig, SimFs, Skew,
    Wait, errno_of,
};

fn errno<T: std::fmt::Debug>(r: std::io::Result<T>) -> Errno {
    errno_of(&r.expect_err("call should fail")).expect("a modelled errno")
}

fn create() -> OpenOptions {
    OpenOptions::new().write(true).create(true).truncate(true)
}

fn sim(profile: Profile) -> SimFs {
    SimFs::with_config(SimConfig {
        profile,
        ..SimConfig::default()
    })
}

/// Writes `data` to `path` and makes it durable (file and directory).
fn write_durably(p: &impl Fs, path: &str, data: &[u8]) {
    let fd = p.open(path, create()).unwrap();
    p.write_all(fd, data).unwrap();
    p.fsync(fd).unwrap();
    p.close(fd).unwrap();
    p.fsync_dir(".").unwrap();
}

#[test]
fn crash_releases_locks_and_keeps_what_was_written() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let fa = a.open("lock", create()).unwrap();
    a.write_all(fa, b"owner=a").unwrap();
    a.flock(fa, LockKind::Exclusive, Wait::NonBlock).unwrap();
    a.lock(fa, LockApi::Posix, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    let fb = b
        .open("lock", OpenOptions::new().read(true).write(true))
        .unwrap();
    assert_eq!(
        errno(b.flock(fb, LockKind::Exclusive, Wait::NonBlock)),
        Errno::EWOULDBLOCK
    );

    fs.crash(a.pid());

    b.flock(fb, LockKind::Exclusive, Wait::NonBlock).unwrap();
    b.lock(fb, LockApi::Posix, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    assert_eq!(b.read_to_end(fb).unwrap(), b"owner=a");
    assert_eq!(errno(a.stat("lock")), Errno::ESRCH);
    assert!(!b.is_alive(a.pid()));
}

#[test]
fn a_crashed_pid_can_be_reused_and_the_old_handle_stays_dead() {
    let fs = SimFs::new();
    let old = fs.spawn();
    let pid = old.pid();
    assert_eq!(errno(fs.spawn_with_pid(pid)), Errno::EEXIST);
    fs.crash(pid);
    let observer = fs.spawn();
    assert!(!observer.is_alive(pid));

    let new = fs.spawn_with_pid(pid).unwrap();
    assert_eq!(new.pid(), pid);
    assert!(
        observer.is_alive(pid),
        "the pid is alive again, as another process"
    );
    assert_eq!(errno(old.mkdir("x")), Errno::ESRCH);
    new.mkdir("x").unwrap();
    drop(old); // Dropping the dead handle must not end the new process.
    assert!(observer.is_alive(pid));
}

/// The usual atomic replace of `cfg` by "new": temp file, then rename,
/// fsyncing the temp file's data first only when asked. Returns the
/// contents of `cfg` in every crash state.
fn replace_cfg(fs: &SimFs, fsync_data: bool) -> Vec<Option<Vec<u8>>> {
    let p = fs.spawn();
    write_durably(&p, "cfg", b"old");
    let fd = p.open("cfg.tmp", create()).unwrap();
    p.write_all(fd, b"new").unwrap();
    if fsync_data {
        p.fsync(fd).unwrap();
    }
    p.close(fd).unwrap();
    p.rename("cfg.tmp", "cfg").unwrap();
    fs.crash_states()
        .map(|s| s.file("cfg").map(<[u8]>::to_vec))
        .collect()
}

#[test]
fn unsynced_writes_may_be_lost_in_order_but_never_reordered() {
    let fs = sim(Profile::InOrder);
    let cfgs = replace_cfg(&fs, false);
    assert_eq!(
        fs.crash_state_count(),
        4,
        "create, write, rename are pending"
    );
    assert!(cfgs.contains(&Some(b"old".to_vec())));
    assert!(cfgs.contains(&Some(b"new".to_vec())));
    assert!(
        cfgs.iter()
            .all(|c| c.as_deref() == Some(b"old") || c.as_deref() == Some(b"new"))
    );
}

#[test]
fn reordering_can_persist_a_rename_before_the_data_it_publishes() {
    let fs = sim(Profile::Reordering);
    let cfgs = replace_cfg(&fs, false);
    assert_eq!(fs.crash_state_count(), 8);
    assert!(
        cfgs.contains(&Some(Vec::new())),
        "ALICE's empty file after a crash: {cfgs:?}"
    );
}

#[test]
fn fsync_before_rename_rules_out_the_empty_file_even_when_reordering() {
    let fs = sim(Profile::Reordering);
    for cfg in replace_cfg(&fs, true) {
        let cfg = cfg.expect("cfg is never missing");
        assert!(cfg == b"old" || cfg == b"new", "torn cfg: {cfg:?}");
    }
    let p = fs.spawn();
    p.fsync_dir(".").unwrap();
    assert_eq!(
        fs.crash_state_count(),
        1,
        "nothing pending after the directory fsync"
    );
    assert_eq!(fs.durable_snapshot().file("cfg"), Some(&b"new"[..]));
}

#[test]
fn a_new_file_is_not_durable_until_its_directory_is_synced() {
    let fs = sim(Profile::Reordering);
    let p = fs.spawn();
    p.mkdir("d").unwrap();
    p.fsync_dir(".").unwrap();
    let fd = p.open("d/f", create()).unwrap();
    p.write_all(fd, b"data").unwrap();
    p.fsync(fd).unwrap();
    assert!(
        !fs.durable_snapshot().contains("d/f"),
        "data synced, name not"
    );
    p.fsync_dir("d").unwrap();
    assert_eq!(fs.durable_snapshot().file("d/f"), Some(&b"data"[..]));
}

#[test]
fn power_loss_kills_every_process_and_leaves_the_chosen_state() {
    let fs = sim(Profile::InOrder);
    let p = fs.spawn();
    write_durably(&p, "a", b"1");
    let fd = p.open("a", create()).unwrap();
    p.write_all(fd, b"2").unwrap();
    p.flock(fd, LockKind::Exclusive, Wait::NonBlock).unwrap();

    fs.power_loss(0).unwrap();

    assert_eq!(errno(p.stat("a")), Errno::ESRCH);
    let q = fs.spawn();
    assert_eq!(
        q.read_file("a").unwrap(),
        b"1",
        "the unsynced truncate and write are gone"
    );
    let fd = q.open("a", OpenOptions::new()).unwrap();
    q.flock(fd, LockKind::Exclusive, Wait::NonBlock).unwrap();
    assert_eq!(fs.crash_state_count(), 1);
    assert_eq!(errno(fs.power_loss(5)), Errno::EINVAL);
}

#[test]
fn sleeping_moves_the_clock_only_when_every_process_waits() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let t0 = a.now();
    std::thread::scope(|s| {
        let long = s.spawn(|| {
            a.sleep(Duration::from_secs(10));
            a.now()
        });
        b.sleep(Duration::from_secs(5));
        let woke = b.now();
        // b is running: the clock cannot move past 5 s until b waits or exits.
        b.mkdir("still-5s").unwrap();
        assert_eq!(b.now(), woke);
        assert_eq!(woke.duration_since(t0).unwrap(), Duration::from_secs(5));
        drop(b);
        let late = long.join().unwrap();
        assert_eq!(late.duration_since(t0).unwrap(), Duration::from_secs(10));
    });
}

#[test]
fn a_paused_process_stays_stopped_while_others_run() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let fd = a.open("lease", create()).unwrap();
    a.flock(fd, LockKind::Exclusive, Wait::NonBlock).unwrap();
    fs.pause(a.pid(), Duration::from_secs(60)).unwrap();
    std::thread::scope(|s| {
        // The thread owns `a`: when it returns, process a exits. A process
        // whose handle lives on counts as running and holds the clock back.
        let paused = s.spawn(move || {
            a.write_all(fd, b"late write").unwrap();
            a.now()
        });
        // The clock reaches 30 s only once a waits too: a has reached its
        // write and is held there by the pause.
        b.sleep(Duration::from_secs(30));
        // However long b now takes, a does not run while b is running.
        for i in 0..100 {
            b.mkdir(format!("d{i}")).unwrap();
        }
        assert_eq!(b.read_file("lease").unwrap(), b"");
        b.sleep(Duration::from_secs(31));
        assert_eq!(b.read_file("lease").unwrap(), b"late write");
        let resumed = paused.join().unwrap();
        assert_eq!(
            resumed
                .duration_since(fs.now() - Duration::from_secs(61))
                .unwrap(),
            Duration::from_secs(60)
        );
    });
}

#[test]
fn skewed_clocks_disagree_by_the_skew() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    fs.skew_clock(b.pid(), Skew::Ahead(Duration::from_secs(30)))
        .unwrap();
    assert_eq!(
        b.now().duration_since(a.now()).unwrap(),
        Duration::from_secs(30)
    );
    fs.skew_clock(b.pid(), Skew::Behind(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(
        a.now().duration_since(b.now()).unwrap(),
        Duration::from_secs(2)
    );
}

#[test]
fn a_long_write_becomes_several_steps_when_torn_writes_are_on() {
    let fs = SimFs::with_config(SimConfig {
        torn_write_size: Some(4),
        ..SimConfig::default()
    });
    let p = fs.spawn();
    let fd = p.open("f", create()).unwrap();
    let before = fs.steps();
    assert_eq!(p.write(fd, b"0123456789").unwrap(), 10);
    assert_eq!(fs.steps() - before, 3);
    let parts: Vec<_> = fs
        .trace()
        .into_iter()
        .filter(|e| e.call.contains("[part"))
        .collect();
    assert_eq!(parts.len(), 3);
    assert!(parts[2].call.ends_with("[part 3/3]"), "{}", parts[2]);
    assert_eq!(p.read_file("f").unwrap(), b"0123456789");
}

#[test]
fn trace_shows_calls_arguments_and_results() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let _ = p.open("missing", OpenOptions::new());
    let fd = p
        .open("f", OpenOptions::new().write(true).create_new(true))
        .unwrap();
    p.write_all(fd, b"{}").unwrap();
    let lines: Vec<String> = fs.trace().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "    0  p100  open(\"missing\", O_RDONLY) = -1 ENOENT",
            "    1  p100  open(\"f\", O_WRONLY|O_CREAT|O_EXCL) = fd3",
            "    2  p100  write(fd3, \"{}\") = 2",
        ]
    );
}

/// Two processes each hold one file's flock and block on the other's;
/// returns the panic message each waiter got.
fn crossed_flocks(fs: &SimFs) -> Vec<String> {
    let (a, b) = (fs.spawn(), fs.spawn());
    let (a1, a2) = (
        a.open("1", create()).unwrap(),
        a.open("2", create()).unwrap(),
    );
    let (b1, b2) = (
        b.open("1", create()).unwrap(),
        b.open("2", create()).unwrap(),
    );
    a.flock(a1, LockKind::Exclusive, Wait::Block).unwrap();
    b.flock(b2, LockKind::Exclusive, Wait::Block).unwrap();
    let outcomes = std::thread::scope(|s| {
        let ta = s.spawn(move || a.flock(a2, LockKind::Exclusive, Wait::Block));
        let tb = s.spawn(move || b.flock(b1, LockKind::Exclusive, Wait::Block));
        [ta.join(), tb.join()]
    });
    let message = |outcome: std::thread::Result<std::io::Result<()>>| {
        let panic = outcome.expect_err("both waiters are told about the deadlock");
        panic.downcast_ref::<String>().expect("a message").clone()
    };
    outcomes.into_iter().map(message).collect()
}

#[test]
fn every_live_process_blocked_on_locks_is_reported_as_a_deadlock() {
    let outcomes = crossed_flocks(&SimFs::new());
    for msg in outcomes {
        assert!(
            msg.starts_with("lockcheck: deadlock: every live process is blocked"),
            "{msg}"
        );
        assert!(
            msg.contains("p100 waits for Flock Exclusive lock") && msg.contains("p101 waits"),
            "{msg}"
        );
    }
}

#[test]
fn threads_of_one_process_share_posix_locks_and_are_tracked_separately() {
    let fs = SimFs::new();
    let main = fs.spawn();
    let worker = main.thread();
    assert_eq!(worker.pid(), main.pid());
    let rw = OpenOptions::new().read(true).write(true).create(true);
    let (f1, f2) = (main.open("f", rw).unwrap(), main.open("f", rw).unwrap());
    // POSIX locks belong to the process: its threads never exclude each other.
    main.lock(f1, LockApi::Posix, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    worker
        .lock(f2, LockApi::Posix, LockKind::Exclusive, Wait::NonBlock)
        .unwrap();
    // flock belongs to the description: the worker blocks on f2 while main,
    // still running, holds f1's flock. That is not a deadlock: main can
    // (and does) release it.
    main.flock(f1, LockKind::Exclusive, Wait::NonBlock).unwrap();
    std::thread::scope(|s| {
        let t = s.spawn(move || worker.flock(f2, LockKind::Exclusive, Wait::Block));
        while !fs.blocked_pids().contains(&fs.live_pids()[0]) {
            std::thread::yield_now();
        }
        main.sleep(Duration::from_secs(1)); // Both threads wait: the clock moves.
        main.unlock(f1, LockApi::Flock).unwrap();
        t.join().unwrap().unwrap();
    });
    assert!(
        fs.live_pids().contains(&main.pid()),
        "the process lives while a handle does"
    );
    let pid = main.pid();
    drop(main);
    assert!(!fs.live_pids().contains(&pid));
}

#[test]
fn fsync_of_a_new_directory_keeps_its_entries_until_its_name_is_durable() {
    // The textbook order: the file, then its directory, then the parent.
    let fs = sim(Profile::Reordering);
    let p = fs.spawn();
    p.mkdir("d").unwrap();
    let fd = p.open("d/f", create()).unwrap();
    p.write_all(fd, b"data").unwrap();
    p.fsync(fd).unwrap();
    p.fsync_dir("d").unwrap();
    assert!(
        !fs.durable_snapshot().contains("d"),
        "d's own name is not durable yet"
    );
    p.fsync_dir(".").unwrap();
    assert_eq!(fs.durable_snapshot().file("d/f"), Some(&b"data"[..]));
    assert_eq!(fs.crash_state_count(), 1);
}

#[test]
fn a_renamed_directory_never_comes_back_as_a_file() {
    let fs = sim(Profile::Reordering);
    let p = fs.spawn();
    p.mkdir("d.tmp").unwrap();
    p.rename("d.tmp", "d").unwrap();
    for state in fs.crash_states() {
        assert!(
            state.file("d").is_none() && state.file("d.tmp").is_none(),
            "{state}"
        );
    }
    p.fsync_dir(".").unwrap();
    assert_eq!(fs.durable_snapshot().entries().get("d"), Some(&None));
}

#[test]
fn changes_past_the_reordering_window_are_kept_in_every_crash_state() {
    let fs = sim(Profile::Reordering);
    let p = fs.spawn();
    let fd = p.open("log", create()).unwrap();
    for _ in 0..70 {
        p.write_all(fd, b"x").unwrap();
    }
    p.write_file("late", b"1").unwrap();
    assert_eq!(fs.crash_state_count(), 1 << lockcheck_fs::MAX_REORDERED);
    let last = fs.crash_state(fs.crash_state_count() - 1).unwrap();
    assert_eq!(last.file("late"), Some(&b"1"[..]));
    assert_eq!(last.file("log").map(<[u8]>::len), Some(70));
    assert_eq!(fs.crash_state(0).unwrap().file("late"), Some(&b"1"[..]));
}

#[test]
fn sleeping_or_pausing_forever_saturates_the_clock_instead_of_panicking() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let q = fs.spawn();
    fs.advance(Duration::from_secs(1));
    fs.pause(q.pid(), Duration::MAX).unwrap();
    drop(q);
    p.sleep(Duration::MAX);
    fs.advance(Duration::MAX);
    assert!(p.now() > fs.now() - Duration::from_secs(1));
}

#[test]
fn power_loss_clears_a_declared_deadlock() {
    let fs = SimFs::new();
    assert_eq!(crossed_flocks(&fs).len(), 2, "both told of the deadlock");
    fs.power_loss(fs.crash_state_count() - 1).unwrap();
    assert!(
        fs.spawn().exists("1").unwrap(),
        "the simulation goes on after the power loss"
    );
}

#[test]
fn faults_appear_in_the_trace() {
    let fs = SimFs::new();
    let p = fs.spawn();
    fs.pause(p.pid(), Duration::from_secs(5)).unwrap();
    fs.skew_clock(p.pid(), Skew::Ahead(Duration::from_secs(1)))
        .unwrap();
    fs.crash(p.pid());
    fs.power_loss(0).unwrap();
    let calls: Vec<String> = fs
        .trace()
        .iter()
        .map(|e| format!("p{} {}", e.pid, e.call))
        .collect();
    assert_eq!(
        calls,
        [
            "p100 pause(5s) (SIGSTOP)",
            "p100 skew_clock(Ahead(1s))",
            "p100 crash (SIGKILL)",
            "p0 power loss, crash state 0"
        ]
    );
    assert_eq!(
        errno(fs.skew_clock(p.pid(), Skew::Ahead(Duration::ZERO))),
        Errno::ESRCH
    );
}

#[test]
fn one_handle_used_by_two_threads_at_once_is_refused_with_a_clear_message() {
    let fs = SimFs::new();
    let (a, b) = (fs.spawn(), fs.spawn());
    let fa = a.open("l", create()).unwrap();
    let fb = b.open("l", create()).unwrap();
    a.flock(fa, LockKind::Exclusive, Wait::Block).unwrap();
    let second = std::thread::scope(|s| {
        let first = s.spawn(|| b.flock(fb, LockKind::Exclusive, Wait::Block));
        while !fs.blocked_pids().contains(&b.pid()) {
            std::thread::yield_now();
        }
        // b's only thread is asleep in flock: another call through b is a
        // second thread sharing the handle.
        let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| b.stat("l")));
        a.unlock(fa, LockApi::Flock).unwrap();
        first.join().unwrap().unwrap();
        second
    });
    let panic = second.expect_err("refused");
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("used by two threads at once") && msg.contains("SimProc::thread()"),
        "{msg}"
    );
}

#[test]
fn a_concurrent_reader_sees_every_intermediate_state_of_a_torn_write() {
    use lockcheck_fs::sync::ShuttleRuntime;
    use std::collections::BTreeSet;
    use std::sync::{Arc, Mutex};
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let out = seen.clone();
    shuttle::check_dfs(
        move || {
            let config = SimConfig {
                torn_write_size: Some(4),
                ..SimConfig::default()
            };
            let fs = SimFs::<ShuttleRuntime>::build(config);
            let (writer, reader) = (fs.spawn(), fs.spawn());
            let fd = writer.open("f", create()).unwrap();
            let out = out.clone();
            let t = shuttle::thread::spawn(move || {
                let data = reader.read_file("f").unwrap();
                out.lock().unwrap().insert(String::from_utf8(data).unwrap());
            });
            writer.write_all(fd, b"0123456789").unwrap();
            t.join().unwrap();
        },
        None,
    );
    let seen: Vec<String> = seen.lock().unwrap().iter().cloned().collect();
    assert_eq!(seen, ["", "0123", "01234567", "0123456789"]);
}

#[test]
fn after_sync_all_a_power_loss_right_away_keeps_every_initial_file() {
    for profile in [Profile::InOrder, Profile::Reordering] {
        let fs = sim(profile);
        let setup = fs.spawn();
        setup.mkdir("d").unwrap();
        setup.write_file("d/a", b"first").unwrap();
        setup.write_file("b", b"second").unwrap();
        drop(setup);
        let steps = fs.steps();
        fs.sync_all();
        assert_eq!(fs.steps(), steps, "sync_all is not a process's step");
        assert_eq!(fs.durable_snapshot(), fs.snapshot(), "{profile:?}");
        assert_eq!(fs.crash_state_count(), 1, "{profile:?}: nothing pending");
        fs.power_loss(0).unwrap();
        let p = fs.spawn();
        assert_eq!(p.read_file("d/a").unwrap(), b"first", "{profile:?}");
        assert_eq!(p.read_file("b").unwrap(), b"second", "{profile:?}");
    }
}
