//! Seeds 000 and 002's task board, explored: lock granularity (a lock per
//! task guarding one shared board file) and lock order (task, then board).

use lockcheck_explore::workloads::board;
use lockcheck_explore::{Op, Protocol, Scenario, Strategy};
use lockcheck_protocols::taskboard::LockScope;

/// 10,000 random then 10,000 PCT schedules from a fixed seed.
fn budget() -> Strategy {
    Strategy::standard(2)
}

fn assign(task: &str, agent: &str) -> Op {
    Op::Assign {
        task: task.into(),
        agent: agent.into(),
    }
}

fn set_status(task: &str, status: &str) -> Op {
    Op::SetStatus {
        task: task.into(),
        status: status.into(),
    }
}

#[test]
fn task_level_locks_lose_an_assignment_on_the_shared_board() {
    let report = board(LockScope::TaskLock).explore(budget()).unwrap();
    println!("{report}");
    report.assert_violates("taskboard-intact");
}

#[test]
fn one_board_lock_keeps_every_assignment() {
    let report = board(LockScope::BoardLock).explore(budget()).unwrap();
    println!("{report}");
    report.assert_safe();
}

#[test]
fn task_then_board_lock_order_keeps_every_assignment_and_never_deadlocks() {
    let contended = Scenario::protocol(
        "task-then-board",
        Protocol::TaskBoard {
            scope: LockScope::TaskThenBoard,
        },
    )
    .ops([assign("t1", "a"), assign("t2", "a")])
    .ops([assign("t2", "b"), assign("t1", "b")])
    .ops([set_status("t1", "in_progress")]);
    let report = contended.explore(budget()).unwrap();
    println!("{report}");
    report.assert_safe();
}
