//! The Wing–Gong search with Lowe's memoization, over one partition.
//!
//! Call and return entries form a doubly linked list in time order. The
//! search walks it from the head: at a call entry it tries to linearize that
//! operation next (step the spec, and skip configurations already in the
//! memo); linearizing lifts the call and its return out of the list. At a
//! return entry, some operation that must precede it could not be placed, so
//! the search backtracks: it pops the last linearized operation, unlifts it,
//! and tries the next candidate after it.

use std::time::Instant;

use super::bitset::Bitset;
use super::cache::{Cache, CacheFull};
use super::{Budget, UnknownReason};
use crate::spec::Spec;

/// One operation of the partition, borrowed from the history.
pub(crate) struct PartOp<'a, I, O> {
    pub(crate) input: &'a I,
    pub(crate) output: Option<&'a O>,
    pub(crate) call: u64,
    /// `None`: returns at +infinity (info or pending).
    pub(crate) ret: Option<u64>,
}

/// The outcome for one partition, in partition-local operation indices.
pub(crate) enum PartResult {
    /// A linearization of every definite operation (and of the unknown ones
    /// that took effect).
    Ok(Vec<usize>),
    /// Not linearizable.
    Fail {
        prefix: Vec<usize>,
        unplaceable: Vec<usize>,
    },
    /// The budget ran out.
    Unknown(UnknownReason),
}

const HEAD: usize = 0;

/// Doubly linked list of entries: index 0 is the head, `2n + 1` the tail.
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
    /// The operation of each entry.
    op: Vec<u32>,
    /// For a call entry, its return entry; 0 for a return entry.
    mate: Vec<u32>,
}

impl Entries {
    fn new<I, O>(ops: &[PartOp<'_, I, O>]) -> Entries {
        let n = ops.len();
        // (time, is_return, op): calls and returns in time order; every
        // open-ended return goes last.
        let mut ev: Vec<(u64, bool, u32)> = Vec::with_capacity(2 * n);
        for (i, o) in ops.iter().enumerate() {
            ev.push((o.call, false, i as u32));
            ev.push((o.ret.unwrap_or(u64::MAX), true, i as u32));
        }
        ev.sort_unstable();
        let len = 2 * n + 2;
        let mut e = Entries {
            next: (1..=len as u32).collect(),
            prev: (0..len as u32).map(|i| i.saturating_sub(1)).collect(),
            op: vec![u32::MAX; len],
            mate: vec![0; len],
        };
        let mut call_of = vec![0u32; n];
        for (k, &(_, is_ret, op)) in ev.iter().enumerate() {
            e.op[k + 1] = op;
            if !is_ret {
                call_of[op as usize] = (k + 1) as u32;
            }
        }
        for (k, &(_, is_ret, op)) in ev.iter().enumerate() {
            if is_ret {
                e.mate[call_of[op as usize] as usize] = (k + 1) as u32;
            }
        }
        e
    }

    #[inline]
    fn is_call(&self, e: usize) -> bool {
        self.mate[e] != 0
    }

    #[inline]
    fn unlink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    #[inline]
    fn relink(&mut self, e: usize) {
        let (p, n) = (self.prev[e], self.next[e]);
        self.next[p as usize] = e as u32;
        self.prev[n as usize] = e as u32;
    }

    /// Removes a call entry and its return entry.
    #[inline]
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.mate[call] as usize);
    }

    /// Puts them back, in the reverse order.
    #[inline]
    fn unlift(&mut self, call: usize) {
        self.relink(self.mate[call] as usize);
        self.relink(call);
    }
}

/// The memo memory shared by every partition's search.
pub(crate) struct Memory {
    /// Bytes in use by live caches.
    pub(crate) used: usize,
    /// The limit.
    pub(crate) limit: usize,
}

/// A resumable search over one partition.
pub(crate) struct Search<'a, S: Spec> {
    spec: &'a S,
    ops: Vec<PartOp<'a, S::Input, S::Output>>,
    list: Entries,
    bits: Bitset,
    cache: Cache<S::State>,
    entry_bytes: usize,
    /// Linearized call entries, the state before each, and the scan phase
    /// each was found in.
    stack: Vec<(u32, S::State, bool)>,
    best: Vec<usize>,
    state: S::State,
    entry: usize,
    /// Scan phase: `false` tries definite operations, `true` the ones with
    /// an unknown outcome.
    late: bool,
    remaining: usize,
}

impl<'a, S: Spec> Search<'a, S> {
    /// A search over `ops`, starting from the spec's initial state.
    pub(crate) fn new(spec: &'a S, ops: Vec<PartOp<'a, S::Input, S::Output>>) -> Self {
        let n = ops.len();
        let remaining = ops.iter().filter(|o| o.ret.is_some()).count();
        let list = Entries::new(&ops);
        let bits = Bitset::new(n);
        let stride = bits.words().len();
        let entry = list.next[HEAD] as usize;
        Search {
            spec,
            cache: Cache::new(stride, 0),
            entry_bytes: Cache::<S::State>::entry_bytes(stride),
            stack: Vec::with_capacity(n),
            best: Vec::new(),
            state: spec.init(),
            ops,
            list,
            bits,
            entry,
            late: false,
            remaining,
        }
    }

