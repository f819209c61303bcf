//! Seed 003's agent registry: a JSON file of agents and counters that many
//! processes update, each update a read-modify-write under an exclusive
//! `flock` (its `LockedRegistryFile` context manager and five "atomic"
//! operations).
//!
//! - [`Registry`] is the document (`agents`, `total_spawned`,
//!   `active_count`, `completed_count`, `agent_hierarchy`), and its methods
//!   are the five operations' counter rules as pure functions.
//! - [`LockedRegistryFile`] locks, reads, modifies and writes it back, as
//!   `registry/in-place` (the seed's seek, write, truncate) or
//!   `registry/replace` (temp file, fsync, rename) ([`WriteMethod`]).
//! - [`AgentRegistry`] runs the five operations under the lock and records
//!   each (`registry/add_agent`, ...) to a [`Recorder`].
//! - [`violations`] checks the seed's invariants: `total_spawned` is the
//!   number of agents, `active_count` the number of active agents, ids are
//!   unique.
//!
//! # Example
//!
//! ```
//! use lockcheck_fs::SimFs;
//! use lockcheck_protocols::history::NoHistory;
//! use lockcheck_protocols::registry::{
//!     Agent, AgentRegistry, LockedRegistryFile, Registry, WriteMethod, violations,
//! };
//!
//! let fs = SimFs::new();
//! let p = fs.spawn();
//! let file = LockedRegistryFile::new("registry.json", WriteMethod::InPlace);
//! file.create(&p, &Registry::default())?;
//! let registry = AgentRegistry::new(file.clone());
//! registry.add_agent(&p, &NoHistory, Agent::new("agent-1", "running"), "orchestrator")?;
//! registry.add_agent(&p, &NoHistory, Agent::new("agent-2", "running"), "orchestrator")?;
//! registry.mark_agents_completed(&p, &NoHistory, &["agent-2".into()])?;
//!
//! let doc = file.read(&p)?;
//! assert!(violations(&doc).is_empty());
//! assert_eq!(doc.to_json(), r#"{
//!   "agents": [
//!     {
//!       "id": "agent-1",
//!       "status": "running"
//!     },
//!     {
//!       "id": "agent-2",
//!       "status": "completed",
//!       "completed_at": "2025-01-01T00:00:00"
//!     }
//!   ],
//!   "total_spawned": 2,
//!   "active_count": 1,
//!   "completed_count": 1,
//!   "agent_hierarchy": {
//!     "orchestrator": [
//!       "agent-1",
//!       "agent-2"
//!     ]
//!   }
//! }"#);
//! # Ok::<(), lockcheck_protocols::registry::RegistryError>(())
//! ```

mod document;
mod error;
mod file;
mod invariants;

use lockcheck_fs::Process;
use serde::Serialize;
use serde_json::{Map, Value, json};

pub use document::{Agent, AgentStatus, Counts, Registry, StatusChange, isoformat};
pub use error::RegistryError;
pub use file::{LockedRegistryFile, Step, WriteMethod};
pub use invariants::{
    Violation, check_active_count, check_total_spawned, check_unique_ids, violations,
};

use crate::history::{Outcome, Recorder, operation};

/// The seed's five "atomic" operations, each one locked update of a
/// [`LockedRegistryFile`], recorded as `registry/<operation>` with the
/// variant's name in its invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRegistry {
    file: LockedRegistryFile,
}

impl AgentRegistry {
    /// The operations on this registry file.
    pub fn new(file: LockedRegistryFile) -> AgentRegistry {
        AgentRegistry { file }
    }

    /// The registry file.
    pub fn file(&self) -> &LockedRegistryFile {
        &self.file
    }

    /// `registry/add_agent`: [`Registry::add_agent`] under the lock.
    pub fn add_agent<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        agent: Agent,
        parent: &str,
    ) -> Result<Counts, RegistryError> {
        // Built only when recorded, before the body takes the agent.
        let recorded = rec
            .enabled()
            .then(|| json!({"agent": &agent, "parent": parent}));
        let input = || recorded.unwrap_or_default();
        let body = || self.file.update(p, |r| Ok(r.add_agent(agent, parent)));
        self.recorded(p, rec, "registry/add_agent", input, body)
    }

    /// `registry/update_agent_status`: [`Registry::update_agent_status`]
    /// under the lock. An unknown id gives [`RegistryError::AgentNotFound`]
    /// and writes nothing.
    pub fn update_agent_status<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        agent_id: &str,
        status: AgentStatus,
        extra_fields: Map<String, Value>,
    ) -> Result<StatusChange, RegistryError> {
        let recorded = rec
            .enabled()
            .then(|| json!({"id": agent_id, "status": &status, "extra_fields": &extra_fields}));
        let input = || recorded.unwrap_or_default();
        let body = || {
            self.file
                .update(p, |r| r.update_agent_status(agent_id, status, extra_fields))
        };
        self.recorded(p, rec, "registry/update_agent_status", input, body)
    }

    /// `registry/increment_counts`: [`Registry::increment_counts`] under the
    /// lock.
    pub fn increment_counts<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        active: u64,
        total: u64,
    ) -> Result<Counts, RegistryError> {
        let input = || json!({"active": active, "total": total});
        let body = || {
            self.file
                .update(p, |r| Ok(r.increment_counts(active, total)))
        };
        self.recorded(p, rec, "registry/increment_counts", input, body)
    }

    /// `registry/decrement_active_count`: [`Registry::decrement_active_count`]
    /// under the lock.
    pub fn decrement_active_count<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        amount: u64,
    ) -> Result<Counts, RegistryError> {
        let input = || json!({"amount": amount});
        let body = || {
            self.file
                .update(p, |r| Ok(r.decrement_active_count(amount)))
        };
        self.recorded(p, rec, "registry/decrement_active_count", input, body)
    }

    /// `registry/mark_agents_completed`: [`Registry::mark_agents_completed`]
    /// under the lock, stamped with this process's clock. Returns the
    /// number of agents marked.
    pub fn mark_agents_completed<P: Process, R: Recorder>(
        &self,
        p: &P,
        rec: &R,
        agent_ids: &[String],
    ) -> Result<usize, RegistryError> {
        let input = || json!({"ids": agent_ids});
        let body = || {
            self.file
                .update(p, |r| Ok(r.mark_agents_completed(agent_ids, p.now())))
        };
        self.recorded(p, rec, "registry/mark_agents_completed", input, body)
    }

    fn recorded<P: Process, R: Recorder, T: Serialize>(
        &self,
        p: &P,
        rec: &R,
        op: &'static str,
        input: impl FnOnce() -> Value,
        body: impl FnOnce() -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let variant = self.file.method().name();
        let input = || {
            let mut v = input();
            v["variant"] = json!(variant);
            v
        };
        let outcome = |r: &Result<T, RegistryError>| match r {
            Ok(v) => Outcome::Ok(json!(v)),
            Err(e) => {
                let v = json!({"error": e.kind(), "message": e.to_string()});
                if e.left_registry_unchanged() {
                    Outcome::Fail(v)
                } else {
                    Outcome::Info(v)
                }
            }
        };
        operation(rec, p.pid(), op, input, body, outcome)
    }
}
