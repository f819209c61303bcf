//! Real OS processes: POSIX locks between processes, and their release
//! when a process closes any descriptor of the file or is killed.
//!
//! The tests re-execute this test binary as a child process that runs only
//! [`child_serves_lock_commands_when_spawned_by_a_parent_test`], told by
//! the environment variable [`CHILD_DIR`] which directory to work in. The
//! child reads one command a line from stdin and answers each on stderr
//! (lines starting with [`REPLY`]), so every step is sequenced by the pipes,
//! never by sleeping. `sim_only` has the SimFs twins of these tests.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{ChildStderr, ChildStdin, Command, Stdio};
use std::sync::Arc;

use lockcheck_fs::{Errno, Fd, Fs, LockApi, LockKind, ProcessInfo, RealFs, Wait, errno_of};

use crate::{RealWorld, World, assert_locks, assert_would_block, open, put, ro, rw};

use LockApi::{Flock, Ofd, Posix};
use LockKind::{Exclusive, Shared};

/// Set in a child's environment to the directory it works in.
const CHILD_DIR: &str = "LOCKCHECK_CONFORMANCE_CHILD_DIR";
/// Prefix of the child's answers on stderr.
const REPLY: &str = "@@lockcheck-child@@ ";
const CHILD_TEST: &str = "child_serves_lock_commands_when_spawned_by_a_parent_test";

/// The child's side. Without [`CHILD_DIR`] (a normal test run) it returns
/// at once. Commands: `open PATH ro|rw` (answers `ok FD`), `lock FD
/// posix|flock|ofd sh|ex` (non-blocking), `lockw FD posix ex` (blocking),
/// `unlock FD posix|flock|ofd`,
/// `close FD`; failures answer `err ERRNO`. It exits at end of input.
#[test]
fn child_serves_lock_commands_when_spawned_by_a_parent_test() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let fs = RealFs::new(Path::new(&dir)).expect("open the parent's directory");
    eprintln!("{REPLY}ready {}", std::process::id());
    for line in std::io::stdin().lines() {
        let line = line.expect("read a command");
        let words: Vec<&str> = line.split_whitespace().collect();
        let fd = |s: &str| Fd(s.parse().expect("a descriptor number"));
        let result = match words[..] {
            ["open", path, "ro"] => fs.open(path, ro()).map(|fd| fd.0.to_string()),
            ["open", path, "rw"] => fs.open(path, rw()).map(|fd| fd.0.to_string()),
            ["lock", n, api, kind] => {
                let kind = match kind {
                    "sh" => Shared,
                    "ex" => Exclusive,
                    _ => panic!("bad lock kind in {line:?}"),
                };
                fs.lock(fd(n), parse_api(api), kind, Wait::NonBlock)
                    .map(|()| String::new())
            }
            ["lockw", n, "posix", "ex"] => fs
                .lock(fd(n), Posix, Exclusive, Wait::Block)
                .map(|()| String::new()),
            ["unlock", n, api] => fs.unlock(fd(n), parse_api(api)).map(|()| String::new()),
            ["close", n] => fs.close(fd(n)).map(|()| String::new()),
            ["fill", path, limit] => Ok(fill(&Path::new(&dir).join(path), limit)),
            _ => panic!("unknown command {line:?}"),
        };
        let answer = match result {
            Ok(s) => format!("ok {s}"),
            Err(e) => format!("err {}", errno_of(&e).map_or("?", |e| e.name())),
        };
        eprintln!("{REPLY}{}", answer.trim_end());
    }
}

