//! Programs of protocol operations: what one simulated process does, step
//! by step, against one of the reference protocols, with the ghost state
//! the monitors need (critical sections, acknowledged updates).

use std::time::Duration;

use lockcheck_fs::sync::Runtime;
use lockcheck_fs::{Clock, Errno, Fs, LockKind, OpenOptions, Wait, errno_of};
use lockcheck_lincheck::specs::{
    BoardInput, BoardOutput, Claim, ClaimOutput, Counts, LeaseInput, LeaseOutput, MutexInput,
    MutexOutput, RegistryInput, RegistryOutput, Status,
};
use lockcheck_protocols::claim::{ClaimOutcome, ClaimVariant, TaskPool};
use lockcheck_protocols::flock_lock::{Acquire, FlockGuard, FlockLock, Release};
use lockcheck_protocols::history::NoHistory;
use lockcheck_protocols::lockfile::{LockError, LockFile, Record, Refresh};
use lockcheck_protocols::registry::{
    Agent, AgentRegistry, AgentStatus, LockedRegistryFile, RegistryError, WriteMethod,
};
use lockcheck_protocols::taskboard::{Assignee, LockScope, NotAssigned, TaskBoard};

use crate::ctx::Ctx;
use crate::linearizable::{Call, Return};

/// The file the critical sections of unfenced locks increment.
pub const COUNTER: &str = "counter";
/// Where [`Protocol::Registry`] keeps its registry.
pub const REGISTRY: &str = "registry.json";
/// The lock-file directory and name [`Protocol::LockFile`] uses: the lock
/// is `agent.lock`.
pub const LOCK_NAME: &str = "agent";
/// The key [`Protocol::Flock`] locks: the lock file is `locks/task.lock`.
pub const FLOCK_KEY: &str = "task";
/// The directory of [`Protocol::Flock`]'s lock files.
pub const FLOCK_DIR: &str = "locks";
/// Where [`Protocol::TaskBoard`] keeps its board.
pub const TASKBOARD: &str = "board.json";
/// The directory of [`Protocol::Claim`]'s task pool.
pub const POOL_DIR: &str = "tasks";

/// A reference protocol and its variant, as a program runs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Protocol {
    /// Seed 004's lock file with an owner record.
    LockFile {
        /// How refresh rewrites the record.
        variant: Refresh,
        /// When a record without refresh becomes stale.
        stale_after: Duration,
        /// How many times [`Op::Acquire`] tries before giving up.
        tries: u32,
        /// How long it sleeps between tries.
        retry_delay: Duration,
    },
    /// Seeds 000 and 001's flock lock file.
    Flock {
        /// What release does with the lock file.
        release: Release,
        /// Blocking, or retrying with a timeout.
        acquire: Acquire,
    },
    /// Seed 001's task claiming.
    Claim {
        /// Claim under a per-task lock, or by rename.
        variant: ClaimVariant,
    },
    /// Seeds 000 and 002's task board.
    TaskBoard {
        /// Which locks guard an assignment or update.
        scope: LockScope,
    },
    /// Seed 003's agent registry.
    Registry {
        /// How the registry is rewritten.
        method: WriteMethod,
    },
}

impl Protocol {
    /// The lock-file protocol with `variant`, stale after 10 s, one try.
    pub fn lockfile(variant: Refresh) -> Protocol {
        Protocol::LockFile {
            variant,
            stale_after: Duration::from_secs(10),
            tries: 1,
            retry_delay: Duration::from_secs(1),
        }
    }

    /// The flock protocol with `release`, blocking acquire.
    pub fn flock(release: Release) -> Protocol {
        Protocol::Flock {
            release,
            acquire: Acquire::Block,
        }
    }

    /// The stable variant name, e.g. `lockfile/unlink-then-write`.
    pub fn name(&self) -> &'static str {
        match self {
            Protocol::LockFile { variant, .. } => variant.name(),
            Protocol::Flock { release, .. } => release.name(),
            Protocol::Claim { variant } => variant.name(),
            Protocol::Registry { method } => method.name(),
            Protocol::TaskBoard { scope } => scope.name(),
        }
    }

    /// The lock file whose presence `lock-file-present` watches, if any.
    pub fn lock_path(&self) -> Option<String> {
        match self {
            Protocol::LockFile { .. } => Some(format!("{LOCK_NAME}.lock")),
            Protocol::Flock { .. } => Some(format!("{FLOCK_DIR}/{FLOCK_KEY}.lock")),
            _ => None,
        }
    }

    /// Whether critical sections write through fencing tokens.
    pub fn fenced(&self) -> bool {
        matches!(
            self,
            Protocol::LockFile {
                variant: Refresh::Fenced,
                ..
            }
        )
    }
}

