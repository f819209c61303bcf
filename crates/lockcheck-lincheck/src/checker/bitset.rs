//! The set of linearized operations: a fixed-size bitset with an
//! incrementally maintained Zobrist hash (the XOR of one random key per
//! member), so hashing it costs nothing in the search loop.

use crate::hash::splitmix64;

/// A fixed-size set of operation indices `0..n` with a running hash.
#[derive(Clone, Debug)]
pub(crate) struct Bitset {
    words: Vec<u64>,
    keys: Vec<u64>,
    hash: u64,
}

impl Bitset {
    /// The empty set over `n` operations.
    pub(crate) fn new(n: usize) -> Bitset {
        Bitset {
            words: vec![0; n.div_ceil(64).max(1)],
            keys: (0..n as u64).map(splitmix64).collect(),
            hash: 0,
        }
    }

    /// Adds `i` (which must be absent).
    #[inline]
    pub(crate) fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
        self.hash ^= self.keys[i];
    }

    /// Removes `i` (which must be present).
    #[inline]
    pub(crate) fn remove(&mut self, i: usize) {
        self.words[i / 64] &= !(1 << (i % 64));
        self.hash ^= self.keys[i];
    }

    /// Whether `i` is a member.
    #[inline]
    pub(crate) fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    /// The running hash.
    #[inline]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The words.
    #[inline]
    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }
}