/// The child's `fill PATH LIMIT`: lowers its own soft `RLIMIT_NOFILE` to
/// LIMIT, opens PATH until the kernel refuses, then tries to create
/// PATH.new. Answers the highest descriptor it got, the errno, and whether
/// PATH.new exists.
fn fill(path: &Path, limit: &str) -> String {
    use rustix::fs::{Mode, OFlags};
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit: u64 = limit.parse().expect("a limit");
    let maximum = getrlimit(Resource::Nofile).maximum;
    let lowered = Rlimit {
        current: Some(limit),
        maximum,
    };
    setrlimit(Resource::Nofile, lowered).expect("lower RLIMIT_NOFILE");
    let flags = OFlags::RDONLY | OFlags::CLOEXEC;
    let mut fds = Vec::new();
    let refused = loop {
        match rustix::fs::open(path, flags, Mode::empty()) {
            Ok(fd) => fds.push(fd),
            Err(e) => break std::io::Error::from(e),
        }
    };
    let highest = fds.iter().map(|fd| fd.as_raw_fd()).max().unwrap_or(-1);
    let new = path.with_extension("new");
    let create = OFlags::WRONLY | OFlags::CREATE | OFlags::CLOEXEC;
    let created = rustix::fs::open(&new, create, Mode::from_raw_mode(0o644)).is_ok();
    let name = |e: &std::io::Error| errno_of(e).map_or("?", |e| e.name());
    format!(
        "{highest} {} {}",
        name(&refused),
        if created || new.exists() {
            "created"
        } else {
            "nothing-created"
        }
    )
}

fn parse_api(s: &str) -> LockApi {
    match s {
        "posix" => Posix,
        "flock" => Flock,
        "ofd" => Ofd,
        _ => panic!("bad lock api {s:?}"),
    }
}

/// The parent's handle on a child process; kills it when dropped.
struct Child {
    proc: std::process::Child,
    stdin: Option<ChildStdin>,
    stderr: BufReader<ChildStderr>,
    /// The child's other stderr lines, shown if it dies unexpectedly.
    log: String,
}

impl Child {
    /// Starts a child working in `dir` and waits until it is ready.
    fn spawn(dir: &Path) -> Child {
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let name = format!("{module}::{CHILD_TEST}");
        let mut proc = Command::new(std::env::current_exe().expect("the test binary"))
            .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the child process");
        let stdin = proc.stdin.take();
        let stderr = BufReader::new(proc.stderr.take().expect("piped stderr"));
        let mut child = Child {
            proc,
            stdin,
            stderr,
            log: String::new(),
        };
        let ready = child.reply();
        assert_eq!(ready, format!("ready {}", child.pid()));
        child
    }

    fn pid(&self) -> u32 {
        self.proc.id()
    }

    /// The child's next answer.
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = self.stderr.read_line(&mut line).expect("read the child");
            assert!(n > 0, "the child ended early; its stderr:\n{}", self.log);
            match line.trim_end().strip_prefix(REPLY) {
                Some(answer) => return answer.to_string(),
                None => self.log.push_str(&line),
            }
        }
    }

    /// Sends one command without waiting for its answer.
    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("the child's stdin is open");
        writeln!(stdin, "{command}").expect("write to the child");
        stdin.flush().expect("flush to the child");
    }

    /// Sends one command and returns its answer.
    fn call(&mut self, command: &str) -> String {
        self.send(command);
        self.reply()
    }

    /// Opens a file in the child.
    fn open(&mut self, path: &str, mode: &str) -> Fd {
        let answer = self.call(&format!("open {path} {mode}"));
        let n = answer
            .strip_prefix("ok ")
            .unwrap_or_else(|| panic!("{answer}"));
        Fd(n.parse().expect("a descriptor number"))
    }

    /// SIGKILL, then reap it.
    fn kill(&mut self) {
        self.proc.kill().expect("kill the child");
        self.proc.wait().expect("reap the child");
    }

    /// Closes its input and waits for it to exit successfully.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.proc.wait().expect("wait for the child");
        assert!(status.success(), "child failed: {status}\n{}", self.log);
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.proc.kill();
        let _ = self.proc.wait();
    }
}

