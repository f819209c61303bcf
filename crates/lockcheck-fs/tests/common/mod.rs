//! Helpers shared by this crate's test binaries.

use std::any::Any;
use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use lockcheck_fs::{LockApi, LockKind};

/// The message a caught panic carried (empty if it was not a string).
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// How many requests /proc/locks shows asleep waiting for a lock on the
/// file at `path` (its device and inode; a waiter's line has `->`).
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn kernel_waiters(path: &Path) -> usize {
    let ino = std::fs::metadata(path).expect("the lock file exists").ino();
    let dev = device(path).expect("the lock file exists");
    let waiting = waiters(dev).expect("/proc/locks is readable");
    waiting
        .iter()
        .filter(|(k, _)| k.ino == ino)
        .map(|(_, n)| n)
        .sum()
}

/// Waits until /proc/locks shows at least `count` requests asleep waiting
/// for a lock on the file at `path`. Panics after a minute: that is a
/// failure, not a verdict.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn wait_for_kernel_waiters(path: &Path, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while kernel_waiters(path) < count {
        assert!(
            Instant::now() < deadline,
            "{count} waiters on {} did not appear in /proc/locks",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The device of `path` as `/proc/locks` shows it: major and minor.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn device(path: &Path) -> std::io::Result<(u64, u64)> {
    let st_dev = std::fs::metadata(path)?.dev();
    Ok((libc::major(st_dev) as u64, libc::minor(st_dev) as u64))
}

/// The lock requests now waiting in the kernel on device `dev`, counted by
/// what `/proc/locks` shows of them. The kernel lists at most a page of it
/// per read under one lock; when it takes more reads, two reads in a row
/// that agree stand for a snapshot. `None` if it cannot be read.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn waiters(dev: (u64, u64)) -> Option<BTreeMap<WaitKey, usize>> {
    let read = || -> Option<(Vec<u8>, bool)> {
        let mut f = std::fs::File::open("/proc/locks").ok()?;
        let mut buf = vec![0u8; 1 << 20];
        let n = f.read(&mut buf).ok()?;
        buf.truncate(n);
        let before = buf.len();
        f.read_to_end(&mut buf).ok()?;
        let one_read = buf.len() == before;
        Some((buf, one_read))
    };
    let (mut text, one_read) = read()?;
    if !one_read {
        loop {
            let (again, _) = read()?;
            if again == text {
                break;
            }
            text = again;
        }
    }
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(&text).lines() {
        if let Some(key) = parse_waiter(line, dev) {
            *out.entry(key).or_default() += 1;
        }
    }
    Some(out)
}

/// A waiting lock request as `/proc/locks` lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub struct WaitKey {
    /// `FLOCK`, `POSIX` or `OFDLCK`.
    pub class: &'static str,
    /// Exclusive (`WRITE`) or shared (`READ`).
    pub exclusive: bool,
    /// The requesting process (`-1` for OFD requests).
    pub pid: i64,
    pub ino: u64,
}

#[allow(dead_code)] // Not every test binary that includes this module uses it.
impl WaitKey {
    /// How a request by process `pid` would be listed while it waits.
    pub fn of(api: LockApi, kind: LockKind, pid: u32, ino: u64) -> WaitKey {
        let (class, pid) = match api {
            LockApi::Flock => ("FLOCK", pid as i64),
            LockApi::Posix => ("POSIX", pid as i64),
            LockApi::Ofd => ("OFDLCK", -1),
        };
        WaitKey {
            class,
            exclusive: kind == LockKind::Exclusive,
            pid,
            ino,
        }
    }
}

/// A `/proc/locks` line of a waiter (`N: -> CLASS ADVISORY TYPE PID
/// MAJ:MIN:INO START END`, with more `->` for a waiter on a waiter) on
/// device `dev`.
#[allow(dead_code)] // Not every test binary that includes this module uses it.
pub fn parse_waiter(line: &str, dev: (u64, u64)) -> Option<WaitKey> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let first = words.iter().position(|w| *w != "->" && !w.ends_with(':'))?;
    if !words[1..first].contains(&"->") {
        return None;
    }
    let [class, _advisory, kind, pid, place, ..] = words[first..] else {
        return None;
    };
    let class = match class {
        "FLOCK" => "FLOCK",
        "POSIX" => "POSIX",
        "OFDLCK" => "OFDLCK",
        _ => return None,
    };
    let mut parts = place.split(':');
    let major = u64::from_str_radix(parts.next()?, 16).ok()?;
    let minor = u64::from_str_radix(parts.next()?, 16).ok()?;
    let ino: u64 = parts.next()?.parse().ok()?;
    if (major, minor) != dev {
        return None;
    }
    Some(WaitKey {
        class,
        exclusive: kind == "WRITE",
        pid: pid.parse().ok()?,
        ino,
    })
}
