//! One execution of a scenario: set up the files, start the processes and
//! the faults on the runtime's threads, watch every step, check the end.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;

use lockcheck_fs::sync::{LoomRuntime, Runtime, ShuttleRuntime};
use lockcheck_fs::{Fs, SimFs, SimProc, Snapshot, TraceEvent};
use lockcheck_protocols::claim::TaskPool;
use lockcheck_protocols::registry::{LockedRegistryFile, Registry, violations};
use serde_json::json;

use crate::ctx::Ctx;
use crate::ghost::{Ghost, step_monitor};
use crate::linearizable::OpHistory;
use lockcheck_protocols::taskboard::{Board, Task, TaskBoard, violations as taskboard_violations};

use crate::program::{
    COUNTER, FLOCK_DIR, Interpreter, Op, POOL_DIR, Protocol, REGISTRY, TASKBOARD,
};
use crate::property::{Property, Violation};
use crate::scenario::{Fault, Program, Scenario};
use crate::setup::SetupError;
use crate::verdict::Limit;

/// A runtime whose threads an execution can start and join.
pub trait Threads: Runtime {
    /// A started thread.
    type Handle: Send;
    /// Starts `f` on a new thread.
    fn spawn(f: impl FnOnce() + Send + 'static) -> Self::Handle;
    /// Waits for it.
    fn join(h: Self::Handle);
}

impl Threads for ShuttleRuntime {
    type Handle = shuttle::thread::JoinHandle<()>;
    fn spawn(f: impl FnOnce() + Send + 'static) -> Self::Handle {
        shuttle::thread::spawn(f)
    }
    fn join(h: Self::Handle) {
        let _ = h.join();
    }
}

impl Threads for LoomRuntime {
    type Handle = loom::thread::JoinHandle<()>;
    fn spawn(f: impl FnOnce() + Send + 'static) -> Self::Handle {
        loom::thread::spawn(f)
    }
    fn join(h: Self::Handle) {
        let _ = h.join();
    }
}

/// What one execution did.
#[derive(Debug)]
pub struct Execution {
    /// The first property violated, if any.
    pub violation: Option<Violation>,
    /// Every step, setup included (empty when run untraced).
    pub trace: Vec<TraceEvent>,
    /// How many steps it took, setup included.
    pub steps: u64,
    /// How many of the first steps were setup (not the processes').
    pub setup_steps: u64,
    /// The pid of each process, by number.
    pub pids: Vec<u32>,
    /// The protocol operations the processes ran, when the scenario
    /// records them ([`Scenario::record_history`], or `linearizable`
    /// checked) and runs a protocol.
    pub history: Option<OpHistory>,
    /// Per process: operations completed, critical sections entered.
    pub progress: Vec<(u64, u64)>,
    /// Which process took each step, hashed: tells interleavings apart.
    pub fingerprint: u64,
    /// The explorer's limit that cut this execution short, if one did.
    pub limit: Option<Limit>,
}

/// Runs `scenario` once on runtime `R`. Custom programs run only on
/// shuttle: `custom` turns the shuttle-typed body into one for `R`.
pub(crate) fn execute<R: Threads>(
    scenario: &Scenario,
    custom: fn(&Program, &Ctx<R>) -> bool,
    trace: bool,
) -> Execution {
    let fs = SimFs::<R>::build(scenario.sim_config(trace));
    if let Err(e) = setup(scenario, &fs) {
        // Unreachable: every way into an exploration checks the setup
        // first (`Scenario::check_setup`), and it is deterministic.
        panic!("lockcheck: the setup failed after its check passed: {e}");
    }
    // What the scenario starts from existed before the run: it is on disk.
    fs.sync_all();
    let ghost = Arc::new(Ghost::new(scenario.properties.clone()));
    if scenario.records_history()
        && let Some(protocol) = &scenario.protocol
    {
        ghost.record_ops(OpHistory::for_protocol(protocol, scenario.processes.len()));
    }
    let per_step: Vec<Property> = scenario.properties.clone();
    fs.observe(step_monitor(ghost.clone(), per_step));

    let procs: Vec<SimProc<R>> = scenario.processes.iter().map(|_| fs.spawn()).collect();
    let pids: Vec<u32> = procs.iter().map(lockcheck_fs::ProcessInfo::pid).collect();
    for fault in &scenario.faults {
        if let Fault::Skew { process, skew } = fault
            && let Some(pid) = pids.get(*process)
        {
            let _ = fs.skew_clock(*pid, *skew);
        }
    }
    let mut handles = Vec::new();
    let mut started = Vec::new();
    for (index, (proc, program)) in procs.into_iter().zip(&scenario.processes).enumerate() {
        let ctx = Ctx::new(index, proc, fs.clone(), ghost.clone());
        let start = match (program, &scenario.protocol) {
            (Program::Ops(ops), Some(protocol)) => {
                let mut it = Interpreter::new(protocol.clone(), ctx);
                let mut prelude = scenario.prelude.iter().filter(|(i, _)| *i == index);
                // No other process moves during a prelude: a wait for one
                // is a deadlock (reported), not a wait forever; a sleep
                // moves the clock.
                fs.run_alone(Some(pids[index]));
                let ran = catch_unwind(AssertUnwindSafe(|| prelude.all(|(_, ops)| it.run(ops))));
                fs.run_alone(None);
                match ran {
                    Ok(true) => Start::Ops(it, ops.clone()),
                    Ok(false) => Start::Dead,
                    Err(panic) => {
                        report_panic(&ghost, index, panic);
                        Start::Dead
                    }
                }
            }
            (Program::Ops(_), None) => {
                ctx.fail("a program of operations needs a protocol");
                Start::Dead
            }
            (custom, _) => {
                // A user's code runs none of its code after it is killed:
                // its next call unwinds (the runner ends it quietly).
                ctx.proc().unwind_when_killed();
                Start::Custom(ctx, custom.clone())
            }
        };
        started.push((index, start));
    }
    let setup_steps = fs.steps();
    // Process 0 runs on this thread (one thread fewer to start and join
    // per execution), after the others and the faults have started.
    let mut started = started.into_iter();
    let first = started.next();
    for (index, start) in started {
        let ghost = ghost.clone();
        handles.push(R::spawn(move || run_start(index, start, custom, &ghost)));
    }
    for fault in &scenario.faults {
        let (process, fs, ghost) = (fault_target(fault), fs.clone(), ghost.clone());
        let Some(&pid) = process.and_then(|i| pids.get(i)) else {
            continue;
        };
        let fault = fault.clone();
        handles.push(R::spawn(move || match fault {
            Fault::Crash { process } => {
                ghost.lock().crash(process);
                fs.crash(pid);
            }
            Fault::Pause { duration, .. } => {
                let _ = fs.pause(pid, duration);
            }
            Fault::Skew { .. } => {}
        }));
    }
    if let Some((index, start)) = first {
        run_start(index, start, custom, &ghost);
    }
    for h in handles {
        R::join(h);
    }
    if ghost.violation().is_none() && ghost.lock().limit.is_none() {
        end_checks(scenario, &fs, &ghost);
    }
    let (progress, fingerprint, limit) = {
        let mut g = ghost.lock();
        g.progress.resize(scenario.processes.len(), (0, 0));
        (
            std::mem::take(&mut g.progress),
            g.fingerprint,
            g.limit.clone(),
        )
    };
    Execution {
        violation: ghost.violation(),
        trace: if trace { fs.trace() } else { Vec::new() },
        steps: fs.steps(),
        setup_steps,
        pids,
        history: ghost.op_history(),
        progress,
        fingerprint,
        limit,
    }
}

/// Runs one process to its end, turning a panic into a violation.
fn run_start<R: Runtime>(
    index: usize,
    start: Start<R>,
    custom: fn(&Program, &Ctx<R>) -> bool,
    ghost: &Ghost,
) {
    let run = catch_unwind(AssertUnwindSafe(move || match start {
        Start::Ops(mut it, ops) => {
            it.run(&ops);
        }
        Start::Custom(ctx, program) => {
            if !custom(&program, &ctx) {
                ctx.fail("custom programs run under shuttle strategies only");
            }
        }
        Start::Dead => {}
    }));
    match run {
        Err(panic) if panic.is::<lockcheck_fs::Killed>() => {} // Killed: not its fault.
        Err(panic) => report_panic(ghost, index, panic),
        Ok(()) => {}
    }
}

/// How a process starts, once setup and preludes are done.
enum Start<R: Runtime> {
    /// Runs the rest of its operations.
    Ops(Interpreter<R>, Vec<Op>),
    /// Runs a closure.
    Custom(Ctx<R>, Program),
    /// Died in its prelude, or cannot run.
    Dead,
}

fn fault_target(fault: &Fault) -> Option<usize> {
    match fault {
        Fault::Crash { process } | Fault::Pause { process, .. } => Some(*process),
        Fault::Skew { .. } => None,
    }
}

fn report_panic(ghost: &Ghost, index: usize, panic: Box<dyn Any + Send>) {
    if ghost.lock().crashed.contains(&index) {
        // Killed by a fault: whatever ran after the kill (a destructor's
        // call, a call that did not unwind because another task was
        // unwinding on the same OS thread) is not the process's doing.
        return;
    }
    let message = crate::quiet::payload_message(&*panic);
    if let Some(limit) = Limit::from_panic(&message) {
        // The explorer's budget, not the process, failed: no violation.
        let mut g = ghost.lock();
        g.limit.get_or_insert(limit);
    } else if message.starts_with("lockcheck: deadlock") {
        ghost.violate(Property::DeadlockFree, message);
    } else {
        ghost.violate(
            Property::NoPanic,
            format!("process {index} panicked: {message}"),
        );
    }
}

/// Creates the scenario's files and what its protocol needs, as a setup
/// process that exits before the others start. [`Scenario::check_setup`]
/// runs it once before any exploration, so that what it cannot do is an
/// error naming the entry, not a panic in every execution.
pub(crate) fn setup<R: Runtime>(scenario: &Scenario, fs: &SimFs<R>) -> Result<(), SetupError> {
    if scenario.files.is_empty() && scenario.protocol.is_none() {
        return Ok(()); // Nothing to do: save the setup process's steps.
    }
    // Reaped when it exits (`reap_on_exit`): its pid answers no
    // kill(pid, 0) afterwards.
    let p = &fs.spawn();
    for (index, (path, contents)) in scenario.files.iter().enumerate() {
        if let Some(parent) = Path::new(path).parent() {
            mkdirs(p, parent);
        }
        p.write_file(path, contents)
            .map_err(|e| SetupError::file(scenario, p, index, &e))?;
    }
    let needs = |path: &str, e: &dyn std::fmt::Display| SetupError::needs(scenario, path, e);
    match &scenario.protocol {
        Some(Protocol::Flock { .. }) => {
            mkdirs(p, Path::new(FLOCK_DIR));
            match p.stat(FLOCK_DIR) {
                Ok(m) if m.kind == lockcheck_fs::FileKind::Dir => {}
                Ok(_) => return Err(needs(FLOCK_DIR, &"it is a file")),
                Err(e) => return Err(needs(FLOCK_DIR, &e)),
            }
        }
        Some(Protocol::Registry { method })
            if !scenario.files.iter().any(|(path, _)| path == REGISTRY) =>
        {
            LockedRegistryFile::new(REGISTRY, *method)
                .create(p, &Registry::default())
                .map_err(|e| needs(REGISTRY, &e))?;
        }
        Some(Protocol::TaskBoard { scope }) => {
            let tasks = board_tasks(scenario)
                .iter()
                .map(|id| Task::new(id, "pending"))
                .collect();
            TaskBoard::new(TASKBOARD, *scope)
                .create(p, &Board::todo2(tasks))
                .map_err(|e| needs(TASKBOARD, &e))?;
        }
        Some(Protocol::Claim { variant }) => {
            let pool = TaskPool::new(POOL_DIR, *variant);
            for program in &scenario.processes {
                let Program::Ops(ops) = program else { continue };
                for op in ops {
                    if let Op::Claim(task) = op
                        && !p.exists(pool.available_path(task)).unwrap_or(false)
                    {
                        pool.add_task(p, task, &json!({"id": task}))
                            .map_err(|e| needs(POOL_DIR, &e))?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

pub(crate) fn mkdirs(p: &impl Fs, dir: &Path) {
    let mut at = std::path::PathBuf::new();
    for part in dir.components() {
        at.push(part);
        let _ = p.mkdir(&at);
    }
}

/// The ids of the tasks a task-board scenario's programs name, sorted.
fn board_tasks(scenario: &Scenario) -> Vec<String> {
    let mut ids: Vec<String> = scenario
        .processes
        .iter()
        .filter_map(|p| match p {
            Program::Ops(ops) => Some(ops),
            Program::Custom(_) => None,
        })
        .flatten()
        .filter_map(|op| match op {
            Op::Assign { task, .. } | Op::SetStatus { task, .. } => Some(task.clone()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The properties checked once every process is done.
fn end_checks<R: Runtime>(scenario: &Scenario, fs: &SimFs<R>, ghost: &Ghost) {
    let at_end = |p: &Property| {
        !matches!(
            p,
            Property::MutualExclusion
                | Property::JsonParses { .. }
                | Property::JsonReadParses { .. }
                | Property::LockFilePresent { .. }
                | Property::ClaimedOnce
                | Property::BoundedLiveness { .. }
        )
    };
    if !scenario.properties.iter().any(at_end) {
        return;
    }
    let snap = fs.snapshot();
    let acked: Vec<String> = ghost
        .lock()
        .acked
        .iter()
        .map(|(_, id)| id.clone())
        .collect();
    for property in &scenario.properties {
        if let Some(detail) = end_check(property, scenario, fs, &snap, ghost, &acked) {
            let mut g = ghost.lock();
            g.record(Violation {
                property: property.clone(),
                step: None,
                detail,
            });
            return;
        }
    }
}

fn end_check<R: Runtime>(
    property: &Property,
    scenario: &Scenario,
    fs: &SimFs<R>,
    snap: &Snapshot,
    ghost: &Ghost,
    acked: &[String],
) -> Option<String> {
    match property {
        Property::NoTempFiles => {
            let left: Vec<&str> = snap.files().filter(|f| f.ends_with(".tmp")).collect();
            (!left.is_empty()).then(|| format!("temp files left behind: {}", left.join(", ")))
        }
        Property::NoLostUpdates => {
            let g = ghost.lock();
            let fenced = scenario.protocol.as_ref().is_some_and(Protocol::fenced);
            let (value, what) = if fenced {
                (g.fence.1, "the fenced resource")
            } else {
                let value = snap.file(COUNTER).map_or(0, crate::program::parse_counter);
                (value, "the counter file")
            };
            (value < g.increments).then(|| {
                format!(
                    "{what} holds {value} after {} acknowledged increments",
                    g.increments
                )
            })
        }
        Property::RegistryInvariants { path } => {
            registry_problem(snap.file(path), path, acked, "the registry")
        }
        Property::TaskBoardIntact { path } => {
            let Some(bytes) = snap.file(path) else {
                return Some(format!("{path} is missing"));
            };
            let ids = board_tasks(scenario);
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let events = ghost.history().events();
            taskboard_violations(bytes, &ids, &events)
                .first()
                .map(|v| format!("{path}: {v}"))
        }
        Property::Linearizable => linearizable_problem(scenario, ghost),
        Property::DurableAfterPowerLoss { path } => fs
            .crash_states()
            .take(MAX_CRASH_STATES)
            .enumerate()
            .find_map(|(i, state)| {
                let what = format!("after a power loss (crash state {i})");
                let bytes = state.file(path);
                if scenario
                    .protocol
                    .as_ref()
                    .is_some_and(|p| matches!(p, Protocol::Registry { .. }))
                {
                    registry_problem(bytes, path, acked, &what)
                } else {
                    json_problem(bytes, path, &what)
                }
            }),
        _ => None,
    }
}

/// The `linearizable` check at the end of an execution.
fn linearizable_problem(scenario: &Scenario, ghost: &Ghost) -> Option<String> {
    let Some(protocol) = &scenario.protocol else {
        return Some("only programs of protocol operations record a history to check".into());
    };
    if matches!(protocol, Protocol::Registry { .. })
        && scenario.files.iter().any(|(path, _)| path == REGISTRY)
    {
        return Some(format!(
            "the registry spec starts empty: {REGISTRY} must not be given as a starting file"
        ));
    }
    ghost.op_history()?.violation()
}

/// How many crash states `durable-after-power-loss` looks at, at most.
const MAX_CRASH_STATES: usize = 512;

fn json_problem(bytes: Option<&[u8]>, path: &str, what: &str) -> Option<String> {
    let Some(bytes) = bytes else {
        return Some(format!("{what}: {path} is missing"));
    };
    serde_json::from_slice::<serde_json::Value>(bytes)
        .err()
        .map(|e| {
            format!(
                "{what}: {path} does not parse ({e}): {}",
                lockcheck_fs::show_bytes(bytes)
            )
        })
}

fn registry_problem(
    bytes: Option<&[u8]>,
    path: &str,
    acked: &[String],
    what: &str,
) -> Option<String> {
    if let Some(problem) = json_problem(bytes, path, what) {
        return Some(problem);
    }
    let reg = match Registry::from_json(bytes.unwrap_or_default()) {
        Ok(reg) => reg,
        Err(e) => return Some(format!("{what}: {path} is not a registry: {e}")),
    };
    if let Some(v) = violations(&reg).first() {
        return Some(format!("{what}: {v}"));
    }
    let missing: Vec<&str> = acked
        .iter()
        .filter(|id| !reg.agents.iter().any(|a| &a.id == *id))
        .map(String::as_str)
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "{what}: acknowledged agents missing from {path}: {}",
            missing.join(", ")
        )
    })
}
