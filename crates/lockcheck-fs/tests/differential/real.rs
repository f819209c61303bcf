//! The real side: each process of a case is a real OS process (this test
//! binary re-executed as a child), its threads real threads, so that POSIX
//! locks of two processes exclude each other in the kernel.
//!
//! A child runs only [`child_serves_calls_when_spawned_by_the_differential`],
//! told by [`CHILD_DIR`] which directory to work in. It reads `THREAD CALL`
//! lines (see [`crate::wire`]) from stdin, hands each to that thread, and
//! each thread answers `REPLY THREAD RESULT` on stderr when its call
//! returns. Whether a call that has not answered is blocked in the kernel
//! is read from `/proc/locks`, where a waiting lock request is listed with
//! `->`, its pid (`-1` for OFD locks) and its device and inode.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use lockcheck_fs::{Fd, FileKind, Fs, RealFs};

use crate::common::{WaitKey, device, parse_waiter, waiters};
use crate::ops::{Actor, Op, PROCESSES, THREADS};
use crate::outcome::{Outcome, apply};
use crate::wire::{Opened, decode_op, decode_outcome, encode_op, encode_outcome};

/// Set in a child's environment to the directory it works in.
const CHILD_DIR: &str = "LOCKCHECK_DIFFERENTIAL_CHILD_DIR";
/// Prefix of a child's answers on stderr.
const REPLY: &str = "@@lockcheck-differential@@ ";
const CHILD_TEST: &str = "child_serves_calls_when_spawned_by_the_differential";

/// The child's side. Without [`CHILD_DIR`] (a normal test run) it returns
/// at once. It exits at the end of its input.
#[test]
fn child_serves_calls_when_spawned_by_the_differential() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let fs = Arc::new(RealFs::new(Path::new(&dir)).expect("open the parent's directory"));
    eprintln!("{REPLY}ready {}", std::process::id());
    let mut threads = Vec::new();
    let mut inboxes: Vec<Sender<String>> = Vec::new();
    for thread in 0..THREADS {
        let (tx, rx) = mpsc::channel::<String>();
        inboxes.push(tx);
        let fs = Arc::clone(&fs);
        threads.push(std::thread::spawn(move || {
            for line in rx {
                let outcome = apply(&*fs, &decode_op(&line));
                // The parent keeps the inode and kind of each descriptor.
                let opened = match &outcome {
                    Ok(crate::outcome::Out::Fd(n)) => fs.fstat(Fd(*n)).ok(),
                    _ => None,
                };
                let opened = opened.map(|m| (m.ino, m.kind == FileKind::Dir));
                eprintln!("{REPLY}{thread} {}", encode_outcome(&outcome, opened));
            }
        }));
    }
    for line in std::io::stdin().lines() {
        let line = line.expect("read a command");
        let (thread, call) = line.split_once(' ').expect("THREAD CALL");
        let thread: usize = thread.parse().expect("a thread number");
        inboxes[thread]
            .send(call.to_string())
            .expect("the thread runs");
    }
    // A thread still blocked in a lock call never returns; the parent
    // kills this process, so only the idle ones are joined.
    drop(inboxes);
}

/// What a child process answered.
pub enum Event {
    /// A call by `who` returned; for an open, the new descriptor's inode
    /// and whether it is a directory.
    Returned(Actor, Outcome, Opened),
    /// The child's stderr ended: it died. Its other output.
    Died(usize, String),
}

/// The real processes of one case, in a fresh temporary directory.
pub struct RealSide {
    /// The directory, seen from this process (for the final tree).
    pub fs: RealFs,
    children: Vec<(std::process::Child, ChildStdin)>,
    events: Receiver<Event>,
    dir: Option<tempfile::TempDir>,
    /// The directory's device, as `/proc/locks` shows it.
    dev: (u64, u64),
}

