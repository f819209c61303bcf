//! The sequential specification a history is checked against.

use std::hash::{Hash, Hasher};

use crate::hash::FxHasher;

/// A sequential specification: a deterministic state machine whose steps
/// accept or reject an operation with its observed output.
///
/// The checker is generic over the spec (no boxing in the search loop), so
/// keep [`Spec::State`] cheap to clone and hash: small values, ids into a
/// table the spec owns, or reference-counted data.
pub trait Spec {
    /// An operation's input (what was asked).
    type Input;
    /// An operation's output (what was returned).
    type Output;
    /// The object's state. The checker memoizes (linearized set, state)
    /// pairs, so equal states must compare and hash equal.
    type State: Clone + Eq + Hash;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies one operation to `state`. `output` is `None` when the
    /// outcome is unknown (an info or pending operation): accept if the
    /// operation could have taken effect here and return the state after
    /// it, choosing the least constraining state if several are possible.
    /// Returns `None` to reject: the operation cannot return `output` here.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;

    /// P-compositionality: the independent sub-object that `input` touches
    /// (for example a hash of its key). Operations with different partition
    /// ids never interact, so each partition is checked on its own, from
    /// [`Spec::init`]. Return the same id for everything (the default) when
    /// operations are not independent. Two keys sharing an id is always
    /// sound (it only merges two partitions).
    fn partition(&self, _input: &Self::Input) -> u64 {
        0
    }

    /// Whether operations with these inputs have the same effect when
    /// their outcome is unknown, in every state (true whenever `a == b`,
    /// since [`Spec::step`] with no output depends on the state and input
    /// alone). The checker then linearizes such unknown-outcome twins in
    /// call order only, pruning orders that differ just by swapping them.
    /// Default: `false` (no pruning).
    fn interchangeable(&self, _a: &Self::Input, _b: &Self::Input) -> bool {
        false
    }

    /// The hash used to memoize states; by default an Fx hash of
    /// [`Hash`]. Override it for a cheaper or cached hash.
    fn hash_state(&self, state: &Self::State) -> u64 {
        let mut h = FxHasher::default();
        state.hash(&mut h);
        h.finish()
    }
}

impl<S: Spec + ?Sized> Spec for &S {
    type Input = S::Input;
    type Output = S::Output;
    type State = S::State;

    fn init(&self) -> Self::State {
        (**self).init()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State> {
        (**self).step(state, input, output)
    }

    fn partition(&self, input: &Self::Input) -> u64 {
        (**self).partition(input)
    }

    fn interchangeable(&self, a: &Self::Input, b: &Self::Input) -> bool {
        (**self).interchangeable(a, b)
    }

    fn hash_state(&self, state: &Self::State) -> u64 {
        (**self).hash_state(state)
    }
}
