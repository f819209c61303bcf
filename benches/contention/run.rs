//! One contended run: N contenders (threads, or child processes of this
//! bench binary) share a budget of acquisitions kept in the counter file
//! itself, each incrementing it under the lock until it reaches the target.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex};
use std::time::Instant;

use lockcheck::fs::RealFs;

use crate::stats::{Hist, RunResult};
use crate::strategy::{Contender, Strategy};

/// The environment variable that turns the bench binary into one
/// contender: `<strategy> <id> <target> <run dir>`.
pub const CHILD_ENV: &str = "LOCKCHECK_CONTENTION_CHILD";

/// Digits in the counter file: fixed width, so a write never leaves a tail.
const WIDTH: usize = 20;

/// The counter file the critical section reads, increments and writes back.
struct Counter(File);

/// What one critical section did.
enum Bump {
    /// Incremented the counter.
    Bumped,
    /// The counter had reached the target: the run is over.
    Done,
    /// The counter did not parse.
    Corrupt(String),
}

impl Counter {
    fn create(dir: &Path) -> io::Result<()> {
        std::fs::write(dir.join("counter"), format!("{:0WIDTH$}", 0))
    }

    fn open(dir: &Path) -> io::Result<Counter> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("counter"))?;
        Ok(Counter(f))
    }

    fn value(&self) -> Result<u64, String> {
        let mut buf = [0u8; WIDTH];
        self.0
            .read_exact_at(&mut buf, 0)
            .map_err(|e| e.to_string())?;
        let text = std::str::from_utf8(&buf).map_err(|e| e.to_string())?;
        text.parse().map_err(|_| format!("counter reads {text:?}"))
    }

    fn bump(&self, target: u64) -> Bump {
        let v = match self.value() {
            Ok(v) => v,
            Err(e) => return Bump::Corrupt(e),
        };
        if v >= target {
            return Bump::Done;
        }
        match self
            .0
            .write_all_at(format!("{:0WIDTH$}", v + 1).as_bytes(), 0)
        {
            Ok(()) => Bump::Bumped,
            Err(e) => Bump::Corrupt(e.to_string()),
        }
    }
}

/// One contender's share of a run.
struct Share {
    acquisitions: u64,
    waits: Hist,
    problem: Option<String>,
}

/// Takes the lock until the counter reaches `target`.
fn contend(c: &mut Contender, counter: &Counter, target: u64) -> Share {
    let mut share = Share {
        acquisitions: 0,
        waits: Hist::default(),
        problem: None,
    };
    loop {
        match c.locked(|| counter.bump(target)) {
            Ok((waited, Bump::Bumped)) => {
                share.acquisitions += 1;
                share.waits.record(waited);
            }
            Ok((_, Bump::Done)) => return share,
            Ok((_, Bump::Corrupt(e))) => {
                share.problem = Some(e);
                return share;
            }
            Err(e) => {
                share.problem = Some(format!("lock call failed: {e}"));
                return share;
            }
        }
    }
}

/// A fresh run directory with the counter at 0 and the strategy's files.
fn prepare(strategy: Strategy) -> io::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    Counter::create(dir.path())?;
    strategy.prepare(&RealFs::new(dir.path())?)?;
    Ok(dir)
}

/// Adds up the shares and checks the counter against the acquisitions.
fn finish(dir: &Path, elapsed: std::time::Duration, shares: Vec<Share>) -> RunResult {
    let mut r = RunResult {
        elapsed,
        ..Default::default()
    };
    for s in shares {
        r.per_contender.push(s.acquisitions);
        r.waits.merge(&s.waits);
        if r.problem.is_none() {
            r.problem = s.problem;
        }
    }
    let acquired: u64 = r.per_contender.iter().sum();
    match Counter::open(dir)
        .map_err(|e| e.to_string())
        .and_then(|c| c.value())
    {
        Ok(v) => {
            r.counter = v;
            if v != acquired && r.problem.is_none() {
                let lost = acquired.saturating_sub(v);
                r.problem = Some(format!("lost {lost} of {acquired} updates"));
            }
        }
        Err(e) => r.problem = r.problem.or(Some(e)),
    }
    r
}

fn failed(e: impl std::fmt::Display) -> RunResult {
    RunResult {
        problem: Some(format!("run failed: {e}")),
        ..Default::default()
    }
}

