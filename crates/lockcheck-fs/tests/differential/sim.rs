//! The simulated side: one SimFs, [`PROCESSES`] simulated processes of
//! [`THREADS`] threads each, every thread driven by its own OS thread, so
//! that a blocking lock call waits as it would in a program. Whether a call
//! that has not returned is blocked is [`SimProc::is_blocked`].
//!
//! Each process also has a probe thread, which only the driver uses (for
//! `fstat` of its descriptors when inodes are re-paired). Being idle, it
//! counts as running, so SimFs never declares a deadlock when every actor
//! waits: the kernel does not either (only POSIX requests closing a cycle
//! fail, with `EDEADLK`, and those are compared).

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use lockcheck_fs::{Fd, ProcessInfo, SimConfig, SimFs, SimProc};

use crate::ops::{Actor, Op, PROCESSES, THREADS};
use crate::outcome::{Outcome, apply};

/// The simulation of one case.
pub struct SimSide {
    pub fs: SimFs,
    /// Per actor ([`Actor::index`]): its thread's handle.
    handles: Vec<Arc<SimProc>>,
    /// Per process: the probe thread.
    pub probes: Vec<SimProc>,
    inboxes: Vec<Sender<Op<Fd>>>,
    replies: Receiver<(Actor, Outcome)>,
    workers: Vec<JoinHandle<()>>,
}

impl SimSide {
    /// A fresh simulation with its processes and threads (torn writes off:
    /// every write is one step, as the comparison of whole-write results
    /// needs).
    pub fn start() -> SimSide {
        let fs = SimFs::with_config(SimConfig {
            trace: false,
            torn_write_size: None,
            ..SimConfig::default()
        });
        let mut handles = Vec::new();
        let mut probes = Vec::new();
        for _ in 0..PROCESSES {
            let main = fs.spawn();
            probes.push(main.thread());
            let mut threads = vec![Arc::new(main)];
            for _ in 1..THREADS {
                threads.push(Arc::new(threads[0].thread()));
            }
            handles.extend(threads);
        }
        let (reply_tx, replies) = mpsc::channel();
        let mut inboxes = Vec::new();
        let mut workers = Vec::new();
        for who in Actor::all() {
            let (tx, rx) = mpsc::channel::<Op<Fd>>();
            inboxes.push(tx);
            let handle = Arc::clone(&handles[who.index()]);
            let reply_tx = reply_tx.clone();
            workers.push(std::thread::spawn(move || {
                for op in rx {
                    let outcome = apply(&*handle, &op);
                    if reply_tx.send((who, outcome)).is_err() {
                        return;
                    }
                }
            }));
        }
        SimSide {
            fs,
            handles,
            probes,
            inboxes,
            replies,
            workers,
        }
    }

    /// Hands a call to an actor's thread, without waiting.
    pub fn issue(&self, who: Actor, op: Op<Fd>) {
        self.inboxes[who.index()]
            .send(op)
            .expect("the actor's thread runs");
    }

    /// The next call to return, if one does within `wait`.
    pub fn next_reply(&self, wait: Duration) -> Option<(Actor, Outcome)> {
        self.replies.recv_timeout(wait).ok()
    }

    /// True while `who` is asleep waiting for a lock.
    pub fn is_blocked(&self, who: Actor) -> bool {
        self.handles[who.index()].is_blocked()
    }

    /// Ends the simulation: its processes crash (SIGKILL), which ends
    /// every wait, and the threads are joined.
    pub fn finish(self) {
        for p in &self.probes {
            self.fs.crash(p.pid());
        }
        drop(self.inboxes);
        for w in self.workers {
            w.join().expect("a simulated thread");
        }
    }
}
