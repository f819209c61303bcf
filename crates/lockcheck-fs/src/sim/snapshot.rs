//! A plain picture of a file tree, for assertions and for checking crash
//! states.

use std::collections::BTreeMap;
use std::fmt;

/// The files and directories reachable from the root at one moment: paths
/// (relative, `/`-separated) to contents, `None` for a directory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Snapshot {
    entries: BTreeMap<String, Option<Vec<u8>>>,
}

impl Snapshot {
    pub(crate) fn new(entries: BTreeMap<String, Option<Vec<u8>>>) -> Snapshot {
        Snapshot { entries }
    }

    /// Every path, sorted, directories mapped to `None`.
    pub fn entries(&self) -> &BTreeMap<String, Option<Vec<u8>>> {
        &self.entries
    }

    /// The contents of the file at `path`, if there is a file there.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.entries.get(path)?.as_deref()
    }

    /// True when `path` names a file or directory.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// The paths of regular files, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k.as_str())
    }
}

impl fmt::Display for Snapshot {
    /// One line per entry: `dir/` for directories, `file = "contents"` for
    /// files (escaped, cut at 60 bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, data) in &self.entries {
            match data {
                None => writeln!(f, "{path}/")?,
                Some(bytes) => {
                    let shown = &bytes[..bytes.len().min(60)];
                    let more = if bytes.len() > 60 { "..." } else { "" };
                    writeln!(f, "{path} = \"{}\"{more}", shown.escape_ascii())?
                }
            }
        }
        Ok(())
    }
}
