//! How call results read in a trace: strace-like.

use std::io;

use super::lock_ops::Attempt;
use super::ops::Stat;
use crate::errno_of;
use crate::{Fd, FileKind};

/// A value as a trace shows it.
pub(crate) trait Shown {
    fn show(&self) -> String;
}

impl Shown for () {
    fn show(&self) -> String {
        "0".into()
    }
}

impl Shown for usize {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Shown for u64 {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Shown for bool {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Shown for Fd {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Shown for Stat {
    fn show(&self) -> String {
        let kind = match self.kind {
            FileKind::File => "file",
            FileKind::Dir => "dir",
        };
        format!(
            "{{ino={} nlink={} size={} {kind}}}",
            self.ino, self.nlink, self.size
        )
    }
}

impl Shown for Vec<String> {
    fn show(&self) -> String {
        format!("[{}]", self.join(", "))
    }
}

impl Shown for Option<Attempt> {
    fn show(&self) -> String {
        match self {
            Some(Attempt::Taken) => "0".into(),
            Some(Attempt::Conflict(why)) => format!("blocked: {why}"),
            None => "dropped the old lock to convert it".into(),
        }
    }
}

/// A result as a trace shows it: the value, or `-1 ENOENT`.
pub(crate) fn show_result<T: Shown>(r: &io::Result<T>) -> String {
    match r {
        Ok(v) => v.show(),
        Err(e) => match errno_of(e) {
            Some(errno) => format!("-1 {errno}"),
            None => format!("-1 ({e})"),
        },
    }
}

/// Bytes as a trace shows them: escaped, cut at 48 bytes.
pub fn show_bytes(data: &[u8]) -> String {
    let cut = &data[..data.len().min(48)];
    let more = if data.len() > 48 { "..." } else { "" };
    format!("\"{}\"{more}", cut.escape_ascii())
}

impl Shown for std::time::Duration {
    fn show(&self) -> String {
        format!("until {self:?}")
    }
}