#[test]
fn posix_lock_of_another_os_process_excludes_until_it_closes_any_descriptor_of_the_file() {
    let w = RealWorld::new();
    let me = w.process();
    put(&me, "lock", b"");
    let mut child = Child::spawn(w.path());
    let held = child.open("lock", "rw");
    let extra = child.open("lock", "ro");
    assert_eq!(child.call(&format!("lock {} posix ex", held.0)), "ok");
    let mine = open(&me, "lock", rw());
    assert_would_block(&me, mine, Posix, Exclusive);
    assert_would_block(&me, mine, Posix, Shared);
    // Shared locks of two processes coexist; each blocks the other's upgrade.
    assert_eq!(child.call(&format!("lock {} posix sh", held.0)), "ok");
    assert_locks(&me, mine, Posix, Shared);
    assert_would_block(&me, mine, Posix, Exclusive);
    let upgrade = format!("lock {} posix ex", held.0);
    assert_eq!(child.call(&upgrade), "err EWOULDBLOCK");
    me.unlock(mine, Posix).unwrap();
    assert_eq!(child.call(&upgrade), "ok");
    assert_would_block(&me, mine, Posix, Shared);
    // Closing the child's OTHER descriptor of the file drops its lock.
    assert_eq!(child.call(&format!("close {}", extra.0)), "ok");
    assert_locks(&me, mine, Posix, Exclusive);
    assert_eq!(
        child.call(&format!("lock {} posix sh", held.0)),
        "err EWOULDBLOCK"
    );
    me.close(mine).unwrap();
    assert_eq!(child.call(&upgrade), "ok");
    child.finish();
    w.close();
}

#[test]
fn locks_of_a_killed_os_process_are_released() {
    let w = RealWorld::new();
    let me = w.process();
    for name in ["posix", "flock", "ofd"] {
        put(&me, name, b"");
    }
    let mut child = Child::spawn(w.path());
    for (name, api) in [("posix", "posix"), ("flock", "flock"), ("ofd", "ofd")] {
        let fd = child.open(name, "rw");
        assert_eq!(child.call(&format!("lock {} {api} ex", fd.0)), "ok");
    }
    let probes: Vec<(Fd, LockApi)> = [("posix", Posix), ("flock", Flock), ("ofd", Ofd)]
        .into_iter()
        .map(|(name, api)| (open(&me, name, rw()), api))
        .collect();
    for &(fd, api) in &probes {
        assert_would_block(&me, fd, api, Shared);
    }
    // A POSIX lock of another process conflicts with OFD locks, and back.
    assert_would_block(&me, probes[0].0, Ofd, Shared);
    assert_would_block(&me, probes[2].0, Posix, Shared);
    let pid = child.pid();
    assert!(me.is_alive(pid));
    child.kill();
    assert!(
        !me.is_alive(pid),
        "a killed and reaped process is not alive"
    );
    for &(fd, api) in &probes {
        assert_locks(&me, fd, api, Exclusive);
    }
    drop(child);
    drop(me);
    w.close();
}

#[test]
fn unlinking_a_file_in_one_process_leaves_it_open_in_another() {
    let w = RealWorld::new();
    let me = w.process();
    put(&me, "f", b"");
    let mut child = Child::spawn(w.path());
    let fd = child.open("f", "rw");
    assert_eq!(child.call(&format!("lock {} flock ex", fd.0)), "ok");
    let before = me.stat("f").unwrap().ino;
    me.unlink("f").unwrap();
    put(&me, "f", b"");
    assert_ne!(me.stat("f").unwrap().ino, before);
    // The new file at the name is not the one the child holds locked.
    let mine = open(&me, "f", ro());
    assert_locks(&me, mine, Flock, Exclusive);
    let theirs = child.open("f", "ro");
    assert_eq!(
        child.call(&format!("lock {} flock sh", theirs.0)),
        "err EWOULDBLOCK"
    );
    assert_eq!(child.call(&format!("unlock {} flock", fd.0)), "ok");
    child.finish();
    w.close();
}

