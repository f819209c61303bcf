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
    /// Called by a process that has just marked itself waiting. With
    /// `solo`, only that process counts ([`super::SimFs::run_alone`]).
    pub fn advance_if_idle(&mut self, solo: Option<u32>) -> Idle {
        let mut earliest: Option<Duration> = None;
        let moving =
            |pid: &u32, p: &super::state::ProcState| p.alive() && solo.is_none_or(|s| s == *pid);
        for (_, p) in self.procs.iter().filter(|(pid, p)| moving(pid, p)) {
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
                for (pid, p) in self.procs.iter().filter(|(pid, p)| moving(pid, p)) {
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
                Idle::Deadlock(match solo {
                    None => format!(
                        "lockcheck: deadlock: every live process is blocked: {}",
                        waits.join("; ")
                    ),
                    Some(pid) => format!(
                        "lockcheck: deadlock: p{pid} runs alone (no other process moves until \
                         it is done) and is blocked: {}",
                        waits.join("; ")
                    ),
                })
            }
        }
    }

    /// What a waiter says after `waited` of real time without being woken,
    /// under real threads: who is still running, and the usual cause.
    pub fn stall_report(&self, pid: u32, waited: Duration) -> String {
        let mut running = Vec::new();
        for (p, proc) in self.procs.iter().filter(|(_, p)| p.alive()) {
            for (tid, t) in &proc.threads {
                if t.status == Status::Running {
                    running.push(if *tid == 0 {
                        format!("p{p}")
                    } else {
                        format!("p{p}.{tid}")
                    });
                }
            }
        }
        format!(
            "lockcheck: p{pid} has waited {waited:?} of real time. Virtual time moves, and \
             locks come free, only while other processes run, and these still count as \
             running: {}. A handle kept alive after its thread is done, or one driven by \
             the waiting thread itself, never waits: drop it, or give it its own thread.",
            running.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::durable::Profile;

    #[test]
    fn a_stall_report_names_the_processes_still_running() {
        let mut s = State::new(Profile::InOrder);
        let a = s.spawn(None).unwrap();
        let b = s.spawn(None).unwrap();
        s.thread_mut(a).unwrap().status = Status::Waiting(Some(Duration::from_secs(5)));
        let report = s.stall_report(a.pid, Duration::from_secs(10));
        assert!(
            report.starts_with("lockcheck: p100 has waited 10s of real time."),
            "{report}"
        );
        assert!(
            report.contains(&format!("still count as running: p{}.", b.pid)),
            "{report}"
        );
    }
}
