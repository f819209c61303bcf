//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Deterministic concurrency testing for file-based lock protocols.
#[derive(Debug, Parser)]
#[command(name = "lockcheck", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explore every model file and compare each verdict with the one it
    /// expects (exit 0: all as expected, 1: some not, 2: bad input).
    Check(CheckArgs),
    /// Re-run one schedule of a model and print its trace.
    Replay(ReplayArgs),
    /// Check that a history is linearizable against a sequential spec
    /// (exit 0: linearizable, 1: not, 2: bad input, 3: out of budget).
    Lincheck(LincheckArgs),
    /// List the protocols, variants, workloads, operations, specs,
    /// properties, fault kinds and strategies known.
    List(ListArgs),
}

/// `lockcheck check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Model files, or directories of them (their `.toml` files).
    #[arg(default_value = "models")]
    pub paths: Vec<PathBuf>,
    /// Print a machine-readable JSON report on standard output instead of
    /// text.
    #[arg(long)]
    pub json: bool,
    /// Record each model's protocol operations, and write the history of
    /// every violation as an HTML timeline (with its linearizability
    /// verdict) to DIR/MODEL.html.
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
}

/// `lockcheck replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The model file.
    pub model: PathBuf,
    /// The schedule string, as `check` printed it (e.g. `v1:a11b10a9`).
    pub schedule: String,
    /// Record the protocol operations, and write their history as an HTML
    /// timeline (with its linearizability verdict) to this file.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
}

/// `lockcheck lincheck`.
#[derive(Debug, Args)]
pub struct LincheckArgs {
    /// The history file.
    pub history: PathBuf,
    /// The sequential specification to check against.
    #[arg(long, value_enum)]
    pub spec: SpecName,
    /// The history's format (default: from the file's extension, then its
    /// first characters).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write the history and the verdict as a self-contained HTML
    /// timeline to this file.
    #[arg(long, value_name = "OUT")]
    pub html: Option<PathBuf>,
    /// Give up (exit 3) after this many seconds (more than 0, at most
    /// 1e9).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
}

/// `lockcheck list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The specs `lincheck` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SpecName {
    /// A compare-and-set register (read, write, cas).
    Register,
    /// A key-value store (get, put, append), checked key by key.
    Kv,
    /// The same store, checked as one object.
    KvWholeMap,
    /// A mutex (acquire, release).
    Mutex,
    /// A lease lock with fencing tokens.
    Lease,
    /// A claim-once set of tasks.
    Claim,
    /// Seed 003's agent registry.
    Registry,
    /// A task board.
    Taskboard,
}

/// The history formats `lincheck` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// lockcheck's JSON history: `{"events": [...]}`.
    Json,
    /// Jepsen / Knossos EDN: one map per event.
    Edn,
    /// Jepsen etcd log lines, as Porcupine's test data has them.
    Etcd,
}
