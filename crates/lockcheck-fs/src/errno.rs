//! The errno values SimFs gives, as a small enum convertible to and from
//! `std::io::Error`.

use std::fmt;
use std::io;

macro_rules! errnos {
    ($($name:ident => $doc:literal,)*) => {
        /// An errno a file-system call can fail with. Converts to an
        /// [`io::Error`] whose `raw_os_error` is the Linux value, so errors
        /// from SimFs and RealFs compare equal.
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Errno {
            $(#[doc = $doc] $name,)*
        }

        impl Errno {
            /// The Linux errno number.
            pub fn raw(self) -> i32 {
                match self {
                    $(Errno::$name => libc::$name,)*
                }
            }

            /// The variant for a Linux errno number, if it is one we model.
            pub fn from_raw(raw: i32) -> Option<Errno> {
                match raw {
                    $(x if x == libc::$name => Some(Errno::$name),)*
                    _ => None,
                }
            }

            /// The symbolic name, e.g. `"ENOENT"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Errno::$name => stringify!($name),)*
                }
            }
        }
    };
}

errnos! {
    ENOENT => "No such file or directory.",
    EEXIST => "File exists.",
    EBADF => "Bad file descriptor, or not open for the access asked.",
    EWOULDBLOCK => "A non-blocking lock met a conflicting lock (same value as EAGAIN).",
    ENOTEMPTY => "Directory not empty.",
    ENOTDIR => "A path component, or the target, is not a directory.",
    EISDIR => "A directory where a file was needed.",
    EINVAL => "Invalid argument (negative seek, rename into own subdirectory, ...).",
    EPERM => "Operation not permitted (link of a directory).",
    EBUSY => "The root directory cannot be removed or renamed.",
    EDEADLK => "A blocking POSIX lock would deadlock.",
    EIO => "Input/output error.",
    EFBIG => "File too large (SimFs keeps files in memory: at most 1 GiB).",
    ESRCH => "The calling simulated process has crashed or exited.",
    ECHILD => "No exited, unreaped process with this pid (SimFs::reap).",
    ENAMETOOLONG => "A name longer than 255 bytes, or a path of 4096 bytes or more.",
    EMFILE => "The process has a descriptor open at every number below RLIMIT_NOFILE.",
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<Errno> for io::Error {
    fn from(e: Errno) -> io::Error {
        io::Error::from_raw_os_error(e.raw())
    }
}

/// Builds the [`io::Error`] for an errno.
pub fn err(e: Errno) -> io::Error {
    e.into()
}

/// The errno an [`io::Error`] carries, if it is one we model.
pub fn errno_of(e: &io::Error) -> Option<Errno> {
    e.raw_os_error().and_then(Errno::from_raw)
}
