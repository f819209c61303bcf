//! The registry's invariants, from seed 003's success criteria:
//! "total_spawned = 10 (not less due to lost updates)", "active_count = 10",
//! "No duplicate agent_ids".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Registry;

/// One broken invariant of a registry document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Violation {
    /// `total_spawned` is not the number of agents.
    #[error("total_spawned is {total_spawned}, expected the number of agents, {agents}")]
    TotalSpawned {
        /// The stored counter.
        total_spawned: u64,
        /// The number of agents in the list.
        agents: u64,
    },
    /// `active_count` is not the number of agents in an active status.
    #[error(
        "active_count is {active_count}, expected the number of active agents, {active_agents}"
    )]
    ActiveCount {
        /// The stored counter.
        active_count: u64,
        /// The number of agents whose status is active.
        active_agents: u64,
    },
    /// Several agents share one id.
    #[error("agent id {id:?} appears {count} times, expected once")]
    DuplicateId {
        /// The shared id.
        id: String,
        /// How many agents have it.
        count: u64,
    },
}

/// `total_spawned == agents.len()`.
pub fn check_total_spawned(reg: &Registry) -> Option<Violation> {
    let agents = reg.agents.len() as u64;
    (reg.total_spawned != agents).then_some(Violation::TotalSpawned {
        total_spawned: reg.total_spawned,
        agents,
    })
}

/// `active_count ==` the number of agents in an active status.
pub fn check_active_count(reg: &Registry) -> Option<Violation> {
    let active_agents = reg.agents.iter().filter(|a| a.status.is_active()).count() as u64;
    (reg.active_count != active_agents).then_some(Violation::ActiveCount {
        active_count: reg.active_count,
        active_agents,
    })
}

/// No two agents share an id: one violation per shared id, sorted by id.
pub fn check_unique_ids(reg: &Registry) -> Vec<Violation> {
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    for a in &reg.agents {
        *seen.entry(&a.id).or_default() += 1;
    }
    seen.into_iter()
        .filter(|&(_, count)| count > 1)
        .map(|(id, count)| Violation::DuplicateId {
            id: id.to_string(),
            count,
        })
        .collect()
}

/// Every broken invariant: counters first, then duplicate ids. Empty when
/// the registry is consistent.
pub fn violations(reg: &Registry) -> Vec<Violation> {
    let mut out: Vec<Violation> = check_total_spawned(reg)
        .into_iter()
        .chain(check_active_count(reg))
        .collect();
    out.extend(check_unique_ids(reg));
    out
}
