//! The lock strategies, and one contender's acquire / critical section /
//! release around each.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lockcheck::fs::{Errno, Fd, Fs, LockApi, LockKind, OpenOptions, RealFs, Wait, errno_of};
use lockcheck::protocols::flock_lock::{Acquire, FlockLock, Release};
use lockcheck::protocols::history::NoHistory;
use lockcheck::protocols::lockfile::{LockError, LockFile, Refresh};

/// A way to take a lock. Names are the benchmark ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Baseline: a `std::sync::Mutex` (threads only).
    Mutex,
    /// Floor: `flock(fd, LOCK_EX)` / `flock(fd, LOCK_UN)` on a descriptor
    /// opened once per contender.
    RawFlock,
    /// Reference `FlockLock`, `flock/keep-file`, blocking: open, flock,
    /// fstat; release unlocks and closes.
    FlockKeepFile,
    /// Reference `FlockLock`, `flock/unlink-with-recheck`, blocking: open,
    /// flock, fstat, stat (retry if the inode changed); release unlinks
    /// while holding, then closes.
    FlockUnlinkRecheck,
    /// `open(O_CREAT|O_EXCL)` + close as acquire, `unlink` as release; on
    /// `EEXIST` back off and retry.
    ExclLoop,
    /// Reference seed-004 `LockFile` (`lockfile/write-temp-then-replace`,
    /// the seed's acquire): `O_EXCL` create, then write a JSON owner record;
    /// an acquirer that finds an empty (not yet written) record deletes it
    /// as corrupt. Release re-reads the record and unlinks. On "held" back
    /// off and retry.
    LockFileRecord,
    /// Reference `LockFile`, `lockfile/fenced`: a fencing token from a
    /// flocked, fsynced counter file, the record written to a unique temp
    /// file and `link`ed into place. On "held" back off and retry.
    LockFileFenced,
    /// POSIX `fcntl(F_SETLKW)` whole-file lock on a descriptor opened once.
    Posix,
    /// OFD `fcntl(F_OFD_SETLKW)` whole-file lock on a descriptor opened once.
    Ofd,
    /// `mkdir` as acquire (`EEXIST`: back off), `rmdir` as release.
    Mkdir,
    /// Claim by rename: `rename(token, held-<id>)` as acquire (`ENOENT`:
    /// back off), renaming it back as release.
    RenameClaim,
}

impl Strategy {
    /// Every strategy, baselines first.
    pub const ALL: [Strategy; 11] = [
        Strategy::Mutex,
        Strategy::RawFlock,
        Strategy::FlockKeepFile,
        Strategy::FlockUnlinkRecheck,
        Strategy::ExclLoop,
        Strategy::LockFileRecord,
        Strategy::LockFileFenced,
        Strategy::Posix,
        Strategy::Ofd,
        Strategy::Mkdir,
        Strategy::RenameClaim,
    ];

    /// The benchmark id.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Mutex => "std_mutex",
            Strategy::RawFlock => "raw_flock",
            Strategy::FlockKeepFile => "flock_keep_file",
            Strategy::FlockUnlinkRecheck => "flock_unlink_recheck",
            Strategy::ExclLoop => "excl_lock_file",
            Strategy::LockFileRecord => "lockfile_record",
            Strategy::LockFileFenced => "lockfile_fenced",
            Strategy::Posix => "fcntl_posix",
            Strategy::Ofd => "fcntl_ofd",
            Strategy::Mkdir => "mkdir",
            Strategy::RenameClaim => "rename_claim",
        }
    }

    /// The strategy named `name`.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Creates what the strategy needs in a fresh run directory.
    pub fn prepare(self, fs: &RealFs) -> io::Result<()> {
        match self {
            Strategy::RawFlock | Strategy::Posix | Strategy::Ofd => fs.write_file("lock", b""),
            Strategy::RenameClaim => fs.write_file("token", b""),
            _ => Ok(()),
        }
    }
}

/// Exponential back-off with jitter for the try-and-retry strategies: three
/// `yield`s, then sleeps from 10 µs doubling up to about 1.3 ms.
struct Backoff {
    tries: u32,
    rng: u64,
}

impl Backoff {
    fn new(seed: u64) -> Backoff {
        Backoff {
            tries: 0,
            rng: seed | 1,
        }
    }

    fn wait(&mut self) {
        self.tries += 1;
        if self.tries <= 3 {
            std::thread::yield_now();
            return;
        }
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let cap = 10_000u64 << (self.tries - 4).min(7);
        std::thread::sleep(Duration::from_nanos(cap / 2 + self.rng % (cap / 2)));
    }
}

