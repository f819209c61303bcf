//! The properties an exploration checks, by stable name.

use std::fmt;

/// A property of every execution. Some are checked after every step,
/// some at the end of the execution; see each variant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Property {
    /// `mutual-exclusion`: no two processes are inside a critical section
    /// at once (checked when a process enters one).
    MutualExclusion,
    /// `json-parses`: after every step, the raw contents of the file at
    /// `path` (what the page cache holds, whether or not any process could
    /// read it then), when it exists (and, with `allow_empty`, is not
    /// empty), parse as JSON. It flags a torn in-place rewrite even when
    /// every reader takes a lock that keeps it from ever seeing one: for
    /// what readers see, check [`Property::JsonReadParses`].
    JsonParses {
        /// The watched file.
        path: String,
        /// Whether an empty file is accepted (a file just created with
        /// `O_EXCL` is empty until its first write).
        allow_empty: bool,
    },
    /// `json-read-parses`: every whole-file read of the file at `path`
    /// that a process made returned bytes that parse as JSON: the
    /// reader's view. Reads are reported by [`crate::Op::Read`] and
    /// [`crate::Op::ReadLocked`], and by a user's process through
    /// [`crate::Ctx::read_file`].
    JsonReadParses {
        /// The file read.
        path: String,
    },
    /// `lock-file-present`: after every step, while some process is inside
    /// its critical section, the lock file at `path` exists.
    LockFilePresent {
        /// The lock file.
        path: String,
    },
    /// `no-temp-files`: at the end, no file whose name ends in `.tmp` is
    /// left anywhere.
    NoTempFiles,
    /// `no-lost-updates`: at the end, the counter the critical sections
    /// increment equals the number of increments that were acknowledged.
    NoLostUpdates,
    /// `registry-invariants`: at the end, the registry at `path` parses,
    /// keeps its invariants (total_spawned = agents, active_count = agents
    /// in active states, unique ids) and lists every acknowledged add.
    RegistryInvariants {
        /// The registry file.
        path: String,
    },
    /// `taskboard-intact`: at the end, the task board at `path` parses,
    /// holds every task once, no task is assigned to two agents, and every
    /// acknowledged assignment is on it.
    TaskBoardIntact {
        /// The board file.
        path: String,
    },
    /// `claimed-once`: no task is claimed by two processes.
    ClaimedOnce,
    /// `deadlock-free`: never is every live process blocked. Always
    /// checked.
    DeadlockFree,
    /// `bounded-liveness`: a waiting process takes a free lock within
    /// `steps` steps of the simulation.
    BoundedLiveness {
        /// How many steps a free lock may stay untaken while someone waits.
        steps: u64,
    },
    /// `durable-after-power-loss`: at the end, every state a power loss
    /// could leave (under the scenario's profile) has a file at `path` that
    /// parses, and, for a registry, lists every acknowledged add.
    DurableAfterPowerLoss {
        /// The file that must survive.
        path: String,
    },
    /// `linearizable`: at the end, the history of the protocol operations
    /// the processes ran (recorded by process, with crashed processes'
    /// pending operations as unknown outcomes) is linearizable against the
    /// protocol family's sequential spec: a mutex for lock files and
    /// flock, a lease with fencing tokens for fenced lock files, a
    /// claim-once set, seed 003's registry, the task board. Checking it
    /// turns history recording on. The violation's detail gives the
    /// checker's longest linearizable prefix, the operations that cannot
    /// be placed next, and the history.
    Linearizable,
    /// `assertion`: a check a user's process made itself
    /// ([`crate::Ctx::fail`]) held. Always checked.
    Assertion,
    /// `no-panic`: no process panicked (a failed assertion in a user's
    /// process, or an error it did not expect). Always checked.
    NoPanic,
}

