//! The task board document: seed 000's `working_tasks.json` (a list of
//! tasks) or seed 002's `state.todo2.json` (`{"todos": [...]}`), and the
//! pure rules of the operations on it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who a task is assigned to: seed 002's `{"name": ..., "type": ...}`,
/// with its optional `hostname` and `assigned_by`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// The agent's or host's name.
    pub name: String,
    /// `"agent"` or `"host"` in the seed.
    #[serde(rename = "type")]
    pub kind: String,
    /// The host, for host assignees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Who made the assignment (e.g. `"nightly_automation"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_by: Option<String>,
}

impl Assignee {
    /// An `agent` named `name`.
    pub fn agent(name: &str) -> Assignee {
        Assignee {
            name: name.to_string(),
            kind: "agent".to_string(),
            hostname: None,
            assigned_by: None,
        }
    }

    /// The seed's `type:name` label ("Task already assigned to
    /// agent:name").
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// One task of the board. Fields the model does not know are kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The task id, e.g. `"T-123"`.
    pub id: String,
    /// Seed 000's `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Seed 002's `assignee`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Assignee>,
    /// Seed 000's `updated_at` (`time.time()`: seconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<f64>,
    /// Every other field, as read.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Task {
    /// An unassigned task with this id and status.
    pub fn new(id: &str, status: &str) -> Task {
        Task {
            id: id.to_string(),
            status: Some(status.to_string()),
            assignee: None,
            updated_at: None,
            extra: Map::new(),
        }
    }
}

/// A task board file's content, in either seed's shape; written back in the
/// shape it was read in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Board {
    /// Seed 000's `working_tasks.json`: a JSON list of tasks (the default
    /// when the file is missing: `safe_json_read(..., default=[])`).
    List(Vec<Task>),
    /// Seed 002's `state.todo2.json`: `{"todos": [...]}` plus other fields.
    Todo2 {
        /// The tasks.
        todos: Vec<Task>,
        /// Every other top-level field, as read.
        #[serde(flatten)]
        rest: Map<String, Value>,
    },
}

impl Default for Board {
    fn default() -> Board {
        Board::List(Vec::new())
    }
}

/// Why a task was not assigned (seed 002's error strings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotAssigned {
    /// "Task already assigned to agent:name".
    AlreadyAssigned {
        /// The current assignee's `type:name`.
        existing_assignee: String,
    },
    /// "Task not found".
    NotFound,
    /// "Lock timeout": another process held the lock for the whole timeout.
    LockTimeout {
        /// How long this process waited, by its own clock.
        waited_ms: u64,
    },
}

impl Board {
    /// A seed 002 board holding these tasks.
    pub fn todo2(tasks: Vec<Task>) -> Board {
        Board::Todo2 {
            todos: tasks,
            rest: Map::new(),
        }
    }

    /// The tasks, in order.
    pub fn tasks(&self) -> &[Task] {
        match self {
            Board::List(tasks) | Board::Todo2 { todos: tasks, .. } => tasks,
        }
    }

    /// The tasks, to change.
    pub fn tasks_mut(&mut self) -> &mut Vec<Task> {
        match self {
            Board::List(tasks) | Board::Todo2 { todos: tasks, .. } => tasks,
        }
    }

    /// The first task with this id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks().iter().find(|t| t.id == id)
    }

    /// Seed 000's loop: sets the first matching task's `status` and
    /// `updated_at`; whether it was found.
    pub fn update_status(&mut self, id: &str, status: &str, now_secs: f64) -> bool {
        match self.tasks_mut().iter_mut().find(|t| t.id == id) {
            Some(task) => {
                task.status = Some(status.to_string());
                task.updated_at = Some(now_secs);
                true
            }
            None => false,
        }
    }

    /// Seed 002's Pattern 3: assigns the task if it has no assignee.
    pub fn assign(&mut self, id: &str, assignee: &Assignee) -> Result<(), NotAssigned> {
        let task = self.tasks_mut().iter_mut().find(|t| t.id == id);
        let task = task.ok_or(NotAssigned::NotFound)?;
        if let Some(existing) = &task.assignee {
            let existing_assignee = existing.label();
            return Err(NotAssigned::AlreadyAssigned { existing_assignee });
        }
        task.assignee = Some(assignee.clone());
        Ok(())
    }
}
