//! The file-system layer of lockcheck: one [`Fs`] trait that lock protocols
//! are written against, a real backend ([`RealFs`]) and a deterministic
//! simulated one ([`SimFs`]) that models Linux semantics exactly enough to
//! reproduce the races real lock code has.
//!
//! # Tutorial
//!
//! Protocol code takes any [`Process`] (an [`Fs`] plus a [`Clock`] and
//! [`ProcessInfo`]), so the same function runs on a real directory and in
//! the simulation. Here is the lock-file refresh that deletes the file and
//! writes it again, run by two simulated processes, with the trace the
//! simulation keeps of every call:
//!
//! ```
//! use lockcheck_fs::{Errno, Fs, OpenOptions, Process, SimFs, errno_of};
//!
//! /// Takes the lock by creating the lock file with O_EXCL.
//! fn acquire(p: &impl Process, owner: &str) -> std::io::Result<bool> {
//!     match p.open("task.lock", OpenOptions::new().write(true).create_new(true)) {
//!         Ok(fd) => {
//!             p.write_all(fd, owner.as_bytes())?;
//!             p.close(fd)?;
//!             Ok(true)
//!         }
//!         Err(e) if errno_of(&e) == Some(Errno::EEXIST) => Ok(false),
//!         Err(e) => Err(e),
//!     }
//! }
//!
//! let fs = SimFs::new();
//! let (a, b) = (fs.spawn(), fs.spawn());
//! assert!(acquire(&a, "a")?);
//! // a refreshes its lock the vulnerable way: unlink, then write again...
//! a.unlink("task.lock")?;
//! // ...and b runs in between: the lock file is missing, so b takes it.
//! assert!(acquire(&b, "b")?);
//! a.write_file("task.lock", b"a")?;
//! // Both believe they hold the lock; the file says "a".
//! assert_eq!(a.read_file("task.lock")?, b"a");
//!
//! let trace: Vec<String> = fs.trace().iter().map(|e| e.to_string()).collect();
//! assert_eq!(trace[..9], [
//!     "    0  p100  open(\"task.lock\", O_WRONLY|O_CREAT|O_EXCL) = fd3",
//!     "    1  p100  write(fd3, \"a\") = 1",
//!     "    2  p100  close(fd3) = 0",
//!     "    3  p100  unlink(\"task.lock\") = 0",
//!     "    4  p101  open(\"task.lock\", O_WRONLY|O_CREAT|O_EXCL) = fd3",
//!     "    5  p101  write(fd3, \"b\") = 1",
//!     "    6  p101  close(fd3) = 0",
//!     "    7  p100  open(\"task.lock\", O_WRONLY|O_CREAT|O_TRUNC) = fd3",
//!     "    8  p100  write(fd3, \"a\") = 1",
//! ]);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Here the test chose the interleaving by hand. Under shuttle or loom
//! (`SimFs::<ShuttleRuntime>::default()` inside the test closure, processes
//! on `shuttle::thread`s), the explorer chooses it, and every call is a
//! scheduling point.
//!
//! # The SimFs model
//!
//! SimFs follows Linux (ext4) semantics. This section is the one place
//! that states them; the conformance suite checks each against the kernel.
//!
//! **Steps.** Every call is one atomic step taken under one mutex, so it is
//! one scheduling point for shuttle and loom. The exceptions: a `write`
//! longer than [`SimConfig::torn_write_size`] is several steps, and readers
//! can see the file between them (a torn write: on Linux a `pread` can
//! mix old and new bytes of one `pwrite`); a blocking lock or a sleep waits
//! between steps; under [`FlockConversion::TwoStep`] an flock conversion is
//! two steps (see below). Writes to one inode never interleave, as Linux's
//! inode lock makes them: while a write of several steps is under way, a
//! `write`, `ftruncate` or `O_TRUNC` open of the same inode by any other
//! thread waits (blocked, like a lock wait, so a deadlock report or the
//! clock takes it into account) until its last step. A read-modify-write of
//! a file is never atomic unless a lock makes it so.
//!
//! **Names and inodes.** Names (directory entries) and inodes are separate.
//! `unlink` removes a name; an open inode lives until its last open file
//! description closes. `rename` replaces its target atomically: no observer
//! ever finds the target missing. `link` adds a name. `stat` and `fstat`
//! report inode, link count, size and mtime; a directory's size is 4096,
//! what ext4 gives one whose entries fit in a block (ext4 grows it a block
//! at a time as it fills, which SimFs does not), and 0 once removed. Errors
//! carry the errno Linux gives, checked in Linux's order.
//!
//! **Paths.** A path is resolved as the kernel walks it, component by
//! component: a name is looked up in the directory reached so far
//! (`ENOENT`, or `ENOTDIR` after a file), `..` goes to the parent of the
//! directory actually reached, so `a/..` with `a` a file is `ENOTDIR`. The
//! file system's root acts as the root, as in a chroot: a leading `/`, or
//! `..` at the root, stays there. A trailing `/` demands a directory; a last
//! `.` or `..` (or `/` alone) is refused by the calls that make or remove a
//! name, each with Linux's errno. Before any lookup, the empty path gives
//! `ENOENT`, a NUL byte `EINVAL`, and a path of 4096 bytes or more
//! `ENAMETOOLONG`; a name over 255 bytes gives `ENAMETOOLONG` when it is
//! looked up. Names must be UTF-8 (`EINVAL` otherwise, on both backends).
//! SimFs has no symlinks; [`RealFs`] lets the kernel resolve its paths
//! (`openat2` with `RESOLVE_IN_ROOT`) and so follows symlinks inside its
//! root.
//!
//! **Opening.** `create_new` is `O_CREAT|O_EXCL` (`EEXIST` if the name
//! exists, even as a directory); `truncate` empties the file at once, even
//! on a read-only open, as Linux does; `append` writes at the end, and on
//! Linux `pwrite` appends too. Descriptors are per process, lowest free from
//! 3 and below [`SimConfig::nofile_limit`] (`RLIMIT_NOFILE`, 1024 as on
//! Linux): with all taken, `open` fails with `EMFILE` before it looks at
//! the path, so a loop that leaks descriptors shows. Files are kept in
//! memory and capped at 1 GiB (`EFBIG`).
//!
//! **Locks.** Three families, all advisory and whole-file:
//! - `flock` locks belong to the open file description: a second `open` of
//!   the same file, even in the same process, contends. Converting between
//!   shared and exclusive is one step, as in Linux 6.x
//!   ([`FlockConversion::Atomic`], the default): a conversion that succeeds
//!   lets no waiter in between, while one that meets a conflict has already
//!   dropped the old lock, so a failed non-blocking conversion leaves no
//!   lock at all and a blocking one waits holding nothing.
//!   [`FlockConversion::TwoStep`] ([`SimConfig::flock_conversion`]) models
//!   what flock(2) allows instead: the old lock is dropped in one step and
//!   the new one taken in later steps, so another process can get in
//!   between even when the conversion succeeds.
//! - POSIX `fcntl` locks belong to the (process, inode) pair: descriptors
//!   and threads of one process never exclude each other, and closing ANY
//!   descriptor of the file in the process drops the lock. A blocking
//!   request fails with `EDEADLK` when Linux's check finds a cycle: it
//!   follows one chain only, from the first conflicting lock in the inode's
//!   list (locks in the order their owners first took them) to the lock
//!   that lock's owner is queued on, and so on (at most 11 owners). A cycle
//!   through any other conflicting lock goes unseen and the request sleeps.
//! - OFD locks belong to the open file description, like flock, but share
//!   the POSIX table: they conflict with POSIX locks, even of the same
//!   process.
//!
//! A lock call resolves its descriptor once and holds the open file
//! description until it returns, as Linux holds the `struct file`: if
//! another thread closes the descriptor (and opens another file as the same
//! number) while the call waits, the call keeps waiting on the original
//! description. When it then gets the lock, an flock or OFD lock goes at
//! once with the description (success is returned, no lock remains), and
//! a POSIX lock is dropped again and the call fails with `EBADF` (Linux's
//! close-race check). Closing the descriptor drops the process's POSIX
//! locks on the file at once, as any close does.
//!
//! A blocked lock waits on the runtime's condition variable, never spins.
//! When every live process is blocked on a lock (a waiter whose descriptor
//! was closed included), nothing can wake any of them: SimFs reports the
//! deadlock by panicking in every waiter with a message that starts
//! `lockcheck: deadlock:` and lists who waits for what.
//! While one process runs alone ([`SimFs::run_alone`], a phase in which the
//! others do not run), only it counts: its wait for a lock another holds is
//! such a deadlock, and its sleep moves the clock.
//!
//! **Durability.** Every change is visible at once (the page cache) and
//! durable only after `fsync`: of the file for its data and size, of the
//! parent directory for a creation, removal or rename. A process crash
//! ([`SimFs::crash`], SIGKILL) closes its descriptors, drops its locks and
//! loses nothing written; the killed process's further calls fail with
//! `ESRCH`, or, for a handle that asked ([`SimProc::unwind_when_killed`]),
//! unwind out of its code with a [`Killed`] payload, since a real killed
//! process runs none of its code after the signal. A power loss ([`SimFs::power_loss`]) keeps the
//! durable state plus what the [`Profile`] allows of the pending changes:
//! a prefix ([`Profile::InOrder`]; `fsync` of anything flushes everything
//! before it) or any subset ([`Profile::Reordering`], as in the ALICE study;
//! `fsync` of a file flushes only its data, of a directory only its
//! entries). [`SimFs::crash_states`] enumerates the states a power loss
//! could leave, so a checker can test them all (under `Reordering`, the
//! subsets of the first [`MAX_REORDERED`] pending changes, the later ones
//! always kept). [`SimFs::sync_all`] makes everything durable at once, as
//! `sync(2)` does: lockcheck-explore calls it when a scenario's setup is
//! done, so the files a run starts with are on disk.
//!
//! **Time and processes.** Time is virtual: `now` and `sleep` read and wait
//! on the simulation's clock, which moves only when every live process is
//! waiting (sleeping, paused or blocked), and then jumps to the earliest
//! wake-up time. Calls take no time. So a lease expires only if a holder
//! sleeps or is paused ([`SimFs::pause`], a GC pause or SIGSTOP) past it,
//! never because the scheduler was slow. Clocks can be skewed per process
//! ([`SimFs::skew_clock`]). A process runs from [`SimFs::spawn`] until its
//! last [`SimProc`] handle is dropped (exit) or it crashes. As on Linux, an
//! exited process is a zombie until its parent reaps it: `kill(pid, 0)`
//! ([`ProcessInfo::is_alive`]) still succeeds and its pid is not reused.
//! The harness that spawns the processes is their parent and reaps
//! explicitly ([`SimFs::reap`]), or at once when it ignores `SIGCHLD`
//! ([`SimConfig::reap_on_exit`], which the explorer sets: its processes
//! leave no zombies). A crash
//! ([`SimFs::crash`]) is SIGKILL followed at once by the reaping. Each handle
//! is one thread of the process ([`SimProc::thread`] makes another); a
//! thread that makes no calls counts as running and holds the clock, so
//! drop the handles of threads that are done. Pids count up from 100 and
//! can be reused once reaped ([`SimFs::spawn_with_pid`]). The clock stops
//! at 400 years: a sleep or pause longer than that ends there, and a sleep
//! that starts there never ends (a deadlock, once no one else runs), so no
//! retry loop spins at the end of time.
//!
//! **Determinism.** The same scenario under the same schedule gives the
//! same trace, bit for bit: SimFs has no randomness, no wall-clock reads and
//! no hash-order dependence in what it returns.
//!
//! # Runtimes
//!
//! [`SimFs`] is generic over a [`sync::Runtime`]: [`sync::StdRuntime`] for
//! real threads (the default), [`sync::ShuttleRuntime`] and
//! [`sync::LoomRuntime`] for the explorers, all in one build.

mod clock;
mod errno;
mod fs;
mod path;
mod process;
mod real;
mod sim;
pub mod sync;

pub use clock::Clock;
pub use errno::{Errno, errno_of};
pub use fs::{Fd, FileKind, Fs, LockApi, LockKind, Metadata, OpenOptions, Wait};
pub use process::{Process, ProcessInfo};
pub use real::RealFs;
pub use sim::{
    CLOCK_LIMIT_WAIT, FlockConversion, Killed, MAX_REORDERED, Profile, SimConfig, SimFs, SimProc,
    Skew, Snapshot, StepView, TraceEvent, show_bytes,
};