impl Property {
    /// The stable name, as model files and reports write it (one of
    /// [`Property::FORMS`]).
    pub fn name(&self) -> &'static str {
        match self {
            Property::MutualExclusion => "mutual-exclusion",
            Property::JsonParses { .. } => "json-parses",
            Property::JsonReadParses { .. } => "json-read-parses",
            Property::LockFilePresent { .. } => "lock-file-present",
            Property::NoTempFiles => "no-temp-files",
            Property::NoLostUpdates => "no-lost-updates",
            Property::RegistryInvariants { .. } => "registry-invariants",
            Property::TaskBoardIntact { .. } => "taskboard-intact",
            Property::ClaimedOnce => "claimed-once",
            Property::DeadlockFree => "deadlock-free",
            Property::BoundedLiveness { .. } => "bounded-liveness",
            Property::DurableAfterPowerLoss { .. } => "durable-after-power-loss",
            Property::Linearizable => "linearizable",
            Property::Assertion => "assertion",
            Property::NoPanic => "no-panic",
        }
    }

    /// Every property, by name, with what it takes: the one list that
    /// model files, `lockcheck list` and [`Property::NAMES`] read.
    pub const FORMS: [(&'static str, PropertyArg); 15] = [
        ("mutual-exclusion", PropertyArg::None),
        ("json-parses", PropertyArg::Path),
        ("json-read-parses", PropertyArg::Path),
        ("lock-file-present", PropertyArg::Path),
        ("no-temp-files", PropertyArg::None),
        ("no-lost-updates", PropertyArg::None),
        ("registry-invariants", PropertyArg::Path),
        ("taskboard-intact", PropertyArg::Path),
        ("claimed-once", PropertyArg::None),
        ("deadlock-free", PropertyArg::None),
        ("bounded-liveness", PropertyArg::Steps),
        ("durable-after-power-loss", PropertyArg::Path),
        ("linearizable", PropertyArg::None),
        ("assertion", PropertyArg::None),
        ("no-panic", PropertyArg::None),
    ];

    /// Every property name, for `lockcheck list` and model files.
    pub const NAMES: [&'static str; 15] = {
        let mut names = [""; 15];
        let mut i = 0;
        while i < names.len() {
            names[i] = Property::FORMS[i].0;
            i += 1;
        }
        names
    };

    /// The property of this name (one of [`Property::FORMS`]), given what
    /// it takes: a path for those that watch a file, a number of steps for
    /// `bounded-liveness`. `None` for an unknown name or a missing value.
    pub fn from_parts(name: &str, path: Option<String>, steps: Option<u64>) -> Option<Property> {
        let path = || path.clone();
        Some(match name {
            "mutual-exclusion" => Property::MutualExclusion,
            "json-parses" => Property::JsonParses {
                path: path()?,
                allow_empty: false,
            },
            "json-read-parses" => Property::JsonReadParses { path: path()? },
            "lock-file-present" => Property::LockFilePresent { path: path()? },
            "no-temp-files" => Property::NoTempFiles,
            "no-lost-updates" => Property::NoLostUpdates,
            "registry-invariants" => Property::RegistryInvariants { path: path()? },
            "taskboard-intact" => Property::TaskBoardIntact { path: path()? },
            "claimed-once" => Property::ClaimedOnce,
            "deadlock-free" => Property::DeadlockFree,
            "bounded-liveness" => Property::BoundedLiveness { steps: steps? },
            "durable-after-power-loss" => Property::DurableAfterPowerLoss { path: path()? },
            "linearizable" => Property::Linearizable,
            "assertion" => Property::Assertion,
            "no-panic" => Property::NoPanic,
            _ => return None,
        })
    }
}

/// What a property takes after its name in a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PropertyArg {
    /// Nothing.
    None,
    /// The file it watches (`[PATH]`: the protocol's own by default).
    Path,
    /// A number of steps.
    Steps,
}

impl PropertyArg {
    /// How a model file writes it after the name: `""`, `" [PATH]"`,
    /// `" STEPS"`.
    pub fn usage(self) -> &'static str {
        match self {
            PropertyArg::None => "",
            PropertyArg::Path => " [PATH]",
            PropertyArg::Steps => " STEPS",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Property::JsonParses { path, .. }
            | Property::JsonReadParses { path }
            | Property::LockFilePresent { path }
            | Property::RegistryInvariants { path }
            | Property::TaskBoardIntact { path }
            | Property::DurableAfterPowerLoss { path } => write!(f, "{}({path})", self.name()),
            Property::BoundedLiveness { steps } => write!(f, "{}({steps})", self.name()),
            _ => f.write_str(self.name()),
        }
    }
}

/// A property that failed, where, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// What failed.
    pub property: Property,
    /// The step after which it was seen (`None`: at the end).
    pub step: Option<u64>,
    /// What was seen.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violated", self.property)?;
        if let Some(step) = self.step {
            write!(f, " after step {step}")?;
        } else {
            write!(f, " at the end")?;
        }
        write!(f, ": {}", self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_is_built_from_its_name_and_named_back() {
        for (name, argument) in Property::FORMS {
            let p = Property::from_parts(name, Some("f".into()), Some(3))
                .unwrap_or_else(|| panic!("{name} builds"));
            assert_eq!(p.name(), name);
            if argument != PropertyArg::None {
                assert_eq!(Property::from_parts(name, None, None), None, "{name}");
            }
        }
        assert_eq!(Property::NAMES.len(), Property::FORMS.len());
        assert_eq!(Property::from_parts("fast", None, None), None);
    }
}
