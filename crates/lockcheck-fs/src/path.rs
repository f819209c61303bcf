//! Lexical path normalization shared by both backends, so that a path means
//! the same file under RealFs and SimFs.

use std::io;
use std::path::Path;

use crate::errno::{Errno, err};

/// A path split into its names below the file-system root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Components<'a> {
    /// The names from the root down; empty for the root itself.
    pub parts: Vec<&'a str>,
    /// The path ended in `/` (or `/.`): the target must be a directory.
    pub trailing_slash: bool,
    /// The last name written was `.` or `..`, which `rmdir` refuses
    /// (`EINVAL` and `ENOTEMPTY`) even though the path names a directory.
    pub last_dots: Option<Dots>,
}

/// A path's last name was `.` or `..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dots {
    /// `.`
    One,
    /// `..`
    Two,
}

impl Components<'_> {
    /// The parent's names and the last name, or `None` for the root.
    pub fn split_last(&self) -> Option<(&[&str], &str)> {
        let (last, parent) = self.parts.split_last()?;
        Some((parent, last))
    }

    /// True when `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &Components<'_>) -> bool {
        self.parts.starts_with(&other.parts)
    }
}

/// Splits a path into names. A leading `/` is the file system's root (it is
/// never the host's root). `.` is dropped and `..` removes the previous name
/// (at the root it stays at the root), so no path escapes the root. A name
/// that is not UTF-8 gives `EINVAL`.
pub(crate) fn components(path: &Path) -> io::Result<Components<'_>> {
    let s = path.to_str().ok_or_else(|| err(Errno::EINVAL))?;
    let mut parts = Vec::new();
    let mut trailing_slash = false;
    let mut last_dots = None;
    for name in s.split('/') {
        trailing_slash = matches!(name, "" | "." | "..");
        last_dots = match name {
            "" => last_dots,
            "." => Some(Dots::One),
            ".." => Some(Dots::Two),
            _ => None,
        };
        match name {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(name),
        }
    }
    Ok(Components {
        trailing_slash: trailing_slash && !parts.is_empty(),
        parts,
        last_dots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> (Vec<&str>, bool) {
        let c = components(Path::new(p)).unwrap();
        (c.parts, c.trailing_slash)
    }

    #[test]
    fn leading_slash_dot_and_dotdot_stay_inside_the_root() {
        assert_eq!(parts("/a/b"), (vec!["a", "b"], false));
        assert_eq!(parts("a/./b/../c"), (vec!["a", "c"], false));
        assert_eq!(parts("../../x"), (vec!["x"], false));
        assert_eq!(parts(""), (vec![], false));
        assert_eq!(parts("/"), (vec![], false));
        assert_eq!(parts("d/"), (vec!["d"], true));
    }
}
