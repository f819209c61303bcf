//! The linearizability checker: partition the history (P-compositionality),
//! then run the memoized Wing–Gong search on each partition in order.

mod bitset;
mod cache;
mod search;

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::history::{History, OpId};
use crate::spec::Spec;
use search::{Memory, PartOp, PartResult, Search};

/// Budgets for one check. When one runs out the verdict is
/// [`Verdict::Unknown`], never a guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Wall-clock limit for the whole check; `None` for no limit.
    pub time_limit: Option<Duration>,
    /// Bytes the memos of explored configurations may use, all partitions
    /// together (bitset, state value and table slot per configuration; heap
    /// data a state points to, and tables a spec keeps, are not counted).
    /// Default: 1 GiB.
    pub memory_limit: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            time_limit: None,
            memory_limit: 1 << 30,
        }
    }
}

impl CheckOptions {
    /// These options with a time limit (one past what the system clock
    /// can represent, such as [`Duration::MAX`], is no limit).
    pub fn with_time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// These options with a memo memory limit in bytes.
    pub fn with_memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }
}

/// Why a check gave up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnknownReason {
    /// The time limit ran out.
    TimeLimit {
        /// The limit.
        limit: Duration,
    },
    /// The memo reached its memory limit.
    MemoryLimit {
        /// Configurations memoized when it stopped.
        entries: usize,
        /// The limit in bytes.
        bytes: usize,
    },
}

/// Why a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// Which partition failed (0-based, in order of first appearance).
    pub partition: usize,
    /// The longest sequence of operations of that partition that the spec
    /// accepts in an order respecting real time.
    pub longest_prefix: Vec<OpId>,
    /// After that prefix: the not-yet-linearized operations called before
    /// the earliest pending return. One of them must come next, and none
    /// can (the spec rejects it, or every continuation fails).
    pub unplaceable: Vec<OpId>,
}

/// The verdict on a history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Linearizable. `witness` is a linearization: every operation that
    /// returned, and the info/pending ones that took effect, in an order the
    /// spec accepts and that respects real time. Info operations not listed
    /// never took effect (or took effect after everything else).
    Linearizable {
        /// The linearization order.
        witness: Vec<OpId>,
    },
    /// Not linearizable.
    NotLinearizable(Counterexample),
    /// A budget ran out before a verdict.
    Unknown {
        /// Which.
        reason: UnknownReason,
    },
}

impl Verdict {
    /// Whether the verdict is [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable { .. })
    }

    /// Whether the verdict is [`Verdict::NotLinearizable`].
    pub fn is_not_linearizable(&self) -> bool {
        matches!(self, Verdict::NotLinearizable(_))
    }

    /// Whether the verdict is [`Verdict::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown { .. })
    }
}

fn ids(v: &[OpId]) -> String {
    let s: Vec<String> = v.iter().map(|i| i.0.to_string()).collect();
    s.join(" ")
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable { witness } => write!(f, "linearizable: [{}]", ids(witness)),
            Verdict::NotLinearizable(c) => write!(
                f,
                "not linearizable (partition {}): longest linearizable prefix [{}], then none of [{}] can be placed",
                c.partition,
                ids(&c.longest_prefix),
                ids(&c.unplaceable)
            ),
            Verdict::Unknown {
                reason: UnknownReason::TimeLimit { limit },
            } => write!(f, "unknown: time limit of {limit:?} ran out"),
            Verdict::Unknown {
                reason: UnknownReason::MemoryLimit { entries, bytes },
            } => write!(
                f,
                "unknown: memo limit of {bytes} bytes reached after {entries} configurations"
            ),
        }
    }
}

/// The resolved budget of one check.
pub(crate) struct Budget {
    pub(crate) deadline: Option<Instant>,
    pub(crate) time_limit: Option<Duration>,
    pub(crate) memory_bytes: usize,
}

/// Checks `history` against `spec` with the default options (no time
/// limit, 1 GiB of memo).
pub fn check<S: Spec>(spec: &S, history: &History<S::Input, S::Output>) -> Verdict {
    check_with(spec, history, &CheckOptions::default())
}

