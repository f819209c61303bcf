//! Histories, sequential specifications, and a fast linearizability checker.
//!
//! TODO tutorial

pub mod checker;
pub mod formats;
mod hash;
pub mod history;
pub mod html;
pub mod spec;
pub mod specs;

pub use checker::{CheckOptions, Counterexample, UnknownReason, Verdict, check, check_with};
pub use history::{Event, History, HistoryError, OpId, OpResult, Operation, ProcessId};
pub use spec::Spec;
