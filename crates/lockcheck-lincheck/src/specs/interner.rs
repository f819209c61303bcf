//! Interning of slices (strings as bytes, maps as value ids) into one flat
//! arena: equal contents get equal `u32` ids, and interning a new slice
//! costs no allocation of its own.

use std::hash::{Hash, Hasher};

use crate::hash::{FxHashMap, FxHasher};

/// An arena of interned slices.
pub(crate) struct SliceInterner<T> {
    data: Vec<T>,
    spans: Vec<(usize, usize)>,
    /// Content hash to the newest id with that hash.
    table: FxHashMap<u64, u32>,
    /// Per id: the previous id with the same hash (`u32::MAX`: none).
    chain: Vec<u32>,
}

impl<T: Copy + Eq + Hash> SliceInterner<T> {
    /// An empty arena.
    pub(crate) fn new() -> Self {
        SliceInterner {
            data: Vec::new(),
            spans: Vec::new(),
            table: FxHashMap::default(),
            chain: Vec::new(),
        }
    }

    /// The slice with this id (empty for an unknown id).
    #[inline]
    pub(crate) fn get(&self, id: u32) -> &[T] {
        match self.spans.get(id as usize) {
            Some(&(start, len)) => &self.data[start..start + len],
            None => &[],
        }
    }

    /// The id of `item`, interning it if new.
    pub(crate) fn intern(&mut self, item: &[T]) -> u32 {
        let mut h = FxHasher::default();
        item.hash(&mut h);
        let h = h.finish();
        let first = self.table.get(&h).copied().unwrap_or(u32::MAX);
        let mut id = first;
        while id != u32::MAX {
            if self.get(id) == item {
                return id;
            }
            id = self.chain[id as usize];
        }
        let id = self.spans.len() as u32;
        self.spans.push((self.data.len(), item.len()));
        self.data.extend_from_slice(item);
        self.chain.push(first);
        self.table.insert(h, id);
        id
    }
}
