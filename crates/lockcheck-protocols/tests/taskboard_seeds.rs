//! Seed 000's task board update and seed 002's task assignment: concurrent
//! agents on SimFs and on a real directory, and shuttle explorations that
//! find the seed's lock-granularity flaw (`taskboard/task-lock`) and do not
//! find it in the fix (`taskboard/board-lock`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use lockcheck_fs::sync::ShuttleRuntime;
use lockcheck_fs::{Clock, Fs, Process, RealFs, SimConfig, SimFs};
use lockcheck_protocols::flock_lock::{Acquire, FlockLock, Release};
use lockcheck_protocols::history::{EventKind, History, NoHistory};
use lockcheck_protocols::taskboard::{
    ASSIGN_TIMEOUT, Assignee, BatchAssign, Board, CheckAndAssign, LockScope, NotAssigned, Task,
    TaskBoard, Violation, violations,
};
use serde_json::json;
use shuttle::scheduler::PctScheduler;
use shuttle::{Config, Runner};

const STATE: &str = ".todo2/state.todo2.json";
const AGENTS: usize = 4;

/// `T-0` (everyone wants it), `T-1..=T-4` (one per agent), `T-5`, `T-6`
/// (everyone batch-assigns them).
fn task_ids() -> Vec<String> {
    (0..=AGENTS + 2).map(|i| format!("T-{i}")).collect()
}

fn initial_board() -> Board {
    Board::todo2(task_ids().iter().map(|id| Task::new(id, "todo")).collect())
}

/// Agent `i`'s work: seed 000's status update of its own task, seed 002's
/// check-and-assign of it, an assignment of the shared `T-0`, a batch of
/// `T-5`, `T-6`; after each step the board file parses and holds every
/// task (safe_json's atomic replace).
fn agent_work(p: &impl Process, board: &TaskBoard, history: &History, i: usize) {
    let (own, me) = (format!("T-{i}"), Assignee::agent(&format!("agent-{i}")));
    let ids = task_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let check = |step: &str| {
        let bytes = p.read_file(STATE).unwrap();
        let found = violations(&bytes, &ids, &[]);
        assert!(
            found.is_empty(),
            "{} after {step}: {found:?}",
            board.scope()
        );
    };
    assert!(
        board
            .update_task_board(p, history, &own, "in_progress")
            .unwrap()
    );
    check("update");
    let got = board.check_and_assign(p, history, &own, &me).unwrap();
    check("check_and_assign");
    if board.scope().is_correct() {
        assert!(got.assigned, "{got:?}");
    }
    board.assign_task(p, history, "T-0", &me).unwrap().ok();
    check("assign");
    board
        .batch_assign(p, history, &["T-5", "T-6"], &me)
        .unwrap();
    check("batch_assign");
}

/// After the agents: the board parses and holds every task once; with the
/// fix, every acknowledged assignment is on it, no task has two owners and
/// each shared task went to one agent.
fn check_final(p: &impl Process, board: &TaskBoard, history: &History) {
    let ids = task_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let bytes = p.read_file(STATE).unwrap();
    let found = violations(&bytes, &ids, &history.events());
    let structural: Vec<_> = found
        .iter()
        .filter(|v| {
            matches!(
                v,
                Violation::InvalidJson(_)
                    | Violation::TaskLost { .. }
                    | Violation::DuplicateTask { .. }
            )
        })
        .collect();
    assert!(structural.is_empty(), "{}: {structural:?}", board.scope());
    if board.scope().is_correct() {
        assert!(found.is_empty(), "{}: {found:?}", board.scope());
        let b = board.read(p).unwrap();
        assert!(b.tasks().iter().all(|t| t.assignee.is_some()));
        assert!(
            b.tasks()[1..=AGENTS]
                .iter()
                .all(|t| t.status.as_deref() == Some("in_progress"))
        );
        let oks = |op: &str| {
            let events = history.events();
            events
                .iter()
                .filter(|e| e.op == op && e.kind == EventKind::Ok)
                .count()
        };
        assert_eq!(oks("taskboard/assign"), 1, "T-0 goes to one agent");
        assert_eq!(oks("taskboard/check_and_assign"), AGENTS);
        assert_eq!(oks("taskboard/update"), AGENTS);
    }
}

fn run_agents<P: Process + 'static>(procs: Vec<P>, board: &TaskBoard) -> Arc<History> {
    let history = Arc::new(History::new());
    let agents: Vec<_> = procs
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let (board, history) = (board.clone(), history.clone());
            // The handle moves into the thread and is dropped when it ends.
            thread::spawn(move || agent_work(&p, &board, &history, i + 1))
        })
        .collect();
    for a in agents {
        a.join().unwrap();
    }
    history
}

