//! A mutual-exclusion lock: acquire, try-acquire and release, where
//! releasing a lock one does not hold returns an explicit error.

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// Who holds or asks for the lock (a process, agent or thread id).
pub type Owner = u64;

/// A lock operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutexInput {
    /// Block until the lock is free, then take it.
    Acquire(Owner),
    /// Take the lock if it is free, without waiting.
    TryAcquire(Owner),
    /// Give the lock back.
    Release(Owner),
}

/// What a lock operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutexOutput {
    /// The caller now holds the lock.
    Acquired,
    /// `TryAcquire` found the lock held by someone.
    Busy,
    /// The caller held the lock and gave it back.
    Released,
    /// `Release` by a caller that did not hold the lock: an error, and the
    /// lock is unchanged.
    NotHeld,
}

/// The lock's specification. State: the holder, if any. Acquiring a lock
/// one already holds is rejected (the lock is not reentrant).
#[derive(Clone, Copy, Debug, Default)]
pub struct MutexSpec;

impl Spec for MutexSpec {
    type Input = MutexInput;
    type Output = MutexOutput;
    type State = Option<Owner>;

    fn init(&self) -> Option<Owner> {
        None
    }

    fn interchangeable(&self, a: &MutexInput, b: &MutexInput) -> bool {
        a == b
    }

    fn step(
        &self,
        state: &Option<Owner>,
        input: &MutexInput,
        output: Option<&MutexOutput>,
    ) -> Option<Option<Owner>> {
        use MutexInput as I;
        use MutexOutput as O;
        match (*input, output.copied(), *state) {
            (I::Acquire(who) | I::TryAcquire(who), None | Some(O::Acquired), None) => {
                Some(Some(who))
            }
            (I::TryAcquire(_), None | Some(O::Busy), Some(h)) => Some(Some(h)),
            (I::Release(who), None | Some(O::Released), Some(h)) if h == who => Some(None),
            (I::Release(who), None | Some(O::NotHeld), h) if h != Some(who) => Some(h),
            _ => None,
        }
    }
}
