//! A claim-once set: each task can be won by one claimant, once.

use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::hash::FxHasher;
use crate::spec::Spec;

/// A claim of `task` by `by`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Claim {
    /// The task claimed.
    pub task: String,
    /// The claimant.
    pub by: u64,
}

/// What a claim returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimOutput {
    /// The claimant won the task.
    Won,
    /// Someone had already won it.
    Lost,
}

/// The claim-once set. Tasks are independent, so the spec partitions by
/// task and the state is the winner of the one task, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClaimSpec;

impl Spec for ClaimSpec {
    type Input = Claim;
    type Output = ClaimOutput;
    type State = Option<u64>;

    fn init(&self) -> Option<u64> {
        None
    }

    fn interchangeable(&self, a: &Claim, b: &Claim) -> bool {
        a == b
    }

    fn step(
        &self,
        state: &Option<u64>,
        input: &Claim,
        output: Option<&ClaimOutput>,
    ) -> Option<Option<u64>> {
        match (state, output) {
            (None, None | Some(ClaimOutput::Won)) => Some(Some(input.by)),
            (Some(w), None | Some(ClaimOutput::Lost)) => Some(Some(*w)),
            _ => None,
        }
    }

    fn partition(&self, input: &Claim) -> u64 {
        let mut h = FxHasher::default();
        input.task.hash(&mut h);
        h.finish()
    }
}
