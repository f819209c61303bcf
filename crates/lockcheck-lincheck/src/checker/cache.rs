//! Lowe's memo: the set of (linearized operations, state) configurations
//! already explored. An open-addressing table whose slots hold a 32-bit
//! hash tag and an index into flat arenas (bitset words, states), so a
//! lookup that hits allocates nothing and most misses touch one cache line;
//! a hard cap on entries bounds its memory.

/// The memo table; `S` is the spec's state.
pub(crate) struct Cache<S> {
    stride: usize,
    bits: Vec<u64>,
    states: Vec<S>,
    /// Slots: 0 is empty, otherwise `tag << 32 | (entry index + 1)`.
    table: Vec<u64>,
    shift: u32,
    max_entries: usize,
}

/// The cache reached its entry cap.
#[derive(Debug)]
pub(crate) struct CacheFull;

impl<S: Eq + Clone> Cache<S> {
    /// A cache for bitsets of `stride` words, holding at most `max_entries`.
    pub(crate) fn new(stride: usize, max_entries: usize) -> Cache<S> {
        let cap = 1024usize;
        Cache {
            stride,
            bits: Vec::new(),
            states: Vec::new(),
            table: vec![0; cap],
            shift: 64 - cap.trailing_zeros(),
            max_entries: max_entries.min(u32::MAX as usize - 1),
        }
    }

    /// Sets the entry cap.
    pub(crate) fn set_max_entries(&mut self, max_entries: usize) {
        self.max_entries = max_entries.min(u32::MAX as usize - 1);
    }

    /// Bytes one entry costs (arenas plus table slots at load <= 1/2).
    pub(crate) fn entry_bytes(stride: usize) -> usize {
        stride * 8 + std::mem::size_of::<S>() + 2 * 8
    }

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// The slot where a tag's probe starts.
    #[inline]
    fn home(&self, tag: u64) -> usize {
        ((tag | 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// Inserts the configuration; `Ok(true)` if it was new, `Ok(false)` if
    /// it was already there, `Err` if it is new but the cache is full.
    #[inline]
    pub(crate) fn insert(&mut self, bits: &[u64], state: &S, h: u64) -> Result<bool, CacheFull> {
        let tag = h >> 32;
        let mask = self.table.len() - 1;
        let mut slot = self.home(tag);
        loop {
            let e = self.table[slot];
            if e == 0 {
                break;
            }
            if e >> 32 == tag {
                let i = (e as u32 - 1) as usize;
                if same_words(&self.bits[i * self.stride..(i + 1) * self.stride], bits)
                    && self.states[i] == *state
                {
                    return Ok(false);
                }
            }
            slot = (slot + 1) & mask;
        }
        if self.states.len() >= self.max_entries {
            return Err(CacheFull);
        }
        let i = self.states.len();
        self.bits.extend_from_slice(bits);
        self.states.push(state.clone());
        self.table[slot] = tag << 32 | (i as u64 + 1);
        if (i + 1) * 2 > self.table.len() {
            self.grow();
        }
        Ok(true)
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.table);
        let cap = old.len() * 2;
        self.table = vec![0; cap];
        self.shift = 64 - cap.trailing_zeros();
        let mask = cap - 1;
        for e in old.into_iter().filter(|&e| e != 0) {
            let mut slot = self.home(e >> 32);
            while self.table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.table[slot] = e;
        }
    }
}

/// Word-by-word equality (short slices: cheaper than a `memcmp` call).
#[inline]
fn same_words(a: &[u64], b: &[u64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}