#[test]
fn seeds_000_and_002_concurrent_updates_keep_the_board_valid_json_with_no_lost_task_on_simfs() {
    for scope in LockScope::ALL {
        for _round in 0..5 {
            let fs = SimFs::new();
            let board = TaskBoard::new(STATE, scope);
            board.create(&fs.spawn(), &initial_board()).unwrap();
            let procs = (0..AGENTS).map(|_| fs.spawn()).collect();
            let history = run_agents(procs, &board);
            check_final(&fs.spawn(), &board, &history);
        }
    }
}

#[test]
fn seeds_000_and_002_concurrent_updates_keep_the_board_valid_json_with_no_lost_task_on_a_real_directory()
 {
    for scope in LockScope::ALL {
        for _round in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let p = RealFs::new(dir.path()).unwrap();
            let board = TaskBoard::new(STATE, scope).with_mode(Acquire::Block);
            board.create(&p, &initial_board()).unwrap();
            let procs = (0..AGENTS)
                .map(|_| RealFs::new(dir.path()).unwrap())
                .collect();
            let history = run_agents(procs, &board);
            check_final(&p, &board, &history);
        }
    }
}

/// Agent 1 batch-assigns `[T-2, T-1]` while agent 2 assigns `T-1` and agent
/// 3 assigns `T-3`, explored with PCT (seed 7, depth 3, `schedules`
/// schedules), locks taken blocking (so a deadlock would panic); the
/// violations found in any schedule.
fn explore(scope: LockScope, schedules: usize) -> BTreeSet<Violation> {
    let found = Arc::new(Mutex::new(BTreeSet::new()));
    let out = found.clone();
    let runner = Runner::new(PctScheduler::new_from_seed(7, 3, schedules), Config::new());
    let executions = runner.run(move || {
        let fs = SimFs::<ShuttleRuntime>::build(SimConfig {
            trace: false,
            ..SimConfig::default()
        });
        let board = TaskBoard::new(STATE, scope).with_mode(Acquire::Block);
        let tasks = ["T-1", "T-2", "T-3"].map(|id| Task::new(id, "todo"));
        board
            .create(&fs.spawn(), &Board::todo2(tasks.to_vec()))
            .unwrap();
        let history = Arc::new(History::new());
        let agents: Vec<_> = (1..=3)
            .map(|i| {
                let (p, board, history) = (fs.spawn(), board.clone(), history.clone());
                shuttle::thread::spawn(move || {
                    let me = Assignee::agent(&format!("agent-{i}"));
                    // Agent 2 may find T-1 taken by the batch: not an error.
                    match i {
                        1 => board
                            .batch_assign(&p, &*history, &["T-2", "T-1"], &me)
                            .map(drop),
                        2 => board.assign_task(&p, &*history, "T-1", &me).map(drop),
                        _ => board.assign_task(&p, &*history, "T-3", &me).map(drop),
                    }
                    .unwrap();
                })
            })
            .collect();
        for a in agents {
            a.join().unwrap();
        }
        let bytes = fs.spawn().read_file(STATE).unwrap();
        let found = violations(&bytes, &["T-1", "T-2", "T-3"], &history.events());
        out.lock().unwrap().extend(found);
    });
    assert_eq!(executions, schedules, "{scope}");
    found.lock().unwrap().clone()
}

/// Seed 002's granularity: the task lock of `T-1` or `T-3` and the state
/// file lock of the batch exclude nothing of each other, yet each writes
/// the whole board. So both agent 1 (batch) and agent 2 are told they own
/// `T-1`, and a later write drops an acknowledged assignment.
#[test]
fn task_level_locks_let_a_batch_and_an_assignment_both_take_one_task_and_lose_updates() {
    let found = explore(LockScope::TaskLock, 200);
    let double = Violation::DoubleAssigned {
        task: "T-1".to_string(),
        assignees: vec!["agent:agent-1".to_string(), "agent:agent-2".to_string()],
    };
    assert!(found.contains(&double), "{found:?}");
    let lost_t3 = found
        .iter()
        .any(|v| matches!(v, Violation::AssignmentLost { task, board: None, .. } if task == "T-3"));
    assert!(lost_t3, "T-3's assignment is overwritten: {found:?}");
    assert!(!found.iter().any(|v| matches!(v, Violation::InvalidJson(_))));
}

