//! The task board's invariants: the file is valid JSON (seed 000:
//! "Corrupted JSON files"), no task is lost or duplicated ("Missing tasks
//! and data loss", "Duplicate entries"), and no task is assigned to two
//! agents (seed 002: "only one agent can claim a task at a time"), judged
//! against what the operations told their callers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Board;
use crate::history::{Event, EventKind};

/// One broken invariant of a task board.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, thiserror::Error,
)]
pub enum Violation {
    /// The file does not parse as a task board.
    #[error("the board is not a valid task board JSON document: {0}")]
    InvalidJson(String),
    /// A task that should be on the board is not.
    #[error("task {task:?} is missing from the board")]
    TaskLost {
        /// The task id.
        task: String,
    },
    /// Several tasks share one id.
    #[error("task {task:?} appears {count} times, expected once")]
    DuplicateTask {
        /// The shared id.
        task: String,
        /// How many tasks have it.
        count: usize,
    },
    /// Two or more assignees were each told they got the task.
    #[error("task {task:?} was assigned to {assignees:?}, expected at most one")]
    DoubleAssigned {
        /// The task id.
        task: String,
        /// Every `type:name` told it got the task, sorted.
        assignees: Vec<String>,
    },
    /// An assignee was told it got the task, but the board names another
    /// assignee or none (its update was lost).
    #[error("task {task:?} was assigned to {told:?}, but the board says {board:?}")]
    AssignmentLost {
        /// The task id.
        task: String,
        /// The `type:name` told it got the task.
        told: String,
        /// The board's assignee, `type:name`, if any.
        board: Option<String>,
    },
}

/// Who was told they got each task: every `Ok` assignment in `history`
/// (`taskboard/assign`, `taskboard/check_and_assign`,
/// `taskboard/batch_assign`), as task id to sorted `type:name`s.
pub fn acknowledged_assignments(history: &[Event]) -> BTreeMap<String, Vec<String>> {
    let mut told: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in history.iter().filter(|e| e.kind == EventKind::Ok) {
        let Some(assignee) = e.value["assignee"].as_str() else {
            continue;
        };
        let tasks: Vec<&str> = match e.op.as_str() {
            "taskboard/assign" | "taskboard/check_and_assign" => {
                e.value["task"].as_str().into_iter().collect()
            }
            "taskboard/batch_assign" => e.value["assigned"]
                .as_array()
                .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
                .unwrap_or_default(),
            _ => continue,
        };
        for task in tasks {
            told.entry(task.to_string())
                .or_default()
                .push(assignee.to_string());
        }
    }
    for names in told.values_mut() {
        names.sort();
        names.dedup();
    }
    told
}

/// Every broken invariant of the board file's bytes, given the ids that
/// must be on it and the history of the operations run on it. Empty when
/// the board is sound.
pub fn violations(bytes: &[u8], task_ids: &[&str], history: &[Event]) -> Vec<Violation> {
    let board: Board = match serde_json::from_slice(bytes) {
        Ok(board) => board,
        Err(e) => return vec![Violation::InvalidJson(e.to_string())],
    };
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for t in board.tasks() {
        *count.entry(&t.id).or_default() += 1;
    }
    let mut out: Vec<Violation> = task_ids
        .iter()
        .filter(|id| !count.contains_key(*id))
        .map(|id| Violation::TaskLost {
            task: id.to_string(),
        })
        .collect();
    out.extend(
        count
            .iter()
            .filter(|&(_, &n)| n > 1)
            .map(|(id, &n)| Violation::DuplicateTask {
                task: id.to_string(),
                count: n,
            }),
    );
    for (task, assignees) in acknowledged_assignments(history) {
        if assignees.len() > 1 {
            out.push(Violation::DoubleAssigned { task, assignees });
            continue;
        }
        let on_board = board
            .task(&task)
            .and_then(|t| t.assignee.as_ref())
            .map(|a| a.label());
        if on_board.as_deref() != Some(assignees[0].as_str()) {
            out.push(Violation::AssignmentLost {
                task,
                told: assignees[0].clone(),
                board: on_board,
            });
        }
    }
    out
}
