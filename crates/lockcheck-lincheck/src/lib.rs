//! Histories, sequential specifications, and a fast linearizability checker.
//!
//! A *history* records what concurrent processes did: each operation's
//! invocation and its completion (`ok` with an output, `fail` if it certainly
//! did not happen, `info` if its outcome is unknown). A *spec* says what one
//! object does when operations run one at a time. The history is
//! *linearizable* if every operation can be given a single instant between
//! its call and its return such that, in that order, the spec accepts every
//! output. The checker finds such an order (a witness) or shows that none
//! exists.
//!
//! ```
//! use lockcheck_lincheck::specs::{MutexInput::*, MutexOutput::*, MutexSpec};
//! use lockcheck_lincheck::{History, check};
//!
//! // Processes 1 and 2 both acquire the lock; 1 releases only after 2's
//! // acquire returned: two holders at once.
//! let mut h = History::new();
//! h.invoke(1, Acquire(1))?;
//! h.ok(1, Acquired)?; // op 0
//! h.invoke(2, Acquire(2))?;
//! h.ok(2, Acquired)?; // op 1
//! h.invoke(1, Release(1))?;
//! h.ok(1, Released)?; // op 2
//! let verdict = check(&MutexSpec, &h);
//! assert_eq!(
//!     verdict.to_string(),
//!     "not linearizable (partition 0): longest linearizable prefix [0], then none of [1] can be placed"
//! );
//!
//! // Had 2's acquire still been waiting when 1 released, all is well:
//! let mut h = History::new();
//! h.invoke(1, Acquire(1))?;
//! h.ok(1, Acquired)?;
//! h.invoke(2, Acquire(2))?;
//! h.invoke(1, Release(1))?;
//! h.ok(1, Released)?;
//! h.ok(2, Acquired)?;
//! assert_eq!(check(&MutexSpec, &h).to_string(), "linearizable: [0 2 1]");
//! # Ok::<(), lockcheck_lincheck::HistoryError>(())
//! ```
//!
//! # Pieces
//!
//! - [`History`] is built event by event ([`History::invoke`],
//!   [`History::ok`], [`History::fail`], [`History::info`]) or read from a
//!   file with [`formats`] (our JSON, Jepsen/Knossos EDN, Jepsen etcd logs).
//! - [`Spec`] is the sequential specification; [`specs`] ships a mutex, a
//!   lease lock with fencing tokens, a claim-once set, seed 003's agent
//!   registry, a task board, a CAS register and a key-value store.
//! - [`check`] and [`check_with`] give a [`Verdict`]: linearizable with a
//!   witness order, not linearizable with the longest linearizable prefix
//!   and the operations that cannot be placed next, or unknown when a time
//!   or memory budget ([`CheckOptions`]) runs out. The search is Wing and
//!   Gong's, with Lowe's memo of (linearized set, state) and Horn and
//!   Kroening's P-compositionality ([`Spec::partition`]).
//! - [`html::render_html`] draws a history and its verdict as one
//!   self-contained HTML file.
//!
//! # Feeding it from an explorer
//!
//! Record `invoke` when a process starts an operation and `ok`/`fail`/`info`
//! when it ends (a crashed process's pending operation stays pending: it is
//! treated as `info`), in the order the events happened, then call
//! `check(&spec, &history)`. Inputs carry whatever the spec needs, such as
//! the caller's id for a mutex. Threads can share a [`Recorder`] (a
//! cloneable handle on one history) and [`Recorder::take`] it at the end.
//! On failure, [`html::render_html`] and [`formats::to_json`] save the
//! history for a person or a later replay.

#![warn(missing_docs)]

pub mod checker;
pub mod formats;
mod hash;
pub mod history;
pub mod html;
mod recorder;
pub mod spec;
pub mod specs;

pub use checker::{CheckOptions, Counterexample, UnknownReason, Verdict, check, check_with};
pub use history::{Event, History, HistoryError, OpId, OpResult, Operation, ProcessId};
pub use recorder::Recorder;
pub use spec::Spec;
