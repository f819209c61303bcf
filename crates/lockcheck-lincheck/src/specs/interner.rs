//! Interning of slices (strings as bytes, maps as value ids) into one flat
//! arena: equal contents get equal `u32` ids, and interning a new slice
//! costs no allocation of its own.

use std::hash::{Hash, Hasher};

use crate::hash::{FxHashMap, FxHasher};

/// An arena of interned slices.
#[derive(Clone)]
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

/// A map from a pair of ids to an id: open addressing over one array, so a
/// lookup is usually one cache miss.
#[derive(Clone)]
pub(crate) struct PairMap {
    /// `(key, value)`; key `u64::MAX` marks an empty slot.
    slots: Vec<(u64, u32)>,
    len: usize,
    shift: u32,
}

impl PairMap {
    /// An empty map.
    pub(crate) fn new() -> PairMap {
        PairMap {
            slots: vec![(u64::MAX, 0); 256],
            len: 0,
            shift: 64 - 8,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The value for `(a, b)`.
    #[inline]
    pub(crate) fn get(&self, a: u32, b: u32) -> Option<u32> {
        let key = u64::from(a) << 32 | u64::from(b);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, v) = self.slots[i];
            if k == key {
                return Some(v);
            }
            if k == u64::MAX {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value for `(a, b)` (which must be absent).
    pub(crate) fn insert(&mut self, a: u32, b: u32, value: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::replace(&mut self.slots, vec![(u64::MAX, 0); 0]);
            self.slots = vec![(u64::MAX, 0); old.len() * 2];
            self.shift -= 1;
            self.len = 0;
            for (k, v) in old.into_iter().filter(|(k, _)| *k != u64::MAX) {
                self.insert((k >> 32) as u32, k as u32, v);
            }
        }
        let key = u64::from(a) << 32 | u64::from(b);
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].0 != u64::MAX {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, value);
        self.len += 1;
    }
}
