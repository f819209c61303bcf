//! Seed 003's `LockedRegistryFile`: lock, read, modify, write back, unlock,
//! with the two ways of writing back, and the seed's unlocked code from
//! before its fix ([`WriteMethod`]).

use std::ffi::OsString;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lockcheck_fs::{Errno, Fd, Fs, LockApi, LockKind, OpenOptions, Process, Wait, errno_of};

use super::{Registry, RegistryError};

/// How an update writes the modified document back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteMethod {
    /// `registry/unlocked`, the seed's "Current Code" before its fix: no
    /// lock at all; `open(path, 'r')` and `json.load`, modify, then
    /// `open(path, 'w')` (`O_TRUNC`) and `json.dump`. Two concurrent
    /// updates lose one of them, and a reader between the truncate and the
    /// write finds an empty file.
    Unlocked,
    /// `registry/in-place`, the seed's: `f.seek(0); f.write(...);
    /// f.truncate()` on the locked registry descriptor. Locked writers
    /// exclude each other, but a reader that takes no lock (the seed reads
    /// "without locking" for its checks) can see a half-written file, or
    /// after a shorter write and before the truncate a stale tail: a file
    /// that does not parse. A crash there leaves it on disk.
    InPlace,
    /// `registry/replace`: write `<registry>.tmp`, `fsync` it, rename it over
    /// the registry, `fsync` the directory. Every reader sees a whole
    /// document. The rename puts a new inode at the path, so a lock on the
    /// registry file itself would no longer exclude a process that opens
    /// the new one while a waiter still holds the old: this variant locks
    /// the stable file `<registry>.lock` instead.
    Replace,
}

impl WriteMethod {
    /// Every variant, the seed's first.
    pub const ALL: [WriteMethod; 3] = [
        WriteMethod::Unlocked,
        WriteMethod::InPlace,
        WriteMethod::Replace,
    ];

    /// The variants that take the seed's lock: `registry/in-place` and
    /// `registry/replace`.
    pub const LOCKED: [WriteMethod; 2] = [WriteMethod::InPlace, WriteMethod::Replace];

    /// The stable name: `"registry/in-place"` or `"registry/replace"`.
    pub fn name(self) -> &'static str {
        match self {
            WriteMethod::Unlocked => "registry/unlocked",
            WriteMethod::InPlace => "registry/in-place",
            WriteMethod::Replace => "registry/replace",
        }
    }

    /// Whether a reader that takes no lock always finds a whole document.
    pub fn readers_always_parse(self) -> bool {
        self == WriteMethod::Replace
    }
}

crate::variant::stable_names!(WriteMethod);

/// A point of an update between two file-system calls, reported to the
/// observer of [`LockedRegistryFile::update_with`] so that a test can run
/// other processes' steps exactly there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// The locked file is open (registry or lock file).
    Opened,
    /// The exclusive lock is held.
    Locked,
    /// The document was read.
    Read,
    /// In-place: the descriptor is back at offset 0.
    Seeked,
    /// In-place: the new document was written over the old, not truncated.
    Written,
    /// In-place: the file was truncated to the new document's length.
    Truncated,
    /// Replace: the temp file holds the new document.
    TempWritten,
    /// Replace: the temp file was fsynced (unless `with_fsync(false)`) and
    /// closed.
    TempSynced,
    /// Replace: the temp file was renamed over the registry.
    Renamed,
    /// Replace: the directory was fsynced (unless `with_fsync(false)`).
    DirSynced,
    /// The lock was released (the descriptor is closed next).
    Unlocked,
}

/// Seed 003's `LockedRegistryFile`: exclusive `flock` with a timeout and
/// retry delay around a read-modify-write of the registry JSON file.
///
/// The seed says "fcntl-based locking" with `LOCK_EX`: Python's
/// `fcntl.flock(f, LOCK_EX | LOCK_NB)`, i.e. `flock(2)`, owned by the open
/// file description; it also calls itself "thread-safe and process-safe"
/// and tests with threads of one process, which only flock (not POSIX
/// record locks, shared by a process's threads) makes true. So the lock is
/// [`LockApi::Flock`].
///
/// Acquisition: open, try `LOCK_EX|LOCK_NB`; on `EWOULDBLOCK` sleep
/// `retry_delay` and try again, failing with [`RegistryError::Timeout`] at
/// the first failed try at or after `timeout` (by [`lockcheck_fs::Clock`]),
/// so a timeout takes `timeout` rounded up to a multiple of `retry_delay`.
/// Seed defaults: 10 s and 0.1 s. A zero delay is taken as 1 ms so that
/// virtual time moves.
///
/// Durability ([`LockedRegistryFile::with_fsync`]): by default
/// `registry/in-place` never calls `fsync` (the seed's code does not) and
/// `registry/replace` `fsync`s the temp file and the directory. The switch
/// exists to measure what `fsync` costs (`benches/registry.rs`): with it on,
/// in-place also `fsync`s the registry after the truncate; with it off,
/// replace skips both `fsync`s (still atomic for readers, not durable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedRegistryFile {
    path: PathBuf,
    method: WriteMethod,
    timeout: Duration,
    retry_delay: Duration,
    fsync: bool,
}