/// One contender: a thread or a process taking the lock again and again.
pub struct Contender {
    strategy: Strategy,
    id: usize,
    fs: RealFs,
    fd: Option<Fd>,
    raw: Option<File>,
    mutex: Arc<Mutex<()>>,
    flock: FlockLock,
    lockfile: LockFile,
    owner: String,
    held: String,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl Contender {
    /// Contender `id` in the run directory `dir`; `mutex` is shared by the
    /// threads of a `std_mutex` run.
    pub fn new(
        strategy: Strategy,
        dir: &Path,
        id: usize,
        mutex: Arc<Mutex<()>>,
    ) -> io::Result<Contender> {
        let fs = RealFs::new(dir)?;
        let rw = OpenOptions::new().read(true).write(true);
        let (fd, raw) = match strategy {
            Strategy::Posix | Strategy::Ofd => (Some(fs.open("lock", rw)?), None),
            Strategy::RawFlock => {
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(dir.join("lock"))?;
                (None, Some(file))
            }
            _ => (None, None),
        };
        let release = match strategy {
            Strategy::FlockUnlinkRecheck => Release::UnlinkWithRecheck,
            _ => Release::KeepFile,
        };
        let refresh = match strategy {
            Strategy::LockFileFenced => Refresh::Fenced,
            _ => Refresh::WriteTempThenReplace,
        };
        Ok(Contender {
            strategy,
            id,
            fs,
            fd,
            raw,
            mutex,
            flock: FlockLock::new("", release).with_mode(Acquire::Block),
            lockfile: LockFile::new("", "record", refresh),
            owner: format!("contender-{id}-pid-{}", std::process::id()),
            held: format!("held-{id}-{}", std::process::id()),
        })
    }

    fn backoff(&self) -> Backoff {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() as u64);
        Backoff::new((self.id as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ t)
    }

    /// Takes the lock, runs `cs`, releases: returns how long the acquire
    /// waited and what `cs` returned.
    pub fn locked<T>(&mut self, cs: impl FnOnce() -> T) -> io::Result<(Duration, T)> {
        let t0 = Instant::now();
        let fs = &self.fs;
        match self.strategy {
            Strategy::Mutex => {
                let guard = self.mutex.lock().unwrap_or_else(|p| p.into_inner());
                let waited = t0.elapsed();
                let out = cs();
                drop(guard);
                Ok((waited, out))
            }
            Strategy::RawFlock => {
                let fd = self.raw.as_ref().map(|f| f.as_raw_fd()).unwrap_or(-1);
                // SAFETY: `fd` is the descriptor of `self.raw`, open here.
                if unsafe { libc::flock(fd, libc::LOCK_EX) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                let waited = t0.elapsed();
                let out = cs();
                // SAFETY: as above.
                if unsafe { libc::flock(fd, libc::LOCK_UN) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok((waited, out))
            }
            Strategy::FlockKeepFile | Strategy::FlockUnlinkRecheck => {
                let guard = self.flock.acquire(fs, &NoHistory, "bench").map_err(other)?;
                let waited = t0.elapsed();
                let out = cs();
                guard.release(fs, &NoHistory).map_err(other)?;
                Ok((waited, out))
            }
            Strategy::Posix | Strategy::Ofd => {
                let api = match self.strategy {
                    Strategy::Posix => LockApi::Posix,
                    _ => LockApi::Ofd,
                };
                let fd = self.fd.ok_or_else(|| other("no lock descriptor"))?;
                fs.lock(fd, api, LockKind::Exclusive, Wait::Block)?;
                let waited = t0.elapsed();
                let out = cs();
                fs.unlock(fd, api)?;
                Ok((waited, out))
            }
            Strategy::ExclLoop => {
                let opts = OpenOptions::new().write(true).create_new(true);
                let fd = retry_on(Errno::EEXIST, self.backoff(), || fs.open("lock", opts))?;
                fs.close(fd)?;
                let waited = t0.elapsed();
                let out = cs();
                fs.unlink("lock")?;
                Ok((waited, out))
            }
            Strategy::Mkdir => {
                retry_on(Errno::EEXIST, self.backoff(), || fs.mkdir("lock.d"))?;
                let waited = t0.elapsed();
                let out = cs();
                fs.rmdir("lock.d")?;
                Ok((waited, out))
            }
            Strategy::RenameClaim => {
                let held = &self.held;
                retry_on(Errno::ENOENT, self.backoff(), || fs.rename("token", held))?;
                let waited = t0.elapsed();
                let out = cs();
                fs.rename(held, "token")?;
                Ok((waited, out))
            }
            Strategy::LockFileRecord | Strategy::LockFileFenced => {
                let mut backoff = self.backoff();
                let lease = loop {
                    match self.lockfile.acquire(fs, &NoHistory, &self.owner) {
                        Ok(lease) => break lease,
                        Err(LockError::Io(e)) => return Err(e),
                        // Held, or a record caught half written: try again.
                        Err(_) => backoff.wait(),
                    }
                };
                let waited = t0.elapsed();
                let out = cs();
                // A refused release means another contender deleted our
                // record and took the lock: the counter check judges it.
                let _ = self.lockfile.release(fs, &NoHistory, &lease);
                Ok((waited, out))
            }
        }
    }
}

/// Calls `f` until it succeeds, backing off while it fails with `busy`.
fn retry_on<T>(
    busy: Errno,
    mut backoff: Backoff,
    mut f: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    loop {
        match f() {
            Err(e) if errno_of(&e) == Some(busy) => backoff.wait(),
            other => return other,
        }
    }
}
