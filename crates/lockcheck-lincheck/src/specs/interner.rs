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

/// A map from a pair of ids to an id: open addressing over one array of
/// keys (and one of values), so a lookup is usually one cache miss.
#[derive(Clone)]
pub(crate) struct PairMap {
    /// Keys; `u64::MAX` marks an empty slot.
    keys: Vec<u64>,
    values: Vec<u32>,
    len: usize,
    shift: u32,
}

impl PairMap {
    /// An empty map.
    pub(crate) fn new() -> PairMap {
        PairMap {
            keys: vec![u64::MAX; 256],
            values: vec![0; 256],
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
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        loop {
            let k = self.keys[i];
            if k == key {
                return Some(self.values[i]);
            }
            if k == u64::MAX {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value for `(a, b)` (which must be absent).
    pub(crate) fn insert(&mut self, a: u32, b: u32, value: u32) {
        if (self.len + 1) * 2 > self.keys.len() {
            let cap = self.keys.len() * 2;
            let keys = std::mem::replace(&mut self.keys, vec![u64::MAX; cap]);
            let values = std::mem::replace(&mut self.values, vec![0; cap]);
            self.shift -= 1;
            self.len = 0;
            for (k, v) in keys.into_iter().zip(values).filter(|(k, _)| *k != u64::MAX) {
                self.insert((k >> 32) as u32, k as u32, v);
            }
        }
        let key = u64::from(a) << 32 | u64::from(b);
        let mask = self.keys.len() - 1;
        let mut i = self.home(key);
        while self.keys[i] != u64::MAX {
            i = (i + 1) & mask;
        }
        self.keys[i] = key;
        self.values[i] = value;
        self.len += 1;
    }
}