#[test]
fn crossing_blocking_posix_upgrades_of_two_os_processes_get_edeadlk_for_exactly_one() {
    let w = RealWorld::new();
    let me = Arc::new(w.process());
    put(&*me, "lock", b"");
    let mut child = Child::spawn(w.path());
    let theirs = child.open("lock", "rw");
    assert_eq!(child.call(&format!("lock {} posix sh", theirs.0)), "ok");
    let mine = open(&*me, "lock", rw());
    assert_locks(&*me, mine, Posix, Shared);
    // A plain thread, not a scoped one: if the test fails, dropping the
    // child kills it, which frees the thread.
    let upgrader = {
        let me = Arc::clone(&me);
        std::thread::spawn(move || {
            let r = me.lock(mine, Posix, Exclusive, Wait::Block);
            if r.is_err() {
                me.unlock(mine, Posix).unwrap(); // Let the child through.
            }
            r.map_err(|e| errno_of(&e))
        })
    };
    // Should the kernel ever miss the deadlock, both would wait forever:
    // a watchdog then kills the child, turning the hang into a failure.
    let (done, watch) = std::sync::mpsc::channel::<()>();
    let pid = child.pid() as libc::pid_t;
    std::thread::spawn(move || {
        let limit = std::time::Duration::from_secs(60);
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = watch.recv_timeout(limit) {
            // SAFETY: kill(2) with a plain pid and signal has no memory effects.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    child.send(&format!("lockw {} posix ex", theirs.0));
    let theirs_result = child.reply();
    drop(done);
    if theirs_result == "err EDEADLK" {
        assert_eq!(child.call(&format!("unlock {} posix", theirs.0)), "ok");
    }
    let mine_result = upgrader.join().expect("the upgrading thread");
    match (theirs_result.as_str(), mine_result) {
        ("ok", Err(Some(Errno::EDEADLK))) | ("err EDEADLK", Ok(())) => {}
        (theirs, mine) => panic!("expected exactly one EDEADLK: child {theirs}, parent {mine:?}"),
    }
    child.finish();
    w.close();
}

/// Waits until this process's request on `path` is asleep in the kernel
/// (a waiter on the file in /proc/locks) or the thread making it has
/// returned; true if it is asleep. Panics after a minute.
fn asleep_or_returned<T>(path: &Path, h: &std::thread::JoinHandle<T>) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if crate::common::kernel_waiters(path) > 0 {
            return true;
        }
        if h.is_finished() {
            return false;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "neither asleep nor returned"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Two children hold shared POSIX locks on `l` (`a` first in the inode's
/// list, then `b`) and this process holds an exclusive one on `m`; `waiter`
/// (one of the children) is asleep asking for `m`. Then this process asks
/// for `l`, blocking, on a plain thread (if the test fails, dropping the
/// children frees it). Returns the children, the thread and whether the
/// request went to sleep.
fn deadlock_check_scenario(
    w: &RealWorld,
    me: &Arc<RealFs>,
    waiter_is_a: bool,
) -> (
    Child,
    Child,
    std::thread::JoinHandle<Result<(), Option<Errno>>>,
    bool,
) {
    put(&**me, "l", b"");
    put(&**me, "m", b"");
    let (mut a, mut b) = (Child::spawn(w.path()), Child::spawn(w.path()));
    for child in [&mut a, &mut b] {
        let l = child.open("l", "rw");
        assert_eq!(child.call(&format!("lock {} posix sh", l.0)), "ok");
    }
    let mine = open(&**me, "m", rw());
    assert_locks(&**me, mine, Posix, Exclusive);
    let waiter = if waiter_is_a { &mut a } else { &mut b };
    let m = waiter.open("m", "rw");
    waiter.send(&format!("lockw {} posix ex", m.0));
    crate::common::wait_for_kernel_waiters(&w.path().join("m"), 1);
    let l = open(&**me, "l", rw());
    let request = {
        let me = Arc::clone(me);
        std::thread::spawn(move || {
            me.lock(l, Posix, Exclusive, Wait::Block)
                .map_err(|e| errno_of(&e))
        })
    };
    let asleep = asleep_or_returned(&w.path().join("l"), &request);
    (a, b, request, asleep)
}

#[test]
fn posix_deadlock_through_a_later_conflicting_lock_goes_unseen_and_the_request_sleeps() {
    let w = RealWorld::new();
    let me = Arc::new(w.process());
    // me -> b -> me is a cycle, but the kernel follows only the first
    // conflicting lock's owner, a, who waits for nothing.
    let (mut a, mut b, request, asleep) = deadlock_check_scenario(&w, &me, false);
    if !asleep {
        let r = request.join().expect("the requesting thread");
        panic!("the request returned {r:?} instead of sleeping");
    }
    b.kill(); // Its shared lock on l and its request for m go.
    assert_eq!(a.call("unlock 3 posix"), "ok"); // Fd 3: its first open, of l.
    assert_eq!(request.join().expect("the requesting thread"), Ok(()));
    a.finish();
    drop(b);
    drop(me);
    w.close();
}

#[test]
fn posix_deadlock_through_the_first_conflicting_lock_is_refused() {
    let w = RealWorld::new();
    let me = Arc::new(w.process());
    let (mut a, mut b, request, asleep) = deadlock_check_scenario(&w, &me, true);
    if asleep {
        a.kill(); // Unwind, then fail.
        b.kill();
    }
    assert_eq!(
        request.join().expect("the requesting thread"),
        Err(Some(Errno::EDEADLK))
    );
    // Fd 3 is this process's first open, of m: unlocking it lets a through.
    me.unlock(Fd(3), Posix).unwrap();
    assert_eq!(a.reply(), "ok");
    a.finish();
    assert_eq!(b.call("unlock 3 posix"), "ok");
    b.finish();
    drop(me);
    w.close();
}

/// A chain of `n` children: child `i` (1-based) holds an exclusive POSIX
/// lock on `f{i}` and is asleep asking for `f{i-1}`; this process holds
/// `f0` and then asks for `f{n}`, blocking. The kernel's check walks the
/// chain from child `n` back to this process in `n` owners, and gives up
/// past 11 (`MAX_DEADLK_ITERATIONS`). Returns what the request returned,
/// or `None` if it went to sleep (the children are then killed, which lets
/// it through).
fn posix_deadlock_chain(n: usize) -> Option<Result<(), Option<Errno>>> {
    let w = RealWorld::new();
    let me = Arc::new(w.process());
    for i in 0..=n {
        put(&*me, &format!("f{i}"), b"");
    }
    let f0 = open(&*me, "f0", rw());
    assert_locks(&*me, f0, Posix, Exclusive);
    let mut children = Vec::new();
    for i in 1..=n {
        let mut child = Child::spawn(w.path());
        let mine = child.open(&format!("f{i}"), "rw");
        let next = child.open(&format!("f{}", i - 1), "rw");
        assert_eq!(child.call(&format!("lock {} posix ex", mine.0)), "ok");
        child.send(&format!("lockw {} posix ex", next.0));
        crate::common::wait_for_kernel_waiters(&w.path().join(format!("f{}", i - 1)), 1);
        children.push(child);
    }
    let last = open(&*me, &format!("f{n}"), rw());
    let request = {
        let me = Arc::clone(&me);
        std::thread::spawn(move || {
            me.lock(last, Posix, Exclusive, Wait::Block)
                .map_err(|e| errno_of(&e))
        })
    };
    let asleep = asleep_or_returned(&w.path().join(format!("f{n}")), &request);
    if asleep {
        for child in &mut children {
            child.kill();
        }
    }
    let result = request.join().expect("the requesting thread");
    drop(children);
    drop(me);
    w.close();
    (!asleep).then_some(result)
}

#[test]
fn posix_deadlock_check_follows_a_chain_of_eleven_owners() {
    assert_eq!(posix_deadlock_chain(11), Some(Err(Some(Errno::EDEADLK))));
}

#[test]
fn posix_deadlock_check_gives_up_past_eleven_owners_and_the_request_sleeps() {
    assert_eq!(posix_deadlock_chain(12), None);
}
/// Sim twin: `sim_only::descriptors_are_numbered_below_nofile_limit_then_open_fails_with_emfile`.
#[test]
fn the_kernel_numbers_descriptors_below_rlimit_nofile_then_open_fails_with_emfile() {
    let w = RealWorld::new();
    put(&w.process(), "f", b"");
    let mut child = Child::spawn(w.path());
    assert_eq!(child.call("fill f 64"), "ok 63 EMFILE nothing-created");
    child.finish();
    w.close();
}