/// Checks `history` against `spec` within `options`' budgets.
///
/// Failed operations are dropped. Operations are split into partitions by
/// [`Spec::partition`]. The partitions' searches run in order, round-robin,
/// each for a slice of steps that doubles every round (as if they ran in
/// parallel), so that a partition that fails quickly is found even behind
/// one whose search is long; the check stops at the first partition found
/// not linearizable. The memory limit is shared by the partitions' memos.
pub fn check_with<S: Spec>(
    spec: &S,
    history: &History<S::Input, S::Output>,
    options: &CheckOptions,
) -> Verdict {
    let budget = Budget {
        // A limit past what the clock can represent is no limit.
        deadline: options
            .time_limit
            .and_then(|d| Instant::now().checked_add(d)),
        time_limit: options.time_limit,
        memory_bytes: options.memory_limit,
    };
    let mut memory = Memory {
        used: 0,
        limit: options.memory_limit,
    };
    let parts = partitions(spec, history);
    let mut searches: Vec<Option<Search<'_, S>>> = parts
        .iter()
        .map(|members| {
            let ops = members
                .iter()
                .map(|&id| {
                    let op = history.op(id);
                    PartOp {
                        input: &op.input,
                        output: op.output(),
                        call: op.call,
                        ret: op.returns_at(),
                    }
                })
                .collect();
            Some(Search::new(spec, ops))
        })
        .collect();
    let mut witnesses: Vec<Vec<OpId>> = vec![Vec::new(); parts.len()];
    let mut unknown = None;
    let mut slice: u64 = 1 << 14;
    let mut live = parts.len();
    while live > 0 {
        for (p, slot) in searches.iter_mut().enumerate() {
            let Some(search) = slot else { continue };
            let Some(result) = search.run(slice, &budget, &mut memory) else {
                continue;
            };
            memory.used -= search.memory();
            *slot = None;
            live -= 1;
            let members = &parts[p];
            match result {
                PartResult::Ok(order) => {
                    witnesses[p] = order.into_iter().map(|i| members[i]).collect()
                }
                PartResult::Fail {
                    prefix,
                    unplaceable,
                } => {
                    return Verdict::NotLinearizable(Counterexample {
                        partition: p,
                        longest_prefix: prefix.into_iter().map(|i| members[i]).collect(),
                        unplaceable: unplaceable.into_iter().map(|i| members[i]).collect(),
                    });
                }
                PartResult::Unknown(reason @ UnknownReason::TimeLimit { .. }) => {
                    return Verdict::Unknown { reason };
                }
                PartResult::Unknown(reason) => {
                    unknown.get_or_insert(reason);
                }
            }
        }
        slice = slice.saturating_mul(2);
    }
    match unknown {
        Some(reason) => Verdict::Unknown { reason },
        None => Verdict::Linearizable {
            witness: merge(history, &witnesses),
        },
    }
}

/// Groups the operations that did not fail by partition, in order of first
/// appearance.
fn partitions<S: Spec>(spec: &S, history: &History<S::Input, S::Output>) -> Vec<Vec<OpId>> {
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut parts: Vec<Vec<OpId>> = Vec::new();
    for op in history.ops().iter().filter(|o| o.counts()) {
        let key = spec.partition(&op.input);
        let p = *index.entry(key).or_insert_with(|| {
            parts.push(Vec::new());
            parts.len() - 1
        });
        parts[p].push(op.id);
    }
    parts
}

/// Merges per-partition linearizations into one global order: each
/// operation gets the earliest point not before its call nor before its
/// predecessor's point, which lies before its return; sorting by point keeps
/// real-time order across partitions.
fn merge<I, O>(history: &History<I, O>, witnesses: &[Vec<OpId>]) -> Vec<OpId> {
    let mut points: Vec<(u64, usize, usize, OpId)> = Vec::new();
    for (p, w) in witnesses.iter().enumerate() {
        let mut point = 0;
        for (k, &id) in w.iter().enumerate() {
            point = point.max(history.op(id).call);
            points.push((point, p, k, id));
        }
    }
    points.sort_unstable();
    points.into_iter().map(|(_, _, _, id)| id).collect()
}
