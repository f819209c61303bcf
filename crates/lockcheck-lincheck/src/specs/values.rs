//! String values as ropes, for the kv spec.
//!
//! A value is a leaf (bytes in an arena) or the concatenation of two
//! values. Every value carries its length and a polynomial hash of its
//! content (mod 2^61 - 1), so appending is O(1): the hash of `a ++ b` is
//! `H(a) * B^len(b) + H(b)`. Leaves are interned by content. Concatenations
//! are not (the kv spec remembers each (value, suffix) pair it joined, so
//! the same appends give the same id); two ids may then hold equal
//! contents, so [`Values::same`] compares ids, then hash and length, and
//! only when those match, bytes.

use crate::hash::FxHashMap;

const P: u64 = (1 << 61) - 1;
const B: u64 = 0x1f3d_5b79_a1c3_e5f7 % P;

#[inline]
fn mul(a: u64, b: u64) -> u64 {
    let x = u128::from(a) * u128::from(b);
    let lo = (x as u64) & P;
    let hi = (x >> 61) as u64;
    let s = lo + hi;
    if s >= P { s - P } else { s }
}

#[inline]
fn add(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= P { s - P } else { s }
}

#[derive(Clone, Copy)]
enum Node {
    Leaf { start: usize, len: usize },
    Concat { left: u32, right: u32 },
}

#[derive(Clone, Copy)]
struct Meta {
    hash: u64,
    /// B^len mod P.
    pow: u64,
    len: usize,
}

/// The table of values; id 0 is the empty string.
#[derive(Clone)]
pub(crate) struct Values {
    bytes: Vec<u8>,
    nodes: Vec<Node>,
    meta: Vec<Meta>,
    /// (hash, len) to the newest leaf with them.
    index: FxHashMap<(u64, usize), u32>,
    /// Per id: the previous id with the same (hash, len), `u32::MAX` if none.
    chain: Vec<u32>,
}

impl Values {
    /// A table holding only the empty string (id 0).
    pub(crate) fn new() -> Values {
        let mut v = Values {
            bytes: Vec::new(),
            nodes: Vec::new(),
            meta: Vec::new(),
            index: FxHashMap::default(),
            chain: Vec::new(),
        };
        v.leaf(b"");
        v
    }

    fn find(&self, m: Meta, same: impl Fn(&Values, u32) -> bool) -> Option<u32> {
        let mut id = self
            .index
            .get(&(m.hash, m.len))
            .copied()
            .unwrap_or(u32::MAX);
        while id != u32::MAX {
            if same(self, id) {
                return Some(id);
            }
            id = self.chain[id as usize];
        }
        None
    }

    fn push(&mut self, node: Node, m: Meta) -> u32 {
        let id = self.nodes.len() as u32;
        let prev = self.index.insert((m.hash, m.len), id).unwrap_or(u32::MAX);
        self.nodes.push(node);
        self.meta.push(m);
        self.chain.push(prev);
        id
    }

    /// The id of these bytes.
    pub(crate) fn leaf(&mut self, s: &[u8]) -> u32 {
        let mut m = Meta {
            hash: 0,
            pow: 1,
            len: s.len(),
        };
        for &c in s {
            m.hash = add(mul(m.hash, B), u64::from(c) + 1);
            m.pow = mul(m.pow, B);
        }
        if let Some(id) = self.find(m, |v, id| v.content(id) == s) {
            return id;
        }
        let start = self.bytes.len();
        self.bytes.extend_from_slice(s);
        self.push(
            Node::Leaf {
                start,
                len: s.len(),
            },
            m,
        )
    }

    /// A new id for `a` followed by `b` (or `a` or `b` if the other is
    /// empty).
    pub(crate) fn concat(&mut self, a: u32, b: u32) -> u32 {
        let (ma, mb) = (self.meta[a as usize], self.meta[b as usize]);
        if mb.len == 0 {
            return a;
        }
        if ma.len == 0 {
            return b;
        }
        let m = Meta {
            hash: add(mul(ma.hash, mb.pow), mb.hash),
            pow: mul(ma.pow, mb.pow),
            len: ma.len + mb.len,
        };
        let id = self.nodes.len() as u32;
        self.nodes.push(Node::Concat { left: a, right: b });
        self.meta.push(m);
        self.chain.push(u32::MAX);
        id
    }

    /// Whether two values have equal contents.
    #[inline]
    pub(crate) fn same(&self, a: u32, b: u32) -> bool {
        if a == b {
            return true;
        }
        let (ma, mb) = (self.meta[a as usize], self.meta[b as usize]);
        ma.len == mb.len && ma.hash == mb.hash && self.content(a) == self.content(b)
    }

    /// The bytes of a value (empty for an unknown id).
    pub(crate) fn content(&self, id: u32) -> Vec<u8> {
        let mut out = Vec::new();
        if (id as usize) >= self.nodes.len() {
            return out;
        }
        let mut todo = vec![id];
        while let Some(i) = todo.pop() {
            match self.nodes[i as usize] {
                Node::Leaf { start, len } => out.extend_from_slice(&self.bytes[start..start + len]),
                Node::Concat { left, right } => {
                    todo.push(right);
                    todo.push(left);
                }
            }
        }
        out
    }
}