/// One operation of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// Take the lock; on success the process is inside its critical
    /// section until it releases or learns it lost the lock.
    Acquire,
    /// Refresh the lock (lock file only).
    Refresh,
    /// Release the lock.
    Release,
    /// The critical section's work: increment the shared counter (a file
    /// read and rewritten; through the fenced resource when fenced).
    Critical,
    /// Sleep on the process's clock.
    Sleep(Duration),
    /// Claim the task of this id.
    Claim(String),
    /// Add an agent of this id to the registry.
    AddAgent(String),
    /// Set the status of the agent of this id.
    UpdateStatus {
        /// The agent.
        id: String,
        /// Its new status.
        status: String,
    },
    /// Assign the task of this id to this agent on the task board.
    Assign {
        /// The task.
        task: String,
        /// The agent's name.
        agent: String,
    },
    /// Set the status of the task of this id on the task board.
    SetStatus {
        /// The task.
        task: String,
        /// Its new status.
        status: String,
    },
    /// The process kills itself here (SIGKILL).
    Crash,
    /// Read the whole registry without any lock, as the seed's read-only
    /// checks do; the bytes read are what `json-read-parses` checks.
    Read,
    /// Read the whole registry under a shared flock on the lock file its
    /// writers lock (the registry itself for `registry/in-place`).
    ReadLocked,
}

/// What a process holds between operations.
enum Lease {
    None,
    File(Record),
    Flock(FlockGuard),
}

/// A running program's state.
pub(crate) struct Interpreter<R: Runtime> {
    protocol: Protocol,
    ctx: Ctx<R>,
    lease: Lease,
}

/// Whether the error says the process is dead (crashed under it).
fn dead(e: &std::io::Error) -> bool {
    errno_of(e) == Some(Errno::ESRCH)
}

impl<R: Runtime> Interpreter<R> {
    pub(crate) fn new(protocol: Protocol, ctx: Ctx<R>) -> Self {
        Interpreter {
            protocol,
            ctx,
            lease: Lease::None,
        }
    }

    /// Runs `ops`; false if the process died.
    pub(crate) fn run(&mut self, ops: &[Op]) -> bool {
        ops.iter().all(|op| self.step(op).is_ok())
    }

    /// The process's number as a history process.
    fn who(&self) -> u64 {
        self.ctx.index() as u64
    }

    /// The process died under the pending operation: its outcome is
    /// unknown.
    fn died(&self) -> Result<(), Dead> {
        self.ctx.unknown();
        Err(Dead)
    }

