//! A scenario: the processes, what they run, the files they start with,
//! the faults injected, and the properties checked.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Profile, SimConfig, Skew};

use crate::ctx::Ctx;
use crate::program::{Op, Protocol};
use crate::property::Property;

/// A user's process body: any code over the process's [`Ctx`] (its
/// `SimProc` is an `Fs`, `Clock` and `ProcessInfo`).
pub type Body = Arc<dyn Fn(&Ctx<ShuttleRuntime>) + Send + Sync>;

/// What one process runs.
#[derive(Clone)]
pub enum Program {
    /// Operations of the scenario's protocol.
    Ops(Vec<Op>),
    /// A closure over the file system (shuttle strategies only).
    Custom(Body),
}

impl fmt::Debug for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Program::Ops(ops) => f.debug_tuple("Ops").field(ops).finish(),
            Program::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// A fault injected into an execution. Crashes and pauses strike at a
/// moment the explorer chooses, like any other step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Process number `process` is killed (SIGKILL).
    Crash {
        /// The victim.
        process: usize,
    },
    /// Process number `process` is stopped for `duration` of virtual time
    /// (a GC pause, SIGSTOP), longer than any lease if you like.
    Pause {
        /// The victim.
        process: usize,
        /// How long.
        duration: Duration,
    },
    /// Process number `process`'s clock disagrees with the others' from
    /// the start.
    Skew {
        /// The victim.
        process: usize,
        /// By how much.
        skew: Skew,
    },
}

impl Fault {
    /// The fault kinds by name, for `lockcheck list`.
    pub const NAMES: [&'static str; 4] = ["crash", "pause", "skew", "power-loss"];
}

/// Processes, programs, initial files, faults and properties: everything
/// one execution needs, and what every execution must satisfy.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// A name for reports.
    pub name: String,
    /// The protocol that [`Program::Ops`] programs run.
    pub protocol: Option<Protocol>,
    /// One program per process.
    pub processes: Vec<Program>,
    /// Files present at the start (path, contents); parent directories
    /// are made as needed.
    pub files: Vec<(String, Vec<u8>)>,
    /// Operations some processes run before any process starts (say, to
    /// hold the lock already), by process number.
    pub prelude: Vec<(usize, Vec<Op>)>,
    /// Faults to inject.
    pub faults: Vec<Fault>,
    /// Properties checked (deadlock, assertions and panics always are).
    pub properties: Vec<Property>,
    /// Writes longer than this many bytes are torn into several steps that
    /// readers can see between (writers still wait for each other).
    pub torn_write_size: Option<usize>,
    /// What a power loss keeps (for `durable-after-power-loss`).
    pub profile: Profile,
    /// Whether protocol operations are recorded into a history
    /// ([`crate::Counterexample::history`]); always when `linearizable` is
    /// checked. Off by default: recording costs time.
    pub record_history: bool,
}

impl Scenario {
    /// An empty scenario.
    pub fn new(name: impl Into<String>) -> Scenario {
        Scenario {
            name: name.into(),
            protocol: None,
            processes: Vec::new(),
            files: Vec::new(),
            prelude: Vec::new(),
            faults: Vec::new(),
            properties: Vec::new(),
            torn_write_size: None,
            profile: Profile::InOrder,
            record_history: false,
        }
    }

    /// A scenario of `protocol`'s operations, with the properties that
    /// protocol's users expect: mutual exclusion, a lock file present while
    /// held and no lost updates for locks; registry invariants and a
    /// parsing registry for registries; claimed once for claims; and no
    /// leftover temp files for all.
    pub fn protocol(name: impl Into<String>, protocol: Protocol) -> Scenario {
        let mut s = Scenario::new(name);
        s.properties = protocol.default_properties();
        s.protocol = Some(protocol);
        s
    }

    /// Adds a process running `ops` of the scenario's protocol.
    pub fn ops(mut self, ops: impl IntoIterator<Item = Op>) -> Scenario {
        self.processes.push(Program::Ops(ops.into_iter().collect()));
        self
    }

    /// Process number `process` runs `ops` before any process starts
    /// (e.g. `[Op::Acquire]`: it holds the lock when the others start).
    pub fn before(mut self, process: usize, ops: impl IntoIterator<Item = Op>) -> Scenario {
        self.prelude.push((process, ops.into_iter().collect()));
        self
    }

    /// Adds a process running `body`.
    pub fn process(mut self, body: impl Fn(&Ctx<ShuttleRuntime>) + Send + Sync + 'static) -> Self {
        self.processes.push(Program::Custom(Arc::new(body)));
        self
    }

    /// Adds a file present at the start.
    pub fn file(mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Scenario {
        self.files.push((path.into(), contents.into()));
        self
    }

    /// Adds a fault.
    pub fn fault(mut self, fault: Fault) -> Scenario {
        self.faults.push(fault);
        self
    }

    /// Adds a property to check.
    pub fn check(mut self, property: Property) -> Scenario {
        if !self.properties.contains(&property) {
            self.properties.push(property);
        }
        self
    }

    /// Checks only `properties` (plus those always checked).
    pub fn only(mut self, properties: impl IntoIterator<Item = Property>) -> Scenario {
        self.properties = properties.into_iter().collect();
        self
    }

    /// Tears writes longer than `bytes` into several steps that readers can
    /// see between; other writers of the file still wait for the last one.
    pub fn torn_writes(mut self, bytes: usize) -> Scenario {
        self.torn_write_size = Some(bytes);
        self
    }

    /// Sets the power-loss profile.
    pub fn power_loss_profile(mut self, profile: Profile) -> Scenario {
        self.profile = profile;
        self
    }

    /// Records the protocol operations of every execution into a history
    /// ([`crate::Counterexample::history`]), by process number.
    pub fn record_history(mut self) -> Scenario {
        self.record_history = true;
        self
    }

    /// Whether executions record their protocol operations.
    pub(crate) fn records_history(&self) -> bool {
        self.record_history || self.properties.contains(&Property::Linearizable)
    }

    /// The simulation's configuration; `trace` only for executions that
    /// will be shown (searching runs untraced, several times faster, and
    /// the one execution reported is replayed with its trace).
    pub(crate) fn sim_config(&self, trace: bool) -> SimConfig {
        SimConfig {
            torn_write_size: self.torn_write_size,
            profile: self.profile,
            trace,
            // The explorer is every process's parent and waits for each
            // at once: an exited process leaves no zombie behind.
            reap_on_exit: true,
            ..SimConfig::default()
        }
    }
}

impl Protocol {
    /// The properties a user of this protocol expects to hold.
    pub fn default_properties(&self) -> Vec<Property> {
        let mut out = Vec::new();
        match self {
            Protocol::LockFile { .. } | Protocol::Flock { .. } => {
                out.push(Property::MutualExclusion);
                if let Some(path) = self.lock_path() {
                    out.push(Property::LockFilePresent { path });
                }
                out.push(Property::NoLostUpdates);
            }
            Protocol::Claim { .. } => out.push(Property::ClaimedOnce),
            Protocol::TaskBoard { .. } => {
                let path = crate::program::TASKBOARD.to_string();
                out.push(Property::JsonParses {
                    path: path.clone(),
                    allow_empty: false,
                });
                out.push(Property::TaskBoardIntact { path });
            }
            Protocol::Registry { .. } => {
                let path = crate::program::REGISTRY.to_string();
                out.push(Property::JsonParses {
                    path: path.clone(),
                    allow_empty: false,
                });
                out.push(Property::RegistryInvariants { path });
            }
        }
        out.push(Property::NoTempFiles);
        out
    }
}