impl RealSide {
    /// Starts [`PROCESSES`] children in a new temporary directory and waits
    /// until each is ready.
    pub fn start() -> Result<RealSide, String> {
        let dir = tempfile::Builder::new()
            .prefix("lockcheck-differential-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let fs = RealFs::new(dir.path()).map_err(|e| format!("RealFs::new: {e}"))?;
        let dev = device(dir.path()).map_err(|e| format!("stat the temp dir: {e}"))?;
        let module = module_path!().split_once("::").map_or("", |(_, m)| m);
        let name = format!("{module}::{CHILD_TEST}");
        let (tx, events) = mpsc::channel();
        let mut children = Vec::new();
        for process in 0..PROCESSES {
            let mut child = Command::new(std::env::current_exe().expect("the test binary"))
                .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
                .env(CHILD_DIR, dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("start a child process: {e}"))?;
            let stdin = child.stdin.take().expect("piped stdin");
            let stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
            let (ready_tx, ready_rx) = mpsc::channel();
            let tx: Sender<Event> = tx.clone();
            std::thread::spawn(move || read_child(process, stderr, ready_tx, tx));
            match ready_rx.recv() {
                Ok(pid) if pid == child.id() => {}
                Ok(pid) => return Err(format!("child {process} says it is pid {pid}")),
                Err(_) => return Err(format!("child {process} ended before it was ready")),
            }
            children.push((child, stdin));
        }
        Ok(RealSide {
            fs,
            children,
            events,
            dir: Some(dir),
            dev,
        })
    }

    /// Sends a call to a thread of a child, without waiting.
    pub fn issue(&mut self, who: Actor, op: &Op<Fd>) -> Result<(), String> {
        let stdin = &mut self.children[who.process].1;
        writeln!(stdin, "{} {}", who.thread, encode_op(op))
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("write to child {}: {e}", who.process))
    }

    /// The next answer, if one comes within `wait`.
    pub fn next_event(&self, wait: std::time::Duration) -> Option<Event> {
        self.events.recv_timeout(wait).ok()
    }

    /// The OS pid of a process.
    pub fn pid(&self, process: usize) -> u32 {
        self.children[process].0.id()
    }

    /// The lock requests now waiting in the kernel on this directory's
    /// device (see [`crate::common::waiters`]).
    pub fn waiters(&self) -> Option<BTreeMap<WaitKey, usize>> {
        waiters(self.dev)
    }

    /// Kills the children and removes the directory.
    pub fn finish(mut self) -> Result<(), String> {
        for (child, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        self.children.clear();
        let dir = self.dir.take().expect("the directory is removed only here");
        let path = dir.path().to_path_buf();
        dir.close()
            .map_err(|e| format!("remove {}: {e}", path.display()))
    }
}

impl Drop for RealSide {
    fn drop(&mut self) {
        for (child, _) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads one child's stderr: its pid first, then answers.
fn read_child(
    process: usize,
    mut stderr: BufReader<std::process::ChildStderr>,
    ready: Sender<u32>,
    tx: Sender<Event>,
) {
    let log = Mutex::new(String::new());
    loop {
        let mut line = String::new();
        match stderr.read_line(&mut line) {
            Ok(n) if n > 0 => {}
            _ => break,
        }
        // A child killed in the middle of a line leaves it without its end.
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        let Some(answer) = line.strip_prefix(REPLY) else {
            log.lock().unwrap().push_str(&format!("{line}\n"));
            continue;
        };
        if let Some(pid) = answer.strip_prefix("ready ") {
            let _ = ready.send(pid.parse().unwrap_or(0));
            continue;
        }
        let parsed = answer.split_once(' ').and_then(|(t, rest)| {
            let (outcome, opened) = decode_outcome(rest)?;
            Some((t.parse().ok()?, outcome, opened))
        });
        let Some((thread, outcome, opened)) = parsed else {
            let log = log.into_inner().unwrap();
            let _ = tx.send(Event::Died(
                process,
                format!("{log}unreadable answer {answer:?}\n"),
            ));
            return;
        };
        let who = Actor { process, thread };
        if tx.send(Event::Returned(who, outcome, opened)).is_err() {
            return;
        }
    }
    let _ = tx.send(Event::Died(process, log.into_inner().unwrap()));
}

#[test]
fn a_proc_locks_waiter_line_is_parsed_and_a_holder_line_is_not() {
    let dev = (0xfe, 0);
    let waiter = "2: -> FLOCK  ADVISORY  WRITE 8010 fe:00:5325937 0 EOF";
    assert_eq!(
        parse_waiter(waiter, dev),
        Some(WaitKey {
            class: "FLOCK",
            exclusive: true,
            pid: 8010,
            ino: 5325937
        })
    );
    let nested = "2:  -> -> OFDLCK ADVISORY  READ -1 fe:00:12 0 EOF";
    assert_eq!(
        parse_waiter(nested, dev),
        Some(WaitKey {
            class: "OFDLCK",
            exclusive: false,
            pid: -1,
            ino: 12
        })
    );
    assert_eq!(
        parse_waiter("1: POSIX  ADVISORY  READ 8010 fe:00:1 0 EOF", dev),
        None
    );
    assert_eq!(parse_waiter(waiter, (8, 1)), None);
}