impl LockedRegistryFile {
    /// The registry at `path`, written back as `method` says, with the
    /// seed's default timeout (10 s) and retry delay (100 ms).
    pub fn new(path: impl AsRef<Path>, method: WriteMethod) -> LockedRegistryFile {
        LockedRegistryFile {
            path: path.as_ref().to_path_buf(),
            method,
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_millis(100),
            fsync: method == WriteMethod::Replace,
        }
    }

    /// The same registry, `fsync`ing each update's write-back (`true`) or
    /// not (`false`); see the type's doc for the defaults. `registry/unlocked`
    /// ignores it (the seed's unlocked code never syncs).
    pub fn with_fsync(mut self, on: bool) -> LockedRegistryFile {
        self.fsync = on;
        self
    }

    /// Whether updates `fsync` what they write back.
    pub fn fsyncs(&self) -> bool {
        self.fsync
    }

    /// The same registry with another timeout and retry delay.
    pub fn with_timeout(mut self, timeout: Duration, retry_delay: Duration) -> LockedRegistryFile {
        self.timeout = timeout;
        self.retry_delay = retry_delay;
        self
    }

    /// The registry file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The variant.
    pub fn method(&self) -> WriteMethod {
        self.method
    }

    /// The lock timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The delay between lock attempts.
    pub fn retry_delay(&self) -> Duration {
        self.retry_delay
    }

    /// The file that is locked: the registry itself for `registry/in-place`
    /// (and, nominally, `registry/unlocked`, which locks nothing),
    /// `<registry>.lock` for `registry/replace`.
    pub fn lock_path(&self) -> PathBuf {
        match self.method {
            WriteMethod::Unlocked | WriteMethod::InPlace => self.path.clone(),
            WriteMethod::Replace => self.sibling(".lock"),
        }
    }

    /// The temp file `registry/replace` writes before renaming:
    /// `<registry>.tmp`. Only the lock holder writes it.
    pub fn temp_path(&self) -> PathBuf {
        self.sibling(".tmp")
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut s = OsString::from(self.path.as_os_str());
        s.push(suffix);
        PathBuf::from(s)
    }

    fn dir(&self) -> &Path {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }

    /// Creates the registry file holding `doc`, durably (fsync of file and
    /// directory). Fails with `EEXIST` if it exists.
    pub fn create<F: Fs>(&self, p: &F, doc: &Registry) -> Result<(), RegistryError> {
        let fd = p.open(&self.path, OpenOptions::new().write(true).create_new(true))?;
        let written = p.write_all(fd, doc.to_json().as_bytes());
        let synced = written.and_then(|()| p.fsync(fd));
        p.close(fd)?;
        synced?;
        p.fsync_dir(self.dir())?;
        Ok(())
    }

    /// Reads and parses the registry without any lock, as the seed's
    /// read-only checks do.
    pub fn read<F: Fs>(&self, p: &F) -> Result<Registry, RegistryError> {
        match p.read_file(&self.path) {
            Ok(bytes) => self.parse(&bytes),
            Err(e) => Err(self.not_found_or(e)),
        }
    }

    /// One locked read-modify-write: `body` changes the document; if it
    /// returns `Ok` the document is written back, if `Err` nothing is
    /// written. The lock is released either way.
    pub fn update<P: Process, T>(
        &self,
        p: &P,
        body: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        self.update_with(p, body, &mut |_| {})
    }

    /// [`LockedRegistryFile::update`], calling `on_step` after each step
    /// (see [`Step`]), for tests that interleave other processes by hand.
    pub fn update_with<P: Process, T>(
        &self,
        p: &P,
        body: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
        on_step: &mut dyn FnMut(Step),
    ) -> Result<T, RegistryError> {
        let fd = match self.method {
            WriteMethod::Unlocked => return self.modify_unlocked(p, body, on_step),
            WriteMethod::InPlace => p.open(&self.path, OpenOptions::new().read(true).write(true)),
            WriteMethod::Replace => p.open(
                self.lock_path(),
                OpenOptions::new().write(true).create(true),
            ),
        }
        .map_err(|e| self.not_found_or(e))?;
        on_step(Step::Opened);
        if let Err(e) = self.lock(p, fd) {
            let _ = p.close(fd);
            return Err(e);
        }
        on_step(Step::Locked);
        let result = match self.method {
            WriteMethod::Replace => self.modify_and_replace(p, body, on_step),
            _ => self.modify_in_place(p, fd, body, on_step),
        };
        let unlocked = p.unlock(fd, LockApi::Flock);
        on_step(Step::Unlocked);
        let closed = p.close(fd);
        let out = result?;
        unlocked?;
        closed?;
        Ok(out)
    }

