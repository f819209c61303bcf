//! The Wing–Gong search with Lowe's memoization, over one partition.
//!
//! Call and return entries of the operations that returned form a doubly
//! linked list in time order; the calls of operations with an unknown
//! outcome (info, pending: they return at +infinity) form a second list.
//! The search walks the first list from its head: at a call entry it tries
//! to linearize that operation next (step the spec, and skip configurations
//! already in the memo); linearizing lifts the call and its return out of
//! the list. At the first return entry, the candidates left are the
//! unknown-outcome operations called before that return: the search walks
//! the second list up to that time. When no candidate works, some operation
//! that must precede that return cannot be placed, so the search
//! backtracks: it pops the last linearized operation, unlifts it, and tries
//! the next candidate after it. Trying definite operations first finds a
//! witness sooner; every candidate is still tried, so the verdict is exact.

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

/// Entry kinds.
const RETURN: u8 = 0;
const CALL: u8 = 1;
const UNKNOWN_CALL: u8 = 2;

/// How far back in call order an unknown-outcome call looks for a twin.
const TWIN_WINDOW: usize = 512;

/// The two lists in one index space: the definite list's head is 0 and its
/// tail `tail`; the unknown list's head is `tail + 1`, its tail the last
/// index. Tails are return-kind entries at time +infinity.
struct Entries {
    next: Vec<u32>,
    prev: Vec<u32>,
    kind: Vec<u8>,
    time: Vec<u64>,
    /// The operation of each entry.
    op: Vec<u32>,
    /// For a definite call entry, its return entry.
    mate: Vec<u32>,
    /// For an unknown-outcome call, the operation of its nearest earlier
    /// interchangeable twin (`u32::MAX`: none).
    twin: Vec<u32>,
    unknown_head: usize,
}

impl Entries {
    fn new<I, O>(ops: &[PartOp<'_, I, O>], same: impl Fn(&I, &I) -> bool) -> Entries {
        // (time, is_return, op) of the definite list, and the unknown calls.
        let mut definite: Vec<(u64, bool, u32)> = Vec::new();
        let mut unknown: Vec<(u64, u32)> = Vec::new();
        for (i, o) in ops.iter().enumerate() {
            match o.ret {
                Some(r) => {
                    definite.push((o.call, false, i as u32));
                    definite.push((r, true, i as u32));
                }
                None => unknown.push((o.call, i as u32)),
            }
        }
        definite.sort_unstable();
        unknown.sort_unstable();
        let tail = definite.len() + 1;
        let unknown_head = tail + 1;
        let len = unknown_head + unknown.len() + 2;
        let mut e = Entries {
            next: (1..=len as u32).collect(),
            prev: (0..len as u32).map(|i| i.saturating_sub(1)).collect(),
            kind: vec![RETURN; len],
            time: vec![u64::MAX; len],
            op: vec![u32::MAX; len],
            mate: vec![0; len],
            twin: vec![u32::MAX; len],
            unknown_head,
        };
        let mut call_of = vec![0u32; ops.len()];
        for (k, &(t, is_ret, op)) in definite.iter().enumerate() {
            let idx = k + 1;
            e.op[idx] = op;
            e.time[idx] = t;
            if is_ret {
                e.mate[call_of[op as usize] as usize] = idx as u32;
            } else {
                e.kind[idx] = CALL;
                call_of[op as usize] = idx as u32;
            }
        }
        for (k, &(t, op)) in unknown.iter().enumerate() {
            let idx = unknown_head + 1 + k;
            e.op[idx] = op;
            e.time[idx] = t;
            e.kind[idx] = UNKNOWN_CALL;
            // The nearest earlier twin, looking back a bounded distance
            // (a twin missed only means less pruning).
            let twin = unknown[k.saturating_sub(TWIN_WINDOW)..k]
                .iter()
                .rev()
                .find(|(_, other)| same(ops[*other as usize].input, ops[op as usize].input));
            if let Some(&(_, other)) = twin {
                e.twin[idx] = other;
            }
        }
        e
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

    /// Removes a call entry (and a definite call's return entry).
    #[inline]
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        if self.kind[call] == CALL {
            self.unlink(self.mate[call] as usize);
        }
    }

    /// Puts them back, in the reverse order.
    #[inline]
    fn unlift(&mut self, call: usize) {
        if self.kind[call] == CALL {
            self.relink(self.mate[call] as usize);
        }
        self.relink(call);
    }

    /// The time of the first return in the definite list.
    fn first_return_time(&self) -> u64 {
        let mut e = self.next[0] as usize;
        while self.kind[e] != RETURN {
            e = self.next[e] as usize;
        }
        self.time[e]
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
    /// Linearized call entries and the state before each.
    stack: Vec<(u32, S::State)>,
    best: Vec<usize>,
    state: S::State,
    /// Where the scan is.
    entry: usize,
    /// While scanning the unknown list: the time of the first return.
    limit: u64,
    remaining: usize,
}

impl<'a, S: Spec> Search<'a, S> {
    /// A search over `ops`, starting from the spec's initial state.
    pub(crate) fn new(spec: &'a S, ops: Vec<PartOp<'a, S::Input, S::Output>>) -> Self {
        let n = ops.len();
        let remaining = ops.iter().filter(|o| o.ret.is_some()).count();
        let list = Entries::new(&ops, |a, b| spec.interchangeable(a, b));
        let bits = Bitset::new(n);
        let stride = bits.words().len();
        let entry = list.next[0] as usize;
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
            limit: 0,
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
        let unknown_head = list.unknown_head;
        let mut entry = self.entry;
        let mut limit = self.limit;
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
            let kind = list.kind[entry];
            if kind == RETURN && entry < unknown_head {
                // The first return of the definite list: the unknown-outcome
                // operations called before it are the other candidates.
                limit = list.time[entry];
                entry = list.next[unknown_head] as usize;
                continue;
            }
            let candidate = match kind {
                CALL => true,
                // Twins with unknown outcomes go in call order.
                UNKNOWN_CALL => {
                    list.time[entry] < limit
                        && (list.twin[entry] == u32::MAX
                            || self.bits.contains(list.twin[entry] as usize))
                }
                _ => false,
            };
            if candidate {
                let op = list.op[entry] as usize;
                let o = &ops[op];
                if let Some(next_state) = spec.step(&self.state, o.input, o.output) {
                    self.bits.insert(op);
                    let h = self.bits.hash() ^ spec.hash_state(&next_state);
                    match self.cache.insert(self.bits.words(), &next_state, h) {
                        Ok(true) => {
                            let old = std::mem::replace(&mut self.state, next_state);
                            self.stack.push((entry as u32, old));
                            list.lift(entry);
                            if kind == CALL {
                                self.remaining -= 1;
                                if self.remaining == 0 {
                                    let order = self
                                        .stack
                                        .iter()
                                        .map(|(e, _)| list.op[*e as usize] as usize);
                                    break Some(PartResult::Ok(order.collect()));
                                }
                            }
                            if self.stack.len() > self.best.len() {
                                self.best.clear();
                                self.best.extend(
                                    self.stack
                                        .iter()
                                        .map(|(e, _)| list.op[*e as usize] as usize),
                                );
                            }
                            entry = list.next[0] as usize;
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
                continue;
            }
            // The end of the candidates: backtrack.
            let Some((e, old)) = self.stack.pop() else {
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
            if list.kind[e] == CALL {
                self.remaining += 1;
            }
            list.unlift(e);
            entry = list.next[e] as usize;
            if list.kind[e] == UNKNOWN_CALL {
                limit = list.first_return_time();
            }
        };
        self.entry = entry;
        self.limit = limit;
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
