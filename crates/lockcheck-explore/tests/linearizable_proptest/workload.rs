//! proptest strategies for multi-process workloads: 2 to 5 processes, each
//! a short program of one protocol family's operations, faults, and the
//! seed of the shuttle random scheduler that runs the case.

use std::fmt;
use std::time::Duration;

use lockcheck_explore::{Fault, Op, Property, Protocol, REGISTRY, Report, Scenario};
use lockcheck_protocols::claim::ClaimVariant;
use lockcheck_protocols::flock_lock::Release;
use lockcheck_protocols::lockfile::Refresh;
use lockcheck_protocols::registry::WriteMethod;
use lockcheck_protocols::taskboard::LockScope;
use proptest::collection::vec;
use proptest::prelude::*;

/// A protocol family and its variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    LockFile(Refresh),
    Flock(Release),
    Claim(ClaimVariant),
    Registry(WriteMethod),
    TaskBoard(LockScope),
}

impl Family {
    /// The protocol a case runs: lock files go stale after 10 s and
    /// acquire tries 3 times, 5 s apart (so a contender can see a paused
    /// or crashed holder's lock go stale).
    pub fn protocol(self) -> Protocol {
        match self {
            Family::LockFile(variant) => Protocol::LockFile {
                variant,
                stale_after: Duration::from_secs(10),
                tries: 3,
                retry_delay: Duration::from_secs(5),
            },
            Family::Flock(release) => Protocol::flock(release),
            Family::Claim(variant) => Protocol::Claim { variant },
            Family::Registry(method) => Protocol::Registry { method },
            Family::TaskBoard(scope) => Protocol::TaskBoard { scope },
        }
    }

    fn is_lock(self) -> bool {
        matches!(self, Family::LockFile(_) | Family::Flock(_))
    }
}

/// An operation before it is given the ids of its process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Acquire,
    Refresh,
    Release,
    Critical,
    /// Sleep 6 s (lock files: lets a lease run out).
    Sleep,
    /// Claim task `t{0}`.
    Claim(u8),
    /// Add this process's next agent.
    Add,
    /// Set the status of agent `a{process}-0` (process modulo the
    /// count) to completed or terminated.
    Update(u8, u8),
    /// Assign task `t{0}` to this process's agent.
    Assign(u8),
    /// Move task `t{0}` on (seed 000's updater).
    SetStatus(u8),
}

/// A fault, by victim number (modulo the process count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// SIGKILL at a moment the scheduler picks.
    Crash(u8),
    /// Stopped for 15 s (longer than a lock file's lease).
    Pause(u8),
}

/// One generated case.
#[derive(Clone, PartialEq, Eq)]
pub struct Workload {
    pub family: Family,
    pub programs: Vec<Vec<Step>>,
    pub faults: Vec<FaultKind>,
    /// Check every state a power loss could leave (registry only).
    pub power_loss: bool,
    pub seed: u64,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} seed {}", self.family.protocol().name(), self.seed)?;
        for (i, ops) in self.ops().iter().enumerate() {
            writeln!(f, "  process {i}: {ops:?}")?;
        }
        write!(f, "  faults: {:?}", self.scenario_faults())?;
        if self.power_loss {
            write!(f, ", power loss")?;
        }
        Ok(())
    }
}

fn step(family: Family) -> BoxedStrategy<Step> {
    use Step::*;
    match family {
        Family::LockFile(_) => prop_oneof![
            3 => Just(Acquire),
            2 => Just(Critical),
            2 => Just(Release),
            1 => Just(Refresh),
            1 => Just(Sleep),
        ]
        .boxed(),
        Family::Flock(_) => prop_oneof![
            3 => Just(Acquire),
            2 => Just(Critical),
            2 => Just(Release),
        ]
        .boxed(),
        Family::Claim(_) => (0..2u8).prop_map(Claim).boxed(),
        Family::Registry(_) => prop_oneof![
            2 => Just(Add),
            1 => (0..5u8, 0..2u8).prop_map(|(p, s)| Update(p, s)),
        ]
        .boxed(),
        Family::TaskBoard(_) => prop_oneof![
            3 => (0..2u8).prop_map(Assign),
            1 => (0..2u8).prop_map(SetStatus),
        ]
        .boxed(),
    }
}

fn fault(family: Family) -> BoxedStrategy<FaultKind> {
    if family.is_lock() {
        prop_oneof![
            (0..5u8).prop_map(FaultKind::Crash),
            (0..5u8).prop_map(FaultKind::Pause),
        ]
        .boxed()
    } else {
        prop_oneof![
            2 => (0..5u8).prop_map(FaultKind::Crash),
            1 => (0..5u8).prop_map(FaultKind::Pause),
        ]
        .boxed()
    }
}