/// `n` threads of this process, each with its own `RealFs`, until the
/// counter reaches `target`. Timed from the moment all are ready.
pub fn run_threads(strategy: Strategy, n: usize, target: u64) -> RunResult {
    let dir = match prepare(strategy) {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let mutex = Arc::new(Mutex::new(()));
    let barrier = Barrier::new(n + 1);
    let (elapsed, shares) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|id| {
                let (mutex, barrier, path) = (mutex.clone(), &barrier, dir.path());
                s.spawn(move || {
                    let setup = Contender::new(strategy, path, id, mutex)
                        .and_then(|c| Ok((c, Counter::open(path)?)));
                    barrier.wait();
                    match setup {
                        Ok((mut c, counter)) => contend(&mut c, &counter, target),
                        Err(e) => Share {
                            acquisitions: 0,
                            waits: Hist::default(),
                            problem: Some(format!("setup failed: {e}")),
                        },
                    }
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let shares: Vec<Share> = handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Share {
                    acquisitions: 0,
                    waits: Hist::default(),
                    problem: Some("contender panicked".to_string()),
                })
            })
            .collect();
        (start.elapsed(), shares)
    });
    finish(dir.path(), elapsed, shares)
}

struct ChildProc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ChildProc {
    fn spawn(strategy: Strategy, dir: &Path, id: usize, target: u64) -> io::Result<ChildProc> {
        let spec = format!("{} {id} {target} {}", strategy.name(), dir.display());
        let mut child = Command::new(std::env::current_exe()?)
            .env(CHILD_ENV, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let stdout = BufReader::new(stdout);
        Ok(ChildProc {
            child,
            stdin,
            stdout,
        })
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        let _ = self.stdout.read_line(&mut s);
        s.trim_end().to_string()
    }

    /// Reads the child's `done <acquisitions> <problem or ->` and `hist` lines.
    fn share(&mut self) -> Share {
        let done = self.line();
        let hist = self.line();
        let mut words = done.splitn(3, ' ');
        let (tag, acq, problem) = (words.next(), words.next(), words.next());
        let waits = hist.strip_prefix("hist").and_then(Hist::decode);
        match (tag, acq.and_then(|a| a.parse().ok()), waits) {
            (Some("done"), Some(acquisitions), Some(waits)) => Share {
                acquisitions,
                waits,
                problem: problem.filter(|p| *p != "-").map(str::to_string),
            },
            _ => Share {
                acquisitions: 0,
                waits: Hist::default(),
                problem: Some(format!("child said {done:?}")),
            },
        }
    }
}

/// `n` child processes (this binary in child mode), until the counter
/// reaches `target`. Timed from the "go" sent once all are ready until the
/// last one has reported.
pub fn run_processes(strategy: Strategy, n: usize, target: u64) -> RunResult {
    let dir = match prepare(strategy) {
        Ok(d) => d,
        Err(e) => return failed(e),
    };
    let mut children = Vec::new();
    for id in 0..n {
        match ChildProc::spawn(strategy, dir.path(), id, target) {
            Ok(c) => children.push(c),
            Err(e) => return failed(e),
        }
    }
    let mut problem = None;
    for c in &mut children {
        let ready = c.line();
        if ready != "ready" {
            problem = Some(format!("child said {ready:?}"));
        }
    }
    let start = Instant::now();
    for c in &mut children {
        let _ = c.stdin.write_all(b"go\n").and_then(|()| c.stdin.flush());
    }
    let shares: Vec<Share> = children.iter_mut().map(ChildProc::share).collect();
    let elapsed = start.elapsed();
    for mut c in children {
        drop(c.stdin);
        let _ = c.child.wait();
    }
    let mut r = finish(dir.path(), elapsed, shares);
    r.problem = problem.or(r.problem);
    r
}

/// The child mode: set up one contender, say `ready`, wait for `go`, run,
/// report. Returns the exit status.
pub fn child_main(spec: &str) -> i32 {
    let parts: Vec<&str> = spec.splitn(4, ' ').collect();
    let [name, id, target, dir] = parts[..] else {
        println!("error: bad {CHILD_ENV} {spec:?}");
        return 2;
    };
    let (Some(strategy), Ok(id), Ok(target)) = (
        Strategy::from_name(name),
        id.parse::<usize>(),
        target.parse::<u64>(),
    ) else {
        println!("error: bad {CHILD_ENV} {spec:?}");
        return 2;
    };
    let dir = Path::new(dir);
    let setup = Contender::new(strategy, dir, id, Arc::new(Mutex::new(())))
        .and_then(|c| Ok((c, Counter::open(dir)?)));
    let (mut contender, counter) = match setup {
        Ok(s) => s,
        Err(e) => {
            println!("error: setup failed: {e}");
            return 1;
        }
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "ready").and_then(|()| out.flush());
    let mut go = String::new();
    let _ = io::stdin().lock().read_line(&mut go);
    let share = contend(&mut contender, &counter, target);
    let problem = share.problem.as_deref().unwrap_or("-").replace('\n', " ");
    let _ = writeln!(out, "done {} {problem}", share.acquisitions);
    let _ = writeln!(out, "hist {}", share.waits.encode()).and_then(|()| out.flush());
    0
}
