//! Exploration: run simulated processes over one SimFs under a controlled
//! scheduler, watch every step with monitors, and report the first
//! violation as a small, replayable counterexample.
//!
//! TODO tutorial

mod config;
mod ctx;
mod explore;
mod ghost;
mod program;
mod property;
mod report;
mod run;
mod scenario;
pub mod schedule;
mod shrink;
mod strategy;

pub use config::{ITERATIONS_VAR, KnobError, Knobs, PREEMPTIONS_VAR, REPLAY_VAR, SEED_VAR};
pub use ctx::Ctx;
pub use explore::ExploreError;
pub use program::{
    COUNTER, FLOCK_DIR, FLOCK_KEY, LOCK_NAME, Op, POOL_DIR, Protocol, REGISTRY, TASKBOARD,
};
pub use property::{Property, Violation};
pub use report::{Counterexample, Report};
pub use run::{Execution, Threads};
pub use scenario::{Body, Fault, Program, Scenario};
pub use strategy::Strategy;
