//! The model file as serde reads it, before validation. Values that are
//! validated later keep their place in the file ([`Spanned`]) so that an
//! error can name it.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub name: Option<Spanned<String>>,
    pub about: Option<String>,
    pub protocol: Spanned<String>,
    pub stale_after: Option<Spanned<String>>,
    pub tries: Option<Spanned<u32>>,
    pub retry_delay: Option<Spanned<String>>,
    pub acquire: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub torn_writes: Option<Spanned<usize>>,
    pub power_loss_profile: Option<Spanned<String>>,
    pub workload: Option<Spanned<String>>,
    pub processes: Option<Spanned<usize>>,
    #[serde(default)]
    pub process: Vec<Spanned<RawProcess>>,
    #[serde(default)]
    pub file: Vec<RawFile>,
    #[serde(default)]
    pub fault: Vec<Spanned<RawFault>>,
    pub properties: Option<Vec<Spanned<String>>>,
    pub explore: Option<RawExplore>,
    pub expect: Spanned<String>,
    pub violates: Option<Spanned<String>>,
}

/// One `[[process]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProcess {
    pub ops: Vec<Spanned<String>>,
    #[serde(default)]
    pub before: Vec<Spanned<String>>,
    pub count: Option<Spanned<usize>>,
}

/// One `[[file]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub path: Spanned<String>,
    pub contents: String,
}

/// One `[[fault]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFault {
    pub kind: Spanned<String>,
    pub process: Option<Spanned<usize>>,
    pub duration: Option<Spanned<String>>,
    pub ahead: Option<Spanned<String>>,
    pub behind: Option<Spanned<String>>,
    pub path: Option<String>,
}

/// The `[explore]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExplore {
    pub strategy: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub iterations: Option<Spanned<usize>>,
    pub depth: Option<Spanned<usize>>,
    pub preemptions: Option<usize>,
}