#[test]
fn one_board_lock_keeps_every_assignment_and_one_owner_per_task_in_1000_schedules() {
    let found = explore(LockScope::BoardLock, 1000);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn task_then_board_lock_order_keeps_every_assignment_without_deadlock_in_1000_schedules() {
    let found = explore(LockScope::TaskThenBoard, 1000);
    assert!(found.is_empty(), "{found:?}");
}

/// Two batches over the same tasks in opposite orders and an assignment,
/// all blocking on `taskboard/task-then-board`'s locks: sorting the task
/// locks means no schedule deadlocks (SimFs would panic with `lockcheck:
/// deadlock:`), and each task has one owner.
#[test]
fn task_then_board_takes_task_locks_in_one_global_order_so_opposite_batches_never_deadlock() {
    let runner = Runner::new(PctScheduler::new_from_seed(7, 3, 1000), Config::new());
    let executions = runner.run(|| {
        let fs = SimFs::<ShuttleRuntime>::build(SimConfig {
            trace: false,
            ..SimConfig::default()
        });
        let board = TaskBoard::new(STATE, LockScope::TaskThenBoard).with_mode(Acquire::Block);
        let tasks = ["T-1", "T-2"].map(|id| Task::new(id, "todo"));
        board
            .create(&fs.spawn(), &Board::todo2(tasks.to_vec()))
            .unwrap();
        let history = Arc::new(History::new());
        let orders: [&[&str]; 3] = [&["T-1", "T-2"], &["T-2", "T-1"], &["T-2"]];
        let agents: Vec<_> = orders
            .into_iter()
            .enumerate()
            .map(|(i, ids)| {
                let (p, board, history) = (fs.spawn(), board.clone(), history.clone());
                shuttle::thread::spawn(move || {
                    let me = Assignee::agent(&format!("agent-{i}"));
                    board.batch_assign(&p, &*history, ids, &me).unwrap();
                })
            })
            .collect();
        for a in agents {
            a.join().unwrap();
        }
        let bytes = fs.spawn().read_file(STATE).unwrap();
        let found = violations(&bytes, &["T-1", "T-2"], &history.events());
        assert!(found.is_empty(), "{found:?}");
    });
    assert_eq!(executions, 1000);
}

#[test]
fn variants_have_stable_names() {
    let names: Vec<_> = LockScope::ALL.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        names,
        [
            "taskboard/task-lock",
            "taskboard/board-lock",
            "taskboard/task-then-board"
        ]
    );
    for s in LockScope::ALL {
        assert_eq!(s.name().parse::<LockScope>().unwrap(), s);
    }
    let err = "taskboard/none".parse::<LockScope>().unwrap_err();
    assert!(err.to_string().contains("taskboard/board-lock"), "{err}");
}

#[test]
fn lock_files_are_where_the_seeds_put_them() {
    let board = TaskBoard::new(STATE, LockScope::TaskLock);
    let path = |p: std::path::PathBuf| p.to_string_lossy().into_owned();
    assert_eq!(
        path(board.board_lock_path()),
        ".todo2/state.todo2.json.lock"
    );
    assert_eq!(
        path(board.task_lock_path("T-123")),
        ".todo2/locks/task_T-123.lock"
    );
    let fs = SimFs::new();
    let p = fs.spawn();
    board.create(&p, &initial_board()).unwrap();
    board
        .assign_task(&p, &NoHistory, "T-1", &Assignee::agent("a"))
        .unwrap()
        .unwrap();
    board
        .batch_assign(&p, &NoHistory, &["T-2"], &Assignee::agent("a"))
        .unwrap();
    assert_eq!(p.read_dir(".todo2/locks").unwrap(), ["task_T-1.lock"]);
    assert_eq!(
        p.read_dir(".todo2").unwrap(),
        ["locks", "state.todo2.json", "state.todo2.json.lock"]
    );
}

#[test]
fn seed_000_update_writes_the_list_board_back_even_when_the_task_is_missing() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let path = "runtime/agent_comms/project_boards/working_tasks.json";
    let board = TaskBoard::new(path, LockScope::BoardLock);
    let history = History::new();
    // A missing board reads as `[]`, as `safe_json_read(..., default=[])`.
    assert!(
        !board
            .update_task_board(&p, &history, "T-1", "done")
            .unwrap()
    );
    assert_eq!(p.read_file(path).unwrap(), b"[]\n");
    board
        .create(&p, &Board::List(vec![Task::new("T-1", "todo")]))
        .unwrap();
    fs.advance(Duration::from_secs(2));
    assert!(
        board
            .update_task_board(&p, &history, "T-1", "done")
            .unwrap()
    );
    let b = board.read(&p).unwrap();
    let t = b.task("T-1").unwrap();
    assert_eq!(t.status.as_deref(), Some("done"));
    assert_eq!(
        t.updated_at,
        Some(1_735_689_602.0),
        "time.time() in virtual time"
    );
    assert!(matches!(b, Board::List(_)), "written back as a list");
    let events = history.events();
    assert_eq!(events[1].value, json!({"task": "T-1", "found": false}));
    assert_eq!(events[3].op, "taskboard/update");
}

