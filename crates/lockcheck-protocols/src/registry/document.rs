//! The registry JSON document of seed 003 and its five modifications, as
//! pure functions of the document: the sequential specification of the
//! locked operations.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::RegistryError;

/// An agent's `status` field. The seed names `running` (what a new agent
/// is, and what zombie detection looks for), `completed` and `terminated`
/// (the terminal ones); any other string is kept as [`AgentStatus::Other`]
/// and counts as active, so that `active_count` counts every agent that
/// has not reached a terminal status.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum AgentStatus {
    /// `"running"`: active.
    Running,
    /// `"completed"`: terminal; counted in `completed_count`.
    Completed,
    /// `"terminated"`: terminal (killed).
    Terminated,
    /// Any other status, active.
    Other(String),
}

impl AgentStatus {
    /// The status as stored in the file.
    pub fn as_str(&self) -> &str {
        match self {
            AgentStatus::Running => "running",
            AgentStatus::Completed => "completed",
            AgentStatus::Terminated => "terminated",
            AgentStatus::Other(s) => s,
        }
    }

    /// In the seed's `terminal_statuses`: `completed` or `terminated`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, AgentStatus::Completed | AgentStatus::Terminated)
    }

    /// In the seed's `active_statuses`: every status that is not terminal.
    pub fn is_active(&self) -> bool {
        !self.is_terminal()
    }
}

impl From<String> for AgentStatus {
    fn from(s: String) -> AgentStatus {
        match s.as_str() {
            "running" => AgentStatus::Running,
            "completed" => AgentStatus::Completed,
            "terminated" => AgentStatus::Terminated,
            _ => AgentStatus::Other(s),
        }
    }
}

impl From<&str> for AgentStatus {
    fn from(s: &str) -> AgentStatus {
        AgentStatus::from(s.to_string())
    }
}

impl From<AgentStatus> for String {
    fn from(s: AgentStatus) -> String {
        s.as_str().to_string()
    }
}

impl fmt::Display for AgentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of the registry's `agents` list: its `id`, its `status`, and
/// whatever other fields the caller stored (`type`, `completed_at`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's id; the seed requires ids to be unique.
    pub id: String,
    /// The agent's status.
    pub status: AgentStatus,
    /// Every other field, kept as it was.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Agent {
    /// An agent with no other fields.
    pub fn new(id: impl Into<String>, status: impl Into<AgentStatus>) -> Agent {
        Agent {
            id: id.into(),
            status: status.into(),
            fields: Map::new(),
        }
    }

    /// The same agent with one more field.
    pub fn with_field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Agent {
        self.set_field(key.into(), value.into());
        self
    }

    /// Sets one field as Python's `agent[key] = value` would: `id` and
    /// `status` set the agent's id and status (a non-string value for them
    /// is dropped: the document keeps one `id` and one `status`, both
    /// strings, so it always parses), anything else is stored as given.
    pub fn set_field(&mut self, key: String, value: Value) {
        match (key.as_str(), value) {
            ("id", Value::String(id)) => self.id = id,
            ("status", Value::String(status)) => self.status = AgentStatus::from(status),
            ("id" | "status", _) => {}
            (_, value) => {
                self.fields.insert(key, value);
            }
        }
    }
}

/// The registry file's document, with the seed's field names. Missing
/// counters read as 0 (the seed reads `registry.get('completed_count', 0)`);
/// unknown top-level fields are kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Registry {
    /// Every agent ever added, in order.
    pub agents: Vec<Agent>,
    /// How many agents were ever added.
    #[serde(default)]
    pub total_spawned: u64,
    /// How many agents are in an active status.
    #[serde(default)]
    pub active_count: u64,
    /// How many agents reached `completed`.
    #[serde(default)]
    pub completed_count: u64,
    /// Parent id to the ids of the agents it spawned.
    #[serde(default)]
    pub agent_hierarchy: BTreeMap<String, Vec<String>>,
    /// Any other top-level field, kept as it was.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The registry's three counters, as operations return them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// `total_spawned`.
    pub total_spawned: u64,
    /// `active_count`.
    pub active_count: u64,
    /// `completed_count`.
    pub completed_count: u64,
}

/// What [`Registry::update_agent_status`] returns: the seed's "previous
/// status and new counts".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// The agent's status before the update.
    pub previous_status: AgentStatus,
    /// The counters after the update.
    pub counts: Counts,
}

