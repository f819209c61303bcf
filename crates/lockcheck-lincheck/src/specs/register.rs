//! A compare-and-set register (read, write, cas) that starts as nil: the
//! object of Jepsen's etcd tests.

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// An operation on the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(i64),
    /// If the value is `from`, set it to `to`.
    Cas {
        /// Expected value.
        from: i64,
        /// New value.
        to: i64,
    },
}

/// What a register operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterOutput {
    /// A read saw this value (`None`: nil, never written).
    Read(Option<i64>),
    /// A write took effect.
    Written,
    /// A cas succeeded (`true`) or found another value (`false`).
    Cas(bool),
}

/// The register's sequential specification. State: the value, `None` for
/// nil.
#[derive(Clone, Copy, Debug, Default)]
pub struct RegisterSpec;

impl Spec for RegisterSpec {
    type Input = RegisterInput;
    type Output = RegisterOutput;
    type State = Option<i64>;

    fn init(&self) -> Option<i64> {
        None
    }

    fn interchangeable(&self, a: &RegisterInput, b: &RegisterInput) -> bool {
        a == b
    }

    #[inline]
    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        let st = *state;
        match (input, output) {
            (RegisterInput::Read, None) => Some(st),
            (RegisterInput::Read, Some(RegisterOutput::Read(v))) => (*v == st).then_some(st),
            (RegisterInput::Write(v), None | Some(RegisterOutput::Written)) => Some(Some(*v)),
            (RegisterInput::Cas { from, to }, None) => {
                Some(if st == Some(*from) { Some(*to) } else { st })
            }
            (RegisterInput::Cas { from, to }, Some(RegisterOutput::Cas(ok))) => {
                let matches = st == Some(*from);
                (matches == *ok).then_some(if matches { Some(*to) } else { st })
            }
            _ => None,
        }
    }

    #[inline]
    fn hash_state(&self, state: &Option<i64>) -> u64 {
        match state {
            None => 0x5555_5555_5555_5555,
            Some(v) => crate::hash::splitmix64(*v as u64 ^ 0xa5a5_a5a5),
        }
    }
}
