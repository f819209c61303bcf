//! Paths as the kernel takes them, shared by both backends: the checks
//! `getname` makes before any lookup, and the split into components that a
//! walk then follows one by one. Nothing here resolves `..`: only a walk
//! that has reached a directory knows where its `..` goes.

use std::io;
use std::path::Path;

use crate::errno::{Errno, err};

/// `PATH_MAX`: a path of this many bytes or more is refused
/// (`ENAMETOOLONG`), since with its terminating NUL it would not fit.
pub(crate) const PATH_MAX: usize = 4096;
/// `NAME_MAX`: the longest name one directory entry can have (ext4, tmpfs).
pub(crate) const NAME_MAX: usize = 255;

/// Checks a path as a system call receives it, before any lookup: a name
/// that is not UTF-8 (SimFs keeps names as strings; RealFs refuses the same
/// paths so that both agree) or holds a NUL byte gives `EINVAL` (a C
/// string cannot hold one: Rust's std refuses such a path with
/// `InvalidInput` and no errno, rustix, which RealFs calls, with `EINVAL`,
/// and SimFs says the same); a path of
/// [`PATH_MAX`] bytes or more `ENAMETOOLONG`; the empty path `ENOENT`.
pub(crate) fn checked(path: &Path) -> io::Result<&str> {
    let s = path.to_str().ok_or_else(|| err(Errno::EINVAL))?;
    if s.contains('\0') {
        return Err(err(Errno::EINVAL));
    }
    if s.len() >= PATH_MAX {
        return Err(err(Errno::ENAMETOOLONG));
    }
    if s.is_empty() {
        return Err(err(Errno::ENOENT));
    }
    Ok(s)
}

/// A checked path split at its slashes, with nothing resolved yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Components<'a> {
    /// The components in order, `.` and `..` included, empty ones (from
    /// `//` or a leading or trailing `/`) dropped. Empty for `/`.
    pub parts: Vec<&'a str>,
    /// The path ends in `/`: what it names must be a directory.
    pub trailing_slash: bool,
}

/// What the last component of a path is, which decides what calls that
/// create or remove a name do with it (the kernel's `last_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Last<'a> {
    /// No component at all: the path is `/` (`LAST_ROOT`).
    Root,
    /// `.` (`LAST_DOT`).
    Dot,
    /// `..` (`LAST_DOTDOT`).
    DotDot,
    /// A name (`LAST_NORM`).
    Name(&'a str),
}

impl<'a> Components<'a> {
    /// The components before the last, and the last.
    pub fn split_last(&self) -> (&[&'a str], Last<'a>) {
        match self.parts.split_last() {
            None => (&[], Last::Root),
            Some((&".", before)) => (before, Last::Dot),
            Some((&"..", before)) => (before, Last::DotDot),
            Some((&name, before)) => (before, Last::Name(name)),
        }
    }
}

/// Checks `path` ([`checked`]) and splits it into components. A leading `/`
/// starts at the backend's root, which acts as the root of everything.
pub(crate) fn components(path: &Path) -> io::Result<Components<'_>> {
    let s = checked(path)?;
    Ok(Components {
        parts: s.split('/').filter(|n| !n.is_empty()).collect(),
        trailing_slash: s.ends_with('/'),
    })
}

/// `ENAMETOOLONG` for a name longer than [`NAME_MAX`], as a file system's
/// lookup of that name says.
pub(crate) fn check_name(name: &str) -> io::Result<()> {
    if name.len() > NAME_MAX {
        return Err(err(Errno::ENAMETOOLONG));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(p: &str) -> (Vec<&str>, bool) {
        let c = components(Path::new(p)).unwrap();
        (c.parts, c.trailing_slash)
    }

    fn errno(p: &str) -> Option<Errno> {
        components(Path::new(p))
            .err()
            .and_then(|e| crate::errno_of(&e))
    }

    #[test]
    fn components_keep_dot_and_dotdot_for_the_walk_to_resolve() {
        assert_eq!(parts("/a/b"), (vec!["a", "b"], false));
        assert_eq!(parts("a/./b/../c"), (vec!["a", ".", "b", "..", "c"], false));
        assert_eq!(parts("../../x"), (vec!["..", "..", "x"], false));
        assert_eq!(parts("/"), (vec![], true));
        assert_eq!(parts("d//"), (vec!["d"], true));
    }

    #[test]
    fn empty_nul_and_overlong_paths_are_refused_before_any_lookup() {
        assert_eq!(errno(""), Some(Errno::ENOENT));
        assert_eq!(errno("a\0b"), Some(Errno::EINVAL));
        assert_eq!(errno(&"a".repeat(PATH_MAX)), Some(Errno::ENAMETOOLONG));
        assert_eq!(errno(&"a".repeat(PATH_MAX - 1)), None);
    }

    #[test]
    fn the_last_component_says_root_dot_dotdot_or_name() {
        let last = |p: &'static str| components(Path::new(p)).unwrap().split_last().1;
        assert_eq!(last("/"), Last::Root);
        assert_eq!(last("a/."), Last::Dot);
        assert_eq!(last(".."), Last::DotDot);
        assert_eq!(last("a/b/"), Last::Name("b"));
    }
}