    /// Bytes its memo uses.
    pub(crate) fn memory(&self) -> usize {
        self.cache.len() * self.entry_bytes
    }

    /// Runs at most about `max_steps` steps; `None` if it has not finished.
    pub(crate) fn run(
        &mut self,
        max_steps: u64,
        budget: &Budget,
        memory: &mut Memory,
    ) -> Option<PartResult> {
        let before = self.memory();
        let free = memory.limit.saturating_sub(memory.used);
        self.cache
            .set_max_entries(self.cache.len() + free / self.entry_bytes);
        let r = self.go(max_steps, budget);
        memory.used += self.memory() - before;
        r
    }

    fn go(&mut self, max_steps: u64, budget: &Budget) -> Option<PartResult> {
        if self.remaining == 0 {
            return Some(PartResult::Ok(Vec::new()));
        }
        let spec = self.spec;
        let ops = &self.ops;
        let list = &mut self.list;
        let mut entry = self.entry;
        let mut late = self.late;
        let mut steps: u64 = 0;
        let result = loop {
            steps += 1;
            if steps & 0x3ff == 0 {
                if let Some(deadline) = budget.deadline
                    && Instant::now() >= deadline
                {
                    break Some(PartResult::Unknown(UnknownReason::TimeLimit {
                        limit: budget.time_limit.unwrap_or_default(),
                    }));
                }
                if steps >= max_steps {
                    break None;
                }
            }
            if list.is_call(entry) {
                let op = list.op[entry] as usize;
                let o = &ops[op];
                // Definite operations are tried before the ones with an
                // unknown outcome (the same candidates, in a better order).
                if late == o.ret.is_some() {
                    entry = list.next[entry] as usize;
                    continue;
                }
                if let Some(next_state) = spec.step(&self.state, o.input, o.output) {
                    self.bits.insert(op);
                    let h = self.bits.hash() ^ spec.hash_state(&next_state);
                    match self.cache.insert(self.bits.words(), &next_state, h) {
                        Ok(true) => {
                            let old = std::mem::replace(&mut self.state, next_state);
                            self.stack.push((entry as u32, old, late));
                            list.lift(entry);
                            if o.ret.is_some() {
                                self.remaining -= 1;
                                if self.remaining == 0 {
                                    let order = self
                                        .stack
                                        .iter()
                                        .map(|(e, _, _)| list.op[*e as usize] as usize);
                                    break Some(PartResult::Ok(order.collect()));
                                }
                            }
                            if self.stack.len() > self.best.len() {
                                self.best.clear();
                                self.best.extend(
                                    self.stack
                                        .iter()
                                        .map(|(e, _, _)| list.op[*e as usize] as usize),
                                );
                            }
                            entry = list.next[HEAD] as usize;
                            late = false;
                            continue;
                        }
                        Ok(false) => self.bits.remove(op),
                        Err(CacheFull) => {
                            self.bits.remove(op);
                            break Some(PartResult::Unknown(UnknownReason::MemoryLimit {
                                entries: self.cache.len(),
                                bytes: budget.memory_bytes,
                            }));
                        }
                    }
                }
                entry = list.next[entry] as usize;
            } else if !late {
                // The first return: now try the unknown-outcome candidates.
                late = true;
                entry = list.next[HEAD] as usize;
            } else {
                let Some((e, old, was_late)) = self.stack.pop() else {
                    let prefix = std::mem::take(&mut self.best);
                    let unplaceable = unplaceable(ops, &prefix);
                    break Some(PartResult::Fail {
                        prefix,
                        unplaceable,
                    });
                };
                let e = e as usize;
                self.state = old;
                let op = list.op[e] as usize;
                self.bits.remove(op);
                if ops[op].ret.is_some() {
                    self.remaining += 1;
                }
                list.unlift(e);
                entry = list.next[e] as usize;
                late = was_late;
            }
        };
        self.entry = entry;
        self.late = late;
        result
    }
}

/// After the longest partial linearization `prefix`: the operation with the
/// earliest return that is not linearized, and every operation called
/// before that return, none of which can be placed next.
fn unplaceable<I, O>(ops: &[PartOp<'_, I, O>], prefix: &[usize]) -> Vec<usize> {
    let mut done = vec![false; ops.len()];
    for &i in prefix {
        done[i] = true;
    }
    let deadline = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| !done[*i])
        .filter_map(|(_, o)| o.ret)
        .min()
        .unwrap_or(u64::MAX);
    (0..ops.len())
        .filter(|&i| !done[i] && ops[i].call < deadline)
        .collect()
}
