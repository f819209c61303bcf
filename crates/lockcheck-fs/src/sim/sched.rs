//! Virtual time and deadlock: the clock moves only when every live process
//! waits, and when they all wait for locks, nothing ever will.

use std::time::Duration;

use super::state::{State, Status};

/// What the last process to start waiting finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Idle {
    /// Some process is running: wait for it.
    Busy,
    /// Everyone was waiting and someone waits for a time: the clock jumped
    /// to the earliest such time and every waiter must look again.
    Advanced,
    /// Every live process waits for a lock: a deadlock, described.
    Deadlock(String),
}

impl State {
    /// Called by a process that has just marked itself waiting.
    pub fn advance_if_idle(&mut self) -> Idle {
        let mut earliest: Option<Duration> = None;
        for p in self.procs.values().filter(|p| p.alive()) {
            for t in p.threads.values() {
                match t.status {
                    Status::Running => return Idle::Busy,
                    Status::Waiting(Some(at)) => {
                        earliest = Some(earliest.map_or(at, |e| e.min(at)))
                    }
                    Status::Waiting(None) => {}
                }
            }
        }
        match earliest {
            Some(t) => {
                self.clock = self.clock.max(t);
                self.wake_all();
                Idle::Advanced
            }
            None => {
                let mut waits = Vec::new();
                for (pid, p) in self.procs.iter().filter(|(_, p)| p.alive()) {
                    for (tid, t) in &p.threads {
                        let who = if *tid == 0 {
                            format!("p{pid}")
                        } else {
                            format!("p{pid}.{tid}")
                        };
                        let what = t.waiting_for.as_deref().unwrap_or("?");
                        waits.push(format!("{who} waits for {what}"));
                    }
                }
                Idle::Deadlock(format!(
                    "lockcheck: deadlock: every live process is blocked: {}",
                    waits.join("; ")
                ))
            }
        }
    }
}
