//! A task board (seed 002's `atomic_assign_task` and `atomic_batch_assign`):
//! a task is assigned to an assignee only if it is unassigned.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// A task-board operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardInput {
    /// Assign `task` to `assignee` if it is unassigned.
    Assign {
        /// The task.
        task: String,
        /// Who gets it.
        assignee: String,
    },
    /// Assign each of `tasks` that is unassigned to `assignee`, atomically.
    AssignBatch {
        /// The tasks, in order.
        tasks: Vec<String>,
        /// Who gets them.
        assignee: String,
    },
    /// Read who has `task`.
    Read {
        /// The task.
        task: String,
    },
}

/// What a task-board operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardOutput {
    /// The task was assigned to the caller's assignee.
    Assigned,
    /// The task was already assigned, to this assignee.
    AlreadyAssigned(String),
    /// A batch: the tasks assigned and the ones that were already taken.
    Batch {
        /// Tasks assigned by this call, in request order.
        assigned: Vec<String>,
        /// Tasks that were already assigned, in request order.
        failed: Vec<String>,
    },
    /// Who has the task (`None`: unassigned).
    Assignee(Option<String>),
}

/// The board's specification. State: task to assignee, shared so that
/// cloning a state is cheap.
#[derive(Clone, Copy, Debug, Default)]
pub struct TaskBoardSpec;

/// The board: task to assignee.
pub type Board = Arc<BTreeMap<String, String>>;

impl Spec for TaskBoardSpec {
    type Input = BoardInput;
    type Output = BoardOutput;
    type State = Board;

    fn init(&self) -> Board {
        Arc::default()
    }

    fn interchangeable(&self, a: &BoardInput, b: &BoardInput) -> bool {
        a == b
    }

    fn step(
        &self,
        board: &Board,
        input: &BoardInput,
        output: Option<&BoardOutput>,
    ) -> Option<Board> {
        match input {
            BoardInput::Assign { task, assignee } => match (board.get(task), output) {
                (None, None | Some(BoardOutput::Assigned)) => {
                    let mut b = (**board).clone();
                    b.insert(task.clone(), assignee.clone());
                    Some(Arc::new(b))
                }
                (Some(_), None) => Some(board.clone()),
                (Some(who), Some(BoardOutput::AlreadyAssigned(w))) if who == w => {
                    Some(board.clone())
                }
                _ => None,
            },
            BoardInput::AssignBatch { tasks, assignee } => {
                let mut b = (**board).clone();
                let (mut assigned, mut failed) = (Vec::new(), Vec::new());
                for t in tasks {
                    if b.contains_key(t) {
                        failed.push(t.clone());
                    } else {
                        b.insert(t.clone(), assignee.clone());
                        assigned.push(t.clone());
                    }
                }
                match output {
                    None => Some(Arc::new(b)),
                    Some(BoardOutput::Batch {
                        assigned: a,
                        failed: f,
                    }) if *a == assigned && *f == failed => Some(Arc::new(b)),
                    _ => None,
                }
            }
            BoardInput::Read { task } => match output {
                None => Some(board.clone()),
                Some(BoardOutput::Assignee(who)) if who.as_ref() == board.get(task) => {
                    Some(board.clone())
                }
                _ => None,
            },
        }
    }
}
