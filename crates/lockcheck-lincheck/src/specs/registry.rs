//! Seed 003's agent registry: a list of agents with statuses and the
//! counters `total_spawned`, `active_count` and `completed_count`, updated
//! by the seed's five locked operations (same counter rules as the seed).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// An agent's status: `completed` and `terminated` are terminal, every
/// other status is active.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `running`, what a new agent is.
    Running,
    /// `completed`: terminal, counted in `completed_count`.
    Completed,
    /// `terminated`: terminal.
    Terminated,
    /// Any other status: active.
    Other(String),
}

impl Status {
    /// `completed` or `terminated`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Status::Completed | Status::Terminated)
    }
}

/// The three counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Counts {
    /// Agents ever added (plus bulk increments).
    pub total_spawned: u64,
    /// Agents in an active status (plus bulk adjustments).
    pub active_count: u64,
    /// Agents that reached `completed`.
    pub completed_count: u64,
}

/// A registry operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryInput {
    /// `atomic_add_agent`: append a running agent; `total_spawned` and
    /// `active_count` go up by one.
    AddAgent {
        /// Its id.
        id: String,
    },
    /// `atomic_update_agent_status`: set the first agent with this id to
    /// `status`. Active to terminal decrements `active_count` (not below
    /// 0) and, into `completed`, increments `completed_count`.
    UpdateAgentStatus {
        /// The agent.
        id: String,
        /// Its new status.
        status: Status,
    },
    /// `atomic_increment_counts`: add to `active_count` and `total_spawned`.
    IncrementCounts {
        /// Added to `active_count`.
        active: u64,
        /// Added to `total_spawned`.
        total: u64,
    },
    /// `atomic_decrement_active_count`: subtract, stopping at 0.
    DecrementActiveCount {
        /// How much.
        amount: u64,
    },
    /// `atomic_mark_agents_completed`: every listed agent in an active
    /// status becomes `completed`; `active_count` drops by the number marked
    /// (not below 0) and `completed_count` grows by it.
    MarkAgentsCompleted {
        /// The agents.
        ids: Vec<String>,
    },
    /// Read the counters.
    ReadCounts,
}

/// What a registry operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistryOutput {
    /// The counters after the operation (add, increment, decrement, read).
    Counts(Counts),
    /// An update: the previous status and the counters after it.
    StatusChanged {
        /// The status before.
        previous: Status,
        /// The counters after.
        counts: Counts,
    },
    /// An update of an id that is not registered.
    AgentNotFound,
    /// How many agents `mark_agents_completed` marked.
    Marked(u64),
}

/// The registry's state: agents in order and the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegistryState {
    /// Agents (id, status) in the order they were added.
    pub agents: Arc<Vec<(String, Status)>>,
    /// The counters.
    pub counts: Counts,
}

/// The registry's specification.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistrySpec;

impl RegistrySpec {
    /// Applies `input`, returning the new state and the output the seed's
    /// code returns.
    pub fn apply(s: &RegistryState, input: &RegistryInput) -> (RegistryState, RegistryOutput) {
        let mut s = s.clone();
        let c = &mut s.counts;
        let out = match input {
            RegistryInput::AddAgent { id } => {
                Arc::make_mut(&mut s.agents).push((id.clone(), Status::Running));
                c.total_spawned += 1;
                c.active_count += 1;
                RegistryOutput::Counts(*c)
            }
            RegistryInput::UpdateAgentStatus { id, status } => {
                let agents = Arc::make_mut(&mut s.agents);
                match agents.iter_mut().find(|(a, _)| a == id) {
                    None => RegistryOutput::AgentNotFound,
                    Some((_, st)) => {
                        let previous = std::mem::replace(st, status.clone());
                        if !previous.is_terminal() && status.is_terminal() {
                            c.active_count = c.active_count.saturating_sub(1);
                            if *status == Status::Completed {
                                c.completed_count += 1;
                            }
                        }
                        RegistryOutput::StatusChanged {
                            previous,
                            counts: *c,
                        }
                    }
                }
            }
            RegistryInput::IncrementCounts { active, total } => {
                c.active_count += active;
                c.total_spawned += total;
                RegistryOutput::Counts(*c)
            }
            RegistryInput::DecrementActiveCount { amount } => {
                c.active_count = c.active_count.saturating_sub(*amount);
                RegistryOutput::Counts(*c)
            }
            RegistryInput::MarkAgentsCompleted { ids } => {
                let mut marked = 0;
                for (a, st) in Arc::make_mut(&mut s.agents).iter_mut() {
                    if !st.is_terminal() && ids.contains(a) {
                        *st = Status::Completed;
                        marked += 1;
                    }
                }
                c.active_count = c.active_count.saturating_sub(marked);
                c.completed_count += marked;
                RegistryOutput::Marked(marked)
            }
            RegistryInput::ReadCounts => RegistryOutput::Counts(*c),
        };
        (s, out)
    }
}

impl Spec for RegistrySpec {
    type Input = RegistryInput;
    type Output = RegistryOutput;
    type State = RegistryState;

    fn init(&self) -> RegistryState {
        RegistryState::default()
    }

    fn interchangeable(&self, a: &RegistryInput, b: &RegistryInput) -> bool {
        a == b
    }

    fn step(
        &self,
        s: &RegistryState,
        input: &RegistryInput,
        output: Option<&RegistryOutput>,
    ) -> Option<RegistryState> {
        let (next, out) = RegistrySpec::apply(s, input);
        match output {
            Some(o) if *o != out => None,
            _ => Some(next),
        }
    }
}