/// Workloads of `family`: 2 to 5 processes of 1 to 4 operations, up to 2
/// faults, power loss for registries, a schedule seed.
pub fn workloads(family: Family) -> impl Strategy<Value = Workload> {
    let program = vec(step(family), 1..=4);
    let power = matches!(family, Family::Registry(_));
    (
        vec(program, 2..=5),
        vec(fault(family), 0..=2),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(move |(programs, faults, power_loss, seed)| Workload {
            family,
            programs,
            faults,
            power_loss: power && power_loss,
            seed,
        })
}

// Not back from terminal to active: the seed then leaves `active_count`
// alone, which `registry-invariants` rejects (a sequential quirk of the
// seed's rules, not a race).
const STATUSES: [&str; 2] = ["completed", "terminated"];

impl Workload {
    /// Every process's operations, with ids: agents `a{process}-{k}`,
    /// tasks `t0`, `t1`. A lock program ends with a release (a process
    /// that exits holding a lock is what a crash models).
    pub fn ops(&self) -> Vec<Vec<Op>> {
        let n = self.programs.len();
        let lock = self.family.is_lock();
        self.programs
            .iter()
            .enumerate()
            .map(|(i, steps)| {
                let mut adds = 0;
                let tail = (lock && steps.last() != Some(&Step::Release)).then_some(Op::Release);
                steps
                    .iter()
                    .map(|s| match *s {
                        Step::Acquire => Op::Acquire,
                        Step::Refresh => Op::Refresh,
                        Step::Release => Op::Release,
                        Step::Critical => Op::Critical,
                        Step::Sleep => Op::Sleep(Duration::from_secs(6)),
                        Step::Claim(t) => Op::Claim(format!("t{t}")),
                        Step::Add => {
                            adds += 1;
                            Op::AddAgent(format!("a{i}-{}", adds - 1))
                        }
                        Step::Update(p, s) => Op::UpdateStatus {
                            id: format!("a{}-0", p as usize % n),
                            status: STATUSES[s as usize % 2].into(),
                        },
                        Step::Assign(t) => Op::Assign {
                            task: format!("t{t}"),
                            agent: format!("a{i}"),
                        },
                        Step::SetStatus(t) => Op::SetStatus {
                            task: format!("t{t}"),
                            status: "in_progress".into(),
                        },
                    })
                    .chain(tail)
                    .collect()
            })
            .collect()
    }

    /// The faults, victims taken modulo the process count.
    pub fn scenario_faults(&self) -> Vec<Fault> {
        let n = self.programs.len();
        self.faults
            .iter()
            .map(|f| match *f {
                FaultKind::Crash(p) => Fault::Crash {
                    process: p as usize % n,
                },
                FaultKind::Pause(p) => Fault::Pause {
                    process: p as usize % n,
                    duration: Duration::from_secs(15),
                },
            })
            .collect()
    }

    /// How many operations the programs run (a lock program's final
    /// release included).
    pub fn op_count(&self) -> usize {
        self.ops().iter().map(Vec::len).sum()
    }

    /// The case as a scenario checking `linearizable` and the monitors
    /// the protocol's variant promises under these faults: no
    /// `no-temp-files` when a process can crash (a killed writer leaves
    /// its temp file), no `mutual-exclusion` nor `lock-file-present` for
    /// fenced lock files (fencing promises safe data, not one believer).
    pub fn scenario(&self) -> Scenario {
        let protocol = self.family.protocol();
        let crashes = self.faults.iter().any(|f| matches!(f, FaultKind::Crash(_)));
        let fenced = protocol.fenced();
        let mut properties: Vec<Property> = protocol
            .default_properties()
            .into_iter()
            .filter(|p| !(crashes && *p == Property::NoTempFiles))
            .filter(|p| {
                !(fenced
                    && matches!(
                        p,
                        Property::MutualExclusion | Property::LockFilePresent { .. }
                    ))
            })
            .collect();
        properties.push(Property::Linearizable);
        if self.power_loss {
            properties.push(Property::DurableAfterPowerLoss {
                path: REGISTRY.into(),
            });
        }
        let mut scenario = Scenario::protocol(protocol.name(), protocol);
        for ops in self.ops() {
            scenario = scenario.ops(ops);
        }
        for fault in self.scenario_faults() {
            scenario = scenario.fault(fault);
        }
        scenario.only(properties)
    }

    /// Explores the case with `schedules` random schedules from its seed.
    pub fn run(&self, scenario: &Scenario, schedules: usize) -> Report {
        scenario
            .explore_exactly(lockcheck_explore::Strategy::Random {
                seed: self.seed,
                iterations: schedules,
            })
            .expect("a case has processes")
    }
}