impl Registry {
    /// Parses a registry document.
    pub fn from_json(bytes: &[u8]) -> Result<Registry, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The document as the seed writes it: `json.dumps(registry, indent=2)`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a registry always serializes")
    }

    /// The three counters.
    pub fn counts(&self) -> Counts {
        Counts {
            total_spawned: self.total_spawned,
            active_count: self.active_count,
            completed_count: self.completed_count,
        }
    }

    /// Seed `atomic_add_agent`: appends the agent, increments
    /// `total_spawned` and `active_count`, and appends its id to
    /// `agent_hierarchy[parent]`. Like the seed, it checks neither that the
    /// id is new nor that the status is active: a duplicate id or a
    /// terminal status shows up in [`super::violations`].
    pub fn add_agent(&mut self, agent: Agent, parent: &str) -> Counts {
        let children = self.agent_hierarchy.entry(parent.to_string()).or_default();
        children.push(agent.id.clone());
        self.agents.push(agent);
        self.total_spawned += 1;
        self.active_count += 1;
        self.counts()
    }

    /// Seed `atomic_update_agent_status`: sets the status of the first agent
    /// with this id and merges `extra_fields` into it. Leaving an active
    /// status for a terminal one decrements `active_count` (not below 0),
    /// and that transition into `completed` increments `completed_count`.
    /// Any other transition (terminal to terminal, or terminal back to
    /// active) leaves the counters alone, as the seed does.
    pub fn update_agent_status(
        &mut self,
        agent_id: &str,
        status: AgentStatus,
        extra_fields: Map<String, Value>,
    ) -> Result<StatusChange, RegistryError> {
        let agent = self
            .agents
            .iter_mut()
            .find(|a| a.id == agent_id)
            .ok_or_else(|| RegistryError::AgentNotFound {
                id: agent_id.to_string(),
            })?;
        let previous_status = std::mem::replace(&mut agent.status, status);
        for (key, value) in extra_fields {
            agent.set_field(key, value);
        }
        if previous_status.is_active() && agent.status.is_terminal() {
            self.active_count = self.active_count.saturating_sub(1);
            if agent.status == AgentStatus::Completed {
                self.completed_count += 1;
            }
        }
        Ok(StatusChange {
            previous_status,
            counts: self.counts(),
        })
    }

    /// Seed `atomic_increment_counts`: adds to `active_count` and
    /// `total_spawned` without touching the agents (a bulk adjustment, so
    /// the counters no longer match the agents unless the caller adds them).
    pub fn increment_counts(&mut self, active: u64, total: u64) -> Counts {
        self.active_count += active;
        self.total_spawned += total;
        self.counts()
    }

    /// Seed `atomic_decrement_active_count`: subtracts `amount` from
    /// `active_count`, stopping at 0 (`max(0, active_count - amount)`).
    pub fn decrement_active_count(&mut self, amount: u64) -> Counts {
        self.active_count = self.active_count.saturating_sub(amount);
        self.counts()
    }

    /// Seed `atomic_mark_agents_completed`: sets every agent whose id is in
    /// `agent_ids` and whose status is active to `completed`, with
    /// `completed_at` = `now` (ISO 8601, UTC); then decrements
    /// `active_count` by the number marked (not below 0) and adds it to
    /// `completed_count`. Unknown ids, ids given twice, and agents already
    /// in a terminal status are not marked. Returns the number marked.
    pub fn mark_agents_completed(&mut self, agent_ids: &[String], now: SystemTime) -> usize {
        let at = isoformat(now);
        let mut marked = 0;
        for agent in &mut self.agents {
            if agent.status.is_active() && agent_ids.contains(&agent.id) {
                agent.status = AgentStatus::Completed;
                agent
                    .fields
                    .insert("completed_at".into(), at.clone().into());
                marked += 1;
            }
        }
        self.active_count = self.active_count.saturating_sub(marked as u64);
        self.completed_count += marked as u64;
        marked
    }
}

/// Python's `datetime.isoformat()` of a UTC time: `2025-01-01T00:00:00`,
/// with `.ffffff` microseconds only when they are not zero.
pub fn isoformat(t: SystemTime) -> String {
    let t = t.max(UNIX_EPOCH);
    let full = humantime::format_rfc3339_micros(t).to_string(); // ...SS.ffffffZ
    let micros = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_micros();
    let keep = if micros == 0 {
        full.len() - ".000000Z".len()
    } else {
        full.len() - 1
    };
    full[..keep].to_string()
}