    fn lock<P: Process>(&self, p: &P, fd: Fd) -> Result<(), RegistryError> {
        let start = p.now();
        let delay = self.retry_delay.max(Duration::from_millis(1));
        loop {
            match p.lock(fd, LockApi::Flock, LockKind::Exclusive, Wait::NonBlock) {
                Ok(()) => return Ok(()),
                Err(e) if errno_of(&e) == Some(Errno::EWOULDBLOCK) => {}
                Err(e) => return Err(e.into()),
            }
            let waited = p.now().duration_since(start).unwrap_or_default();
            if waited >= self.timeout {
                let path = self.lock_path();
                return Err(RegistryError::Timeout { path, waited });
            }
            p.sleep(delay);
        }
    }

    fn modify_in_place<P: Process, T>(
        &self,
        p: &P,
        fd: Fd,
        body: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
        on_step: &mut dyn FnMut(Step),
    ) -> Result<T, RegistryError> {
        let bytes = p.read_to_end(fd)?;
        on_step(Step::Read);
        let mut doc = self.parse(&bytes)?;
        let out = body(&mut doc)?;
        let data = doc.to_json();
        p.seek(fd, SeekFrom::Start(0))?;
        on_step(Step::Seeked);
        p.write_all(fd, data.as_bytes())?;
        on_step(Step::Written);
        p.set_len(fd, data.len() as u64)?;
        on_step(Step::Truncated);
        if self.fsync {
            p.fsync(fd)?;
        }
        Ok(out)
    }

    /// The seed's unlocked read, modify, `open(path, 'w')` and dump.
    fn modify_unlocked<P: Process, T>(
        &self,
        p: &P,
        body: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
        on_step: &mut dyn FnMut(Step),
    ) -> Result<T, RegistryError> {
        let mut doc = self.read(p)?;
        on_step(Step::Read);
        let out = body(&mut doc)?;
        p.write_file(&self.path, doc.to_json().as_bytes())?;
        on_step(Step::Written);
        Ok(out)
    }

    fn modify_and_replace<P: Process, T>(
        &self,
        p: &P,
        body: impl FnOnce(&mut Registry) -> Result<T, RegistryError>,
        on_step: &mut dyn FnMut(Step),
    ) -> Result<T, RegistryError> {
        let mut doc = self.read(p)?;
        on_step(Step::Read);
        let out = body(&mut doc)?;
        let tmp = self.temp_path();
        let opts = OpenOptions::new().write(true).create(true).truncate(true);
        let fd = p.open(&tmp, opts)?;
        let written = p.write_all(fd, doc.to_json().as_bytes());
        on_step(Step::TempWritten);
        let synced = written.and_then(|()| if self.fsync { p.fsync(fd) } else { Ok(()) });
        let closed = p.close(fd);
        if let Err(e) = synced.and(closed) {
            let _ = p.unlink(&tmp);
            return Err(e.into());
        }
        on_step(Step::TempSynced);
        if let Err(e) = p.rename(&tmp, &self.path) {
            let _ = p.unlink(&tmp);
            return Err(e.into());
        }
        on_step(Step::Renamed);
        if self.fsync {
            p.fsync_dir(self.dir())?;
        }
        on_step(Step::DirSynced);
        Ok(out)
    }

    fn parse(&self, bytes: &[u8]) -> Result<Registry, RegistryError> {
        Registry::from_json(bytes).map_err(|source| RegistryError::Corrupt {
            path: self.path.clone(),
            source,
        })
    }

    fn not_found_or(&self, e: std::io::Error) -> RegistryError {
        if errno_of(&e) == Some(Errno::ENOENT) {
            RegistryError::NotFound {
                path: self.path.clone(),
            }
        } else {
            e.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockcheck_fs::SimFs;

    /// The calls one update of a fresh registry makes, as traced by SimFs.
    fn update_calls(file: &LockedRegistryFile) -> Vec<String> {
        let fs = SimFs::new();
        let p = fs.spawn();
        file.create(&p, &Registry::default()).unwrap();
        let before = fs.trace().len();
        file.update(&p, |r| Ok(r.increment_counts(1, 1))).unwrap();
        let calls = fs.trace()[before..].iter().map(|e| e.to_string()).collect();
        assert_eq!(file.read(&p).unwrap().total_spawned, 1);
        calls
    }

    fn fsyncs(calls: &[String]) -> usize {
        calls.iter().filter(|c| c.contains("fsync")).count()
    }

    #[test]
    fn fsync_defaults_follow_the_seed_and_the_switch_turns_it_on_or_off() {
        let in_place = LockedRegistryFile::new("r.json", WriteMethod::InPlace);
        let replace = LockedRegistryFile::new("r.json", WriteMethod::Replace);
        assert!(!in_place.fsyncs() && replace.fsyncs());
        assert_eq!(fsyncs(&update_calls(&in_place)), 0);
        assert_eq!(fsyncs(&update_calls(&in_place.with_fsync(true))), 1);
        // The temp file and the directory.
        assert_eq!(fsyncs(&update_calls(&replace)), 2);
        assert_eq!(fsyncs(&update_calls(&replace.with_fsync(false))), 0);
    }
}
