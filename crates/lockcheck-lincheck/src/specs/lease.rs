//! A lease lock with fencing tokens, and the resource it protects.
//!
//! Leases expire, so the lock service may grant a new lease while an old
//! holder still believes it holds one; what keeps data safe is the fencing
//! token. Every grant returns a token strictly greater than every earlier
//! one, and the protected resource refuses a write whose token is smaller
//! than the largest it has accepted. The spec does not model time: a grant
//! may come at any moment (the previous lease may have expired).

use serde::{Deserialize, Serialize};

use crate::spec::Spec;

/// A fencing token.
pub type Token = u64;

/// An operation on the lease service or the protected resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseInput {
    /// Ask the lock service for a lease.
    Acquire {
        /// Who asks.
        owner: u64,
    },
    /// Write `value` to the resource, fenced by `token`.
    Write {
        /// The token of the writer's lease.
        token: Token,
        /// The value written.
        value: i64,
    },
    /// Read the resource.
    Read,
}

/// What a lease operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaseOutput {
    /// A lease was granted with this token.
    Granted(Token),
    /// The lease is held and has not expired.
    Busy,
    /// The resource accepted the write.
    Accepted,
    /// The resource refused the write: its token was stale.
    Rejected,
    /// The resource's value (`None` if never written).
    Value(Option<i64>),
}

/// The lease service's and the resource's state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LeaseState {
    /// The largest token granted so far (0: none).
    pub last_granted: Token,
    /// The largest token the resource accepted (0: none).
    pub fence: Token,
    /// The resource's value.
    pub value: Option<i64>,
}

/// The lease-with-fencing spec.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeaseSpec;

impl Spec for LeaseSpec {
    type Input = LeaseInput;
    type Output = LeaseOutput;
    type State = LeaseState;

    fn init(&self) -> LeaseState {
        LeaseState::default()
    }

    fn interchangeable(&self, a: &LeaseInput, b: &LeaseInput) -> bool {
        a == b
    }

    fn step(
        &self,
        s: &LeaseState,
        input: &LeaseInput,
        output: Option<&LeaseOutput>,
    ) -> Option<LeaseState> {
        use LeaseInput as I;
        use LeaseOutput as O;
        match (input, output) {
            (I::Acquire { .. }, Some(O::Granted(t))) => {
                (*t > s.last_granted).then_some(LeaseState {
                    last_granted: *t,
                    ..*s
                })
            }
            (I::Acquire { .. }, Some(O::Busy)) => Some(*s),
            // Unknown outcome: the least constraining token is the next one.
            (I::Acquire { .. }, None) => Some(LeaseState {
                last_granted: s.last_granted + 1,
                ..*s
            }),
            (I::Write { token, value }, None | Some(O::Accepted)) if *token >= s.fence => {
                Some(LeaseState {
                    fence: *token,
                    value: Some(*value),
                    ..*s
                })
            }
            (I::Write { token, .. }, None | Some(O::Rejected)) if *token < s.fence => Some(*s),
            (I::Read, None) => Some(*s),
            (I::Read, Some(O::Value(v))) => (*v == s.value).then_some(*s),
            _ => None,
        }
    }
}