    /// The pending operation failed: unknown outcome (and the process
    /// stops) if it died under it, else `fail` if `no_effect`, else unknown.
    fn failed_with(
        &self,
        e: &(dyn std::error::Error + 'static),
        no_effect: bool,
    ) -> Result<(), Dead> {
        let dead = io_dead(e);
        if no_effect && !dead {
            self.ctx.failed();
        } else {
            self.ctx.unknown();
        }
        unless_dead(dead)
    }

    fn step(&mut self, op: &Op) -> Result<(), Dead> {
        if self.ctx.crashed() {
            return Err(Dead);
        }
        let p = self.ctx.proc();
        match (op, &self.protocol) {
            (Op::Sleep(d), _) => {
                p.sleep(*d);
                Ok(())
            }
            (Op::Crash, _) => {
                self.ctx.crash_self();
                Err(Dead)
            }
            (Op::Critical, _) => self.critical(),
            (Op::Acquire, Protocol::LockFile { .. }) => self.lockfile_acquire(),
            (Op::Refresh, Protocol::LockFile { .. }) => self.lockfile_refresh(),
            (Op::Release, Protocol::LockFile { .. }) => self.lockfile_release(),
            (Op::Acquire, Protocol::Flock { release, acquire }) => {
                if !matches!(self.lease, Lease::None) {
                    return Ok(());
                }
                let lock = FlockLock::new(FLOCK_DIR, *release).with_mode(*acquire);
                self.ctx.waiting();
                self.ctx
                    .invoke(Call::Mutex(MutexInput::Acquire(self.who())));
                match lock.acquire(p, &NoHistory, FLOCK_KEY) {
                    Ok(guard) => {
                        self.ctx.returned(Return::Mutex(MutexOutput::Acquired));
                        self.ctx.enter();
                        self.lease = Lease::Flock(guard);
                        Ok(())
                    }
                    Err(e) => {
                        let timeout = matches!(
                            e,
                            lockcheck_protocols::flock_lock::FlockError::Timeout { .. }
                        );
                        self.failed_with(&e, timeout)
                    }
                }
            }
            (Op::Release, Protocol::Flock { .. }) => {
                if let Lease::Flock(guard) = std::mem::replace(&mut self.lease, Lease::None) {
                    self.ctx.exit();
                    self.ctx
                        .invoke(Call::Mutex(MutexInput::Release(self.who())));
                    if let Err(e) = guard.release(p, &NoHistory) {
                        return self.failed_with(&e, false);
                    }
                    self.ctx.returned(Return::Mutex(MutexOutput::Released));
                }
                Ok(())
            }
            (Op::Claim(task), Protocol::Claim { variant }) => {
                let pool = TaskPool::new(POOL_DIR, *variant);
                let agent = format!("agent-{}", self.ctx.index());
                self.ctx.invoke(Call::Claim(Claim {
                    task: task.clone(),
                    by: self.who(),
                }));
                match pool.claim(p, &NoHistory, task, &agent, Duration::from_secs(10)) {
                    Ok(ClaimOutcome::Claimed(_)) => {
                        self.ctx.returned(Return::Claim(ClaimOutput::Won));
                        self.ctx.claimed(task);
                        Ok(())
                    }
                    Ok(ClaimOutcome::NotAvailable) => {
                        self.ctx.returned(Return::Claim(ClaimOutput::Lost));
                        Ok(())
                    }
                    Ok(ClaimOutcome::Timeout { .. }) => {
                        self.ctx.failed();
                        Ok(())
                    }
                    Err(e) => self.failed_with(&e, false),
                }
            }
            (Op::AddAgent(id), Protocol::Registry { method }) => {
                let reg = AgentRegistry::new(LockedRegistryFile::new(REGISTRY, *method));
                self.ctx
                    .invoke(Call::Registry(RegistryInput::AddAgent { id: id.clone() }));
                let agent = Agent::new(id.as_str(), AgentStatus::Running);
                match reg.add_agent(p, &NoHistory, agent, "root") {
                    Ok(counts) => {
                        let counts = RegistryOutput::Counts(spec_counts(counts));
                        self.ctx.returned(Return::Registry(counts));
                        self.ctx.acknowledge(id);
                        Ok(())
                    }
                    Err(e) => {
                        let unchanged = e.left_registry_unchanged();
                        self.failed_with(&e, unchanged)
                    }
                }
            }
            (Op::Read | Op::ReadLocked, Protocol::Registry { method }) => {
                let lock = LockedRegistryFile::new(REGISTRY, *method).lock_path();
                let read = if *op == Op::ReadLocked {
                    read_locked(p, &lock, REGISTRY)
                } else {
                    self.ctx.proc().read_file(REGISTRY)
                };
                match read {
                    Ok(bytes) => {
                        self.ctx.saw(REGISTRY, &bytes);
                        self.ctx.completed();
                        Ok(())
                    }
                    Err(e) => unless_dead(dead(&e)),
                }
            }
            (Op::UpdateStatus { id, status }, Protocol::Registry { method }) => {
                let reg = AgentRegistry::new(LockedRegistryFile::new(REGISTRY, *method));
                let status = AgentStatus::from(status.clone());
                self.ctx
                    .invoke(Call::Registry(RegistryInput::UpdateAgentStatus {
                        id: id.clone(),
                        status: spec_status(&status),
                    }));
                match reg.update_agent_status(p, &NoHistory, id, status, Default::default()) {
                    Ok(change) => {
                        let out = RegistryOutput::StatusChanged {
                            previous: spec_status(&change.previous_status),
                            counts: spec_counts(change.counts),
                        };
                        self.ctx.returned(Return::Registry(out));
                        Ok(())
                    }
                    Err(RegistryError::AgentNotFound { .. }) => {
                        let out = RegistryOutput::AgentNotFound;
                        self.ctx.returned(Return::Registry(out));
                        Ok(())
                    }
                    Err(e) => {
                        let unchanged = e.left_registry_unchanged();
                        self.failed_with(&e, unchanged)
                    }
                }
            }
            (Op::Assign { task, agent }, Protocol::TaskBoard { scope }) => {
                let board = TaskBoard::new(TASKBOARD, *scope);
                let history = self.ctx.history();
                let assignee = Assignee::agent(agent);
                self.ctx.invoke(Call::Board(BoardInput::Assign {
                    task: task.clone(),
                    assignee: assignee.label(),
                }));
                match board.assign_task(p, &*history, task, &assignee) {
                    Ok(Ok(())) => {
                        self.ctx.returned(Return::Board(BoardOutput::Assigned));
                        Ok(())
                    }
                    Ok(Err(NotAssigned::AlreadyAssigned { existing_assignee })) => {
                        let out = BoardOutput::AlreadyAssigned(existing_assignee);
                        self.ctx.returned(Return::Board(out));
                        Ok(())
                    }
                    Ok(Err(_)) => {
                        self.ctx.failed();
                        Ok(())
                    }
                    Err(e) => self.failed_with(&e, false),
                }
            }
            (Op::SetStatus { task, status }, Protocol::TaskBoard { scope }) => {
                let board = TaskBoard::new(TASKBOARD, *scope);
                let history = self.ctx.history();
                match board.update_task_board(p, &*history, task, status) {
                    Ok(_) => {
                        self.ctx.completed();
                        Ok(())
                    }
                    Err(e) => unless_dead(io_dead(&e)),
                }
            }
            (op, protocol) => {
                self.ctx.fail(format!(
                    "operation {op:?} does not apply to protocol {}",
                    protocol.name()
                ));
                Err(Dead)
            }
        }
    }

    fn lockfile(&self) -> (LockFile, u32, Duration) {
        let Protocol::LockFile {
            variant,
            stale_after,
            tries,
            retry_delay,
        } = &self.protocol
        else {
            unreachable!("called for lock-file protocols only")
        };
        let lock = LockFile::new("", LOCK_NAME, *variant).stale_after(*stale_after);
        (lock, (*tries).max(1), *retry_delay)
    }

    fn lockfile_acquire(&mut self) -> Result<(), Dead> {
        if !matches!(self.lease, Lease::None) {
            return Ok(());
        }
        let (lock, tries, delay) = self.lockfile();
        let p = self.ctx.proc();
        let owner = format!("agent-{}", self.ctx.index());
        let fenced = self.protocol.fenced();
        self.ctx.waiting();
        self.ctx.invoke(if fenced {
            Call::Lease(LeaseInput::Acquire { owner: self.who() })
        } else {
            Call::Mutex(MutexInput::TryAcquire(self.who()))
        });
        for attempt in 1..=tries {
            match lock.acquire(p, &NoHistory, &owner) {
                Ok(record) => {
                    self.ctx.returned(match record.token {
                        Some(token) if fenced => Return::Lease(LeaseOutput::Granted(token)),
                        _ => Return::Mutex(MutexOutput::Acquired),
                    });
                    self.ctx.enter();
                    self.lease = Lease::File(record);
                    return Ok(());
                }
                Err(LockError::Io(e)) if dead(&e) => return self.died(),
                Err(_) if attempt < tries => p.sleep(delay),
                Err(e) => {
                    if matches!(e, LockError::Io(_)) {
                        self.ctx.unknown();
                    } else {
                        self.ctx.failed();
                    }
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn lockfile_refresh(&mut self) -> Result<(), Dead> {
        let Lease::File(record) = &self.lease else {
            return Ok(());
        };
        let (lock, _, _) = self.lockfile();
        // For the mutex spec a refresh is a release that takes effect
        // only if it fails (the process learns it lost the lock).
        let mutex = !self.protocol.fenced();
        if mutex {
            self.ctx
                .invoke(Call::Mutex(MutexInput::Release(self.who())));
        }
        match lock.refresh(self.ctx.proc(), &NoHistory, record) {
            Ok(newer) => {
                if mutex {
                    self.ctx.failed();
                }
                self.ctx.completed();
                self.lease = Lease::File(newer);
                Ok(())
            }
            Err(LockError::Io(e)) if dead(&e) => self.died(),
            Err(_) => {
                // It learns it lost the lock: it stops believing it holds it.
                if mutex {
                    self.ctx.unknown();
                }
                self.ctx.exit();
                self.lease = Lease::None;
                Ok(())
            }
        }
    }

    fn lockfile_release(&mut self) -> Result<(), Dead> {
        let Lease::File(record) = std::mem::replace(&mut self.lease, Lease::None) else {
            return Ok(());
        };
        self.ctx.exit();
        let (lock, _, _) = self.lockfile();
        let mutex = !self.protocol.fenced();
        if mutex {
            self.ctx
                .invoke(Call::Mutex(MutexInput::Release(self.who())));
        }
        match lock.release(self.ctx.proc(), &NoHistory, &record) {
            Err(LockError::Io(e)) if dead(&e) => self.died(),
            Ok(()) => {
                if mutex {
                    self.ctx.returned(Return::Mutex(MutexOutput::Released));
                }
                Ok(())
            }
            Err(_) => {
                // Taken over, or a race on the file: who knows.
                if mutex {
                    self.ctx.unknown();
                }
                Ok(())
            }
        }
    }

    fn critical(&mut self) -> Result<(), Dead> {
        match &self.lease {
            Lease::None => Ok(()),
            Lease::File(Record {
                token: Some(token), ..
            }) => {
                let token = *token;
                if let Some(value) = self.ctx.fenced_read(token) {
                    R::yield_now();
                    self.ctx.fenced_write(token, value + 1);
                }
                if self.ctx.crashed() {
                    return Err(Dead);
                }
                Ok(())
            }
            _ => {
                let p = self.ctx.proc();
                let n = match p.read_file(COUNTER) {
                    Ok(bytes) => parse_counter(&bytes),
                    Err(e) if dead(&e) => return Err(Dead),
                    Err(_) => 0,
                };
                match p.write_file(COUNTER, (n + 1).to_string().as_bytes()) {
                    Ok(()) => {
                        self.ctx.incremented();
                        Ok(())
                    }
                    Err(e) if dead(&e) => Err(Dead),
                    Err(_) => Ok(()),
                }
            }
        }
    }
}

/// The counter file's value (0 when empty or garbled).
pub(crate) fn parse_counter(bytes: &[u8]) -> u64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// The registry's counters as the spec writes them.
fn spec_counts(c: lockcheck_protocols::registry::Counts) -> Counts {
    Counts {
        total_spawned: c.total_spawned,
        active_count: c.active_count,
        completed_count: c.completed_count,
    }
}

/// An agent status as the spec writes it.
fn spec_status(s: &AgentStatus) -> Status {
    match s {
        AgentStatus::Running => Status::Running,
        AgentStatus::Completed => Status::Completed,
        AgentStatus::Terminated => Status::Terminated,
        AgentStatus::Other(other) => Status::Other(other.clone()),
    }
}

/// Reads the whole file at `path` under a shared flock on `lock`.
fn read_locked(p: &impl Fs, lock: &std::path::Path, path: &str) -> std::io::Result<Vec<u8>> {
    let fd = p.open(lock, OpenOptions::new().read(true).write(true).create(true))?;
    let read = p
        .flock(fd, LockKind::Shared, Wait::Block)
        .and_then(|()| p.read_file(path));
    let closed = p.close(fd);
    let bytes = read?;
    closed.map(|()| bytes)
}

/// After a failed operation: the process goes on, unless it died.
fn unless_dead(dead: bool) -> Result<(), Dead> {
    if dead { Err(Dead) } else { Ok(()) }
}

/// The process died under an operation.
pub(crate) struct Dead;

fn io_dead(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && dead(io)
        {
            return true;
        }
        cur = err.source();
    }
    false
}