#[test]
fn seed_002_results_say_already_assigned_not_found_and_what_the_batch_did() {
    let fs = SimFs::new();
    let p = fs.spawn();
    let board = TaskBoard::new(STATE, LockScope::TaskLock);
    board.create(&p, &initial_board()).unwrap();
    let history = History::new();
    let (one, two) = (Assignee::agent("agent-1"), Assignee::agent("agent-2"));
    let first = board.check_and_assign(&p, &history, "T-1", &one).unwrap();
    assert_eq!(
        first,
        CheckAndAssign {
            assigned: true,
            existing_assignee: None,
            reason: None
        }
    );
    let second = board.check_and_assign(&p, &history, "T-1", &two).unwrap();
    assert_eq!(second.existing_assignee.as_deref(), Some("agent:agent-1"));
    assert_eq!(second.reason.as_deref(), Some("already assigned"));
    let missing = board.assign_task(&p, &history, "T-9", &two).unwrap();
    assert_eq!(missing, Err(NotAssigned::NotFound));
    let batch = board
        .batch_assign(&p, &history, &["T-1", "T-2"], &two)
        .unwrap();
    let already = NotAssigned::AlreadyAssigned {
        existing_assignee: "agent:agent-1".into(),
    };
    assert_eq!(
        batch,
        BatchAssign {
            assigned: vec!["T-2".into()],
            failed: vec![("T-1".into(), already)]
        }
    );
    let events = history.events();
    assert_eq!(events[0].value["variant"], "taskboard/task-lock");
    assert_eq!(
        events[3].value,
        json!({"task": "T-1", "reason": "already_assigned",
                                       "existing_assignee": "agent:agent-1"})
    );
    assert_eq!(
        events[5].value,
        json!({"task": "T-9", "reason": "not_found"})
    );
    let ids = task_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let bytes = p.read_file(STATE).unwrap();
    assert!(violations(&bytes, &ids, &events).is_empty());
}

#[test]
fn a_held_task_lock_gives_lock_timeout_after_the_seeds_5_seconds_of_virtual_time() {
    let fs = SimFs::new();
    let (holder, agent) = (fs.spawn(), fs.spawn());
    let board = TaskBoard::new(STATE, LockScope::TaskLock);
    board.create(&agent, &initial_board()).unwrap();
    let (held, is_held) = mpsc::channel();
    let stuck = thread::spawn(move || {
        holder.mkdir(".todo2/locks").unwrap();
        let lock = FlockLock::new(".todo2/locks", Release::KeepFile);
        let guard = lock.acquire(&holder, &NoHistory, "task_T-1").unwrap();
        held.send(()).unwrap();
        holder.sleep(Duration::from_secs(3600));
        guard.release(&holder, &NoHistory).unwrap();
    });
    is_held.recv().unwrap();
    let got = board
        .assign_task(&agent, &NoHistory, "T-1", &Assignee::agent("a"))
        .unwrap();
    assert_eq!(
        got,
        Err(NotAssigned::LockTimeout {
            waited_ms: ASSIGN_TIMEOUT.as_millis() as u64
        })
    );
    assert_eq!(fs.elapsed(), ASSIGN_TIMEOUT);
    drop(agent);
    stuck.join().unwrap();
}

#[test]
fn violations_name_a_corrupt_board_a_lost_task_and_a_duplicate() {
    let found = violations(b"{\"todos\": [", &["T-1"], &[]);
    assert!(
        matches!(found[..], [Violation::InvalidJson(_)]),
        "{found:?}"
    );
    let bytes = br#"[{"id": "T-1"}, {"id": "T-1"}]"#;
    let found = violations(bytes, &["T-1", "T-2"], &[]);
    assert_eq!(
        found,
        [
            Violation::TaskLost { task: "T-2".into() },
            Violation::DuplicateTask {
                task: "T-1".into(),
                count: 2
            },
        ]
    );
}
