//! A key-value store (get, put, append), checked either per key
//! (P-compositionality: keys are independent) or as one map of every key.
//!
//! Keys and values are interned: an operation carries `u32` ids, and a
//! state is one id (of a value per key, or of a whole map), so cloning,
//! comparing and hashing a state costs one word. Appends build new values
//! in O(1) as ropes; the spec remembers each (value, suffix) pair it has
//! joined, and a get compares contents (ids first, then hash and length,
//! then bytes). An absent key reads as the empty string.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

use super::interner::{PairMap, SliceInterner};
use super::values::Values;
use crate::hash::splitmix64;
use crate::spec::Spec;

/// A kv operation, over interned key and value ids (see [`KvSpec::key`],
/// [`KvSpec::value`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvInput {
    /// Read a key.
    Get {
        /// Key id.
        key: u32,
    },
    /// Set a key.
    Put {
        /// Key id.
        key: u32,
        /// Value id.
        value: u32,
    },
    /// Append to a key's value.
    Append {
        /// Key id.
        key: u32,
        /// Value id of the suffix.
        value: u32,
    },
}

impl KvInput {
    /// The key id.
    pub fn key(&self) -> u32 {
        match *self {
            KvInput::Get { key } | KvInput::Put { key, .. } | KvInput::Append { key, .. } => key,
        }
    }
}

/// What a kv operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KvOutput {
    /// A get saw this value id.
    Value(u32),
    /// A put or append took effect.
    Done,
}

/// How the kv spec checks a history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvMode {
    /// One partition per key, whose state is that key's value.
    PerKey,
    /// One partition; the state is the map of every key.
    WholeMap,
}

#[derive(Clone)]
struct Table {
    keys: SliceInterner<u8>,
    values: Values,
    appends: PairMap,
    maps: SliceInterner<u32>,
    scratch: Vec<u32>,
}

impl Table {
    fn new() -> Table {
        let mut t = Table {
            keys: SliceInterner::new(),
            values: Values::new(),
            appends: PairMap::new(),
            maps: SliceInterner::new(),
            scratch: Vec::new(),
        };
        t.maps.intern(&[]); // map 0: empty
        t
    }

    fn append(&mut self, base: u32, suffix: u32) -> u32 {
        if let Some(id) = self.appends.get(base, suffix) {
            return id;
        }
        let id = self.values.concat(base, suffix);
        self.appends.insert(base, suffix, id);
        id
    }

    /// Map `map` with `key` set to `value`, trailing empties trimmed.
    fn set(&mut self, map: u32, key: u32, value: u32) -> u32 {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        s.extend_from_slice(self.maps.get(map));
        let k = key as usize;
        if s.len() <= k {
            s.resize(k + 1, 0);
        }
        s[k] = value;
        while s.last() == Some(&0) {
            s.pop();
        }
        let id = self.maps.intern(&s);
        self.scratch = s;
        id
    }
}

/// The key-value spec. It owns the interning tables, so build the
/// operations of a history with the same `KvSpec` that checks it (or a
/// clone of it: a clone has the same ids).
#[derive(Clone)]
pub struct KvSpec {
    mode: KvMode,
    table: RefCell<Table>,
}

impl KvSpec {
    /// A spec that checks each key separately.
    pub fn per_key() -> KvSpec {
        KvSpec::new(KvMode::PerKey)
    }

    /// A spec that checks the history against one map of all keys.
    pub fn whole_map() -> KvSpec {
        KvSpec::new(KvMode::WholeMap)
    }

    /// A spec in `mode`.
    pub fn new(mode: KvMode) -> KvSpec {
        KvSpec {
            mode,
            table: RefCell::new(Table::new()),
        }
    }

    /// Its mode.
    pub fn mode(&self) -> KvMode {
        self.mode
    }

    /// The id of a key.
    pub fn key(&self, key: &str) -> u32 {
        self.table.borrow_mut().keys.intern(key.as_bytes())
    }

    /// The id of a value (`""` is 0).
    pub fn value(&self, value: &str) -> u32 {
        self.table.borrow_mut().values.leaf(value.as_bytes())
    }

    /// The key with this id.
    pub fn key_str(&self, id: u32) -> String {
        String::from_utf8_lossy(self.table.borrow().keys.get(id)).into_owned()
    }

    /// The value with this id.
    pub fn value_str(&self, id: u32) -> String {
        String::from_utf8_lossy(&self.table.borrow().values.content(id)).into_owned()
    }

    /// `get(key)`.
    pub fn get(&self, key: &str) -> KvInput {
        KvInput::Get { key: self.key(key) }
    }

    /// `put(key, value)`.
    pub fn put(&self, key: &str, value: &str) -> KvInput {
        KvInput::Put {
            key: self.key(key),
            value: self.value(value),
        }
    }

    /// `append(key, value)`.
    pub fn append(&self, key: &str, value: &str) -> KvInput {
        KvInput::Append {
            key: self.key(key),
            value: self.value(value),
        }
    }

    /// A get's output: it saw `value`.
    pub fn saw(&self, value: &str) -> KvOutput {
        KvOutput::Value(self.value(value))
    }
}

impl Spec for KvSpec {
    type Input = KvInput;
    type Output = KvOutput;
    /// A value id ([`KvMode::PerKey`]) or a map id ([`KvMode::WholeMap`]).
    type State = u32;

    fn init(&self) -> u32 {
        0
    }

    fn interchangeable(&self, a: &KvInput, b: &KvInput) -> bool {
        a == b
    }

    #[inline]
    fn step(&self, state: &u32, input: &KvInput, output: Option<&KvOutput>) -> Option<u32> {
        let st = *state;
        let mut t = self.table.borrow_mut();
        let current = match self.mode {
            KvMode::PerKey => st,
            KvMode::WholeMap => t
                .maps
                .get(st)
                .get(input.key() as usize)
                .copied()
                .unwrap_or(0),
        };
        let new_value = match (input, output) {
            (KvInput::Get { .. }, None) => return Some(st),
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => {
                return t.values.same(*v, current).then_some(st);
            }
            (KvInput::Put { value, .. }, None | Some(KvOutput::Done)) => *value,
            (KvInput::Append { value, .. }, None | Some(KvOutput::Done)) => {
                t.append(current, *value)
            }
            _ => return None,
        };
        Some(match self.mode {
            KvMode::PerKey => new_value,
            KvMode::WholeMap if new_value == current => st,
            KvMode::WholeMap => t.set(st, input.key(), new_value),
        })
    }

    fn partition(&self, input: &KvInput) -> u64 {
        match self.mode {
            KvMode::PerKey => u64::from(input.key()),
            KvMode::WholeMap => 0,
        }
    }

    #[inline]
    fn hash_state(&self, state: &u32) -> u64 {
        splitmix64(u64::from(*state))
    }
}
