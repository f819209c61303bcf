//! Differential test: random call sequences of two processes, each with
//! two threads, give the same results on SimFs as on the Linux kernel,
//! step by step, and leave the same tree behind.
//!
//! **The two sides.** On the real side each process is a real OS process
//! (this test binary re-executed, see `real`) working in one temporary
//! directory through `RealFs`, each thread a real thread of it: POSIX
//! locks of the two processes exclude each other in the kernel, those of
//! one process's threads do not. On the simulated side (`sim`) each
//! process is a `SimFs::spawn` and each thread a `SimProc::thread`, driven
//! by an OS thread of its own, so that a blocking call waits.
//!
//! **A step.** Every call names its process and thread. The driver hands
//! it to that thread on both sides and then waits, on each side, until
//! every call not yet returned is known to wait for a lock: on the real
//! side, until each is listed as a waiter (`->`) in `/proc/locks` under its
//! pid (`-1` for OFD requests), inode and lock type, in one snapshot (one
//! read, or two reads that agree when the file is longer than a page);
//! on SimFs, until each thread is asleep on a lock (`SimProc::is_blocked`)
//! with no step taken while that was checked. Never by sleeping: a
//! 30-second limit is only a safety net, and reaching it fails the case.
//! Then the two sides must agree on which calls returned in this step (the
//! call just made, and waiters it woke) and on what each returned; the
//! others wait on both. A blocked thread is given no further calls (they
//! are skipped, and marked so in a failure's listing) until it is woken.
//! `EDEADLK` is compared like any other error.
//!
//! **The serialization rule.** When one step wakes several waiters, the
//! kernel and SimFs each let them run in their own order. The outcome is
//! the same in any order unless two of them want a lock of the same table
//! (flock, or POSIX and OFD) on the same inode, except when both want a
//! shared lock (from two owners) or one flock or OFD owner (an open file
//! description) wants the same kind twice. Two POSIX requests of one
//! process always race: if one's descriptor was closed while it waited,
//! its grant is undone with `EBADF` and takes the process's lock with it,
//! whether the other was granted before or after. (One step releases locks
//! on one inode only, so only requests on it wake together.) So a blocking
//! request that would wait beside such a waiter is not made (it is
//! skipped, as above): at most one of any set of racing requests waits at
//! a time, and every step has one possible outcome. (With two processes a
//! woken POSIX request that waits again cannot meet a fresh deadlock: the
//! only other POSIX owner is the other process, whose woken requests are
//! compatible with it.)
//!
//! **Compared**: every result (descriptor numbers, byte counts, data, also
//! of writes and reads of 5 to 72 KiB, offsets, directory listings),
//! errors by errno, `stat` kind, link count, size of files (not of
//! directories) and inode numbers up to a one-to-one renaming; which calls
//! block and which are woken; then the whole final tree. Paths include
//! `.`, `..`, the empty path, trailing slashes, names of 255 and 256 bytes,
//! paths of 4095 to 4097 bytes and NUL bytes. SimFs runs with torn writes
//! off, so a write is one step on both sides. Left out, because each file
//! system answers them its own way: `SEEK_END` on a directory (ext4 says
//! `i64::MAX`, tmpfs `EINVAL`) and offsets or lengths near a file system's
//! size limit (ext4 stops at 16 TiB with `EINVAL`/`EFBIG`, tmpfs at
//! `i64::MAX`).
//!
//! **Sequences.** Two in five: a few setup calls, then calls of every kind
//! on common and odd paths; two in five: lock-heavy, each process opening
//! `a` and `b` and then mostly lock calls (blocking or not, all three
//! families, conversions), unlocks, closes; one in five: POSIX locks only,
//! where `EDEADLK` comes. The coverage table printed at the end counts each
//! call's outcomes, including "blocked", "after waiting" and the skipped.
//!
//! [`DEFAULT_CASES`] cases by default (a few seconds); with `PROPTEST_CASES` set,
//! proptest's own configuration (which reads it and the other `PROPTEST_*`
//! variables). A failure prints the minimal sequence, the step where the
//! backends part and what each returned; its seed goes to
//! `main.proptest-regressions` beside this file.

#[path = "../common/mod.rs"]
mod common;
mod generate;
mod ops;
mod outcome;
mod real;
mod regressions;
mod run;
mod sim;
mod wire;

use std::collections::BTreeMap;
use std::sync::Mutex;

use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestError, TestRunner,
};

use crate::ops::Call;
use crate::run::{Notes, check};

/// Cases run when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 1_000;

/// How often each call gave each outcome, over the whole run.
static COVERAGE: Mutex<BTreeMap<(&'static str, String), u64>> = Mutex::new(BTreeMap::new());

/// Counts one outcome of one call.
fn record(call: &'static str, what: &str) {
    let mut cov = COVERAGE.lock().unwrap_or_else(|p| p.into_inner());
    *cov.entry((call, what.to_string())).or_default() += 1;
}

/// The sequence with step numbers and what happened at some steps,
/// marking step `at`.
fn listing(calls: &[Call], notes: &Notes, at: Option<usize>) -> String {
    calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            let mark = if Some(i) == at { "   <-- diverges" } else { "" };
            let note = notes.get(&i).map_or(String::new(), |n| format!("   [{n}]"));
            format!("  {i:2}: {call:?}{note}{mark}\n")
        })
        .collect()
}

/// Removes calls one at a time while the sequence still fails, since
/// proptest shrinks the setup calls and the rest separately.
fn minimize(mut calls: Vec<Call>) -> Vec<Call> {
    let mut i = 0;
    while i < calls.len() {
        let mut shorter = calls.clone();
        shorter.remove(i);
        if !shorter.is_empty() && check(&shorter).is_err() {
            calls = shorter;
        } else {
            i += 1;
        }
    }
    calls
}

fn config() -> ProptestConfig {
    let mut config = if std::env::var_os("PROPTEST_CASES").is_some() {
        ProptestConfig::default()
    } else {
        ProptestConfig::with_cases(DEFAULT_CASES)
    };
    config.source_file = Some(file!());
    if config.failure_persistence.is_some() {
        // main.proptest-regressions, next to this file.
        let beside = FileFailurePersistence::WithSource("proptest-regressions");
        config.failure_persistence = Some(Box::new(beside));
    }
    config
}

#[test]
fn simfs_gives_the_linux_kernels_results_for_random_calls_of_two_processes_with_threads() {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&generate::calls(), |calls| {
        check(&calls).map_err(TestCaseError::fail)
    });

    {
        let coverage = COVERAGE.lock().unwrap_or_else(|p| p.into_inner());
        eprintln!("outcomes seen (call, result: count):");
        for ((call, what), n) in coverage.iter() {
            eprintln!("  {call:<12} {what:<24} {n}");
        }
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(first, calls)) => {
            let calls = minimize(calls);
            match check(&calls) {
                Err(why) => panic!("minimal failing sequence {calls:?}\n{why}"),
                Ok(()) => panic!(
                    "a sequence failed, but not every time (it passed when run again): \
                     {calls:?}\nfirst failure: {first}"
                ),
            }
        }
        Err(TestError::Abort(why)) => panic!("proptest aborted: {why}"),
    }
}
