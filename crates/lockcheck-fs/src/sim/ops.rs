//! The namespace and data calls, each one atomic step over [`State`].

use std::io::{self, SeekFrom};
use std::path::Path;

use super::locks::OfdId;
use super::state::{OfdRef, State, Who};
use super::tree::{Ino, Node, Op};
use crate::errno::{Errno, err};
use crate::path::{Components, Last, components};
use crate::{Fd, FileKind, OpenOptions};

/// The largest file SimFs keeps (its files live in memory, not sparse):
/// writing or extending past it gives `EFBIG`.
pub(crate) const MAX_FILE_SIZE: u64 = 1 << 30;

/// pread and pwrite refuse an offset that is negative as a signed
/// `off_t`, before they even look at the descriptor.
fn check_offset(at: Option<u64>) -> io::Result<()> {
    match at {
        Some(off) if off > i64::MAX as u64 => Err(err(Errno::EINVAL)),
        _ => Ok(()),
    }
}

/// A read or write whose end would pass the largest signed `off_t` is
/// refused (`rw_verify_area`), after the descriptor's access mode is checked.
fn check_range(pos: u64, len: usize) -> io::Result<()> {
    if pos as i128 + len as i128 > i64::MAX as i128 {
        return Err(err(Errno::EINVAL));
    }
    Ok(())
}

/// `stat` fields, with mtime still in virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub ino: Ino,
    pub nlink: u64,
    pub size: u64,
    pub mtime: std::time::Duration,
    pub kind: FileKind,
}

impl State {
    pub fn open(&mut self, who: Who, c: &Components<'_>, opts: OpenOptions) -> io::Result<Fd> {
        // Linux takes the descriptor first: a full table creates nothing.
        self.lowest_free_fd(who)?;
        let creating = opts.create || opts.create_new;
        let ino = if creating {
            let e = self.parent_of(c)?;
            // `/`, `.` and `..` always exist, and are directories.
            match e.last {
                Last::Name(_) if c.trailing_slash => return Err(err(Errno::EISDIR)),
                Last::Name(_) => {}
                _ if opts.create_new => return Err(err(Errno::EEXIST)),
                _ => return Err(err(Errno::EISDIR)),
            }
            let name = e.name(Errno::EISDIR)?;
            match e.ino {
                Some(_) if opts.create_new => return Err(err(Errno::EEXIST)),
                Some(ino) => ino,
                None => {
                    let ino = self.alloc_ino();
                    self.change(Op::Link {
                        dir: e.dir,
                        name: name.to_string(),
                        ino,
                        new: Some(FileKind::File),
                    });
                    return self.new_fd(who, ino, opts);
                }
            }
        } else {
            self.resolve(c)?
        };
        match self.kind(ino) {
            FileKind::Dir if creating || opts.writable() || opts.truncate => {
                return Err(err(Errno::EISDIR));
            }
            FileKind::File if opts.truncate => self.change(Op::SetLen { ino, len: 0 }),
            _ => {}
        }
        self.new_fd(who, ino, opts)
    }

    /// `read` (at the descriptor's offset) or `pread` (at `at`).
    pub fn read(&mut self, who: Who, fd: Fd, buf: &mut [u8], at: Option<u64>) -> io::Result<usize> {
        check_offset(at)?;
        let id = self.ofd_id(who, fd)?;
        let ofd = self.ofd(id);
        if !ofd.opts.readable() {
            return Err(err(Errno::EBADF));
        }
        check_range(at.unwrap_or(ofd.offset), buf.len())?;
        let off = at.unwrap_or(ofd.offset);
        let n = match self.cache.get(ofd.ino).map(|i| &i.node) {
            Some(Node::File(data)) => {
                let start = (off as usize).min(data.len());
                let n = buf.len().min(data.len() - start);
                buf[..n].copy_from_slice(&data[start..start + n]);
                n
            }
            _ => return Err(err(Errno::EISDIR)),
        };
        if at.is_none() {
            self.ofd_mut(id).offset = off + n as u64;
        }
        Ok(n)
    }

    /// `write` or `pwrite`. Under `O_APPEND` both write at the end of the
    /// file (Linux ignores pwrite's offset there).
    pub fn write(&mut self, who: Who, fd: Fd, data: &[u8], at: Option<u64>) -> io::Result<usize> {
        check_offset(at)?;
        let id = self.ofd_id(who, fd)?;
        self.write_ofd(id, data, at)
    }

    /// A later part of a write of several steps: through the description
    /// the call holds, whatever its descriptor now names.
    pub fn write_held(&mut self, r: OfdRef, data: &[u8], at: Option<u64>) -> io::Result<usize> {
        check_offset(at)?;
        let id = self.held(r)?;
        self.write_ofd(id, data, at)
    }

    fn write_ofd(&mut self, id: OfdId, data: &[u8], at: Option<u64>) -> io::Result<usize> {
        let ofd = self.ofd(id);
        if !ofd.opts.writable() {
            return Err(err(Errno::EBADF));
        }
        check_range(at.unwrap_or(ofd.offset), data.len())?;
        let ino = ofd.ino;
        let off = if ofd.opts.append {
            self.size(ino)
        } else {
            at.unwrap_or(ofd.offset)
        };
        if data.is_empty() {
            return Ok(0); // Nothing written: even O_APPEND leaves the offset.
        }
        if off + data.len() as u64 > MAX_FILE_SIZE {
            return Err(err(Errno::EFBIG));
        }
        let data = data.to_vec();
        let len = data.len();
        self.change(Op::Write {
            ino,
            offset: off,
            data,
        });
        if at.is_none() {
            self.ofd_mut(id).offset = off + len as u64;
        }
        Ok(len)
    }

    pub fn seek(&mut self, who: Who, fd: Fd, pos: SeekFrom) -> io::Result<u64> {
        let id = self.ofd_id(who, fd)?;
        let ofd = self.ofd(id);
        let new = match pos {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::Current(d) => ofd.offset as i128 + d as i128,
            SeekFrom::End(d) => self.size(ofd.ino) as i128 + d as i128,
        };
        if !(0..=i64::MAX as i128).contains(&new) {
            return Err(err(Errno::EINVAL));
        }
        self.ofd_mut(id).offset = new as u64;
        Ok(new as u64)
    }

    pub fn set_len(&mut self, who: Who, fd: Fd, len: u64) -> io::Result<()> {
        let id = self.ofd_id(who, fd)?;
        let ofd = self.ofd(id);
        if !ofd.opts.writable() || len > i64::MAX as u64 {
            return Err(err(Errno::EINVAL));
        }
        if len > MAX_FILE_SIZE {
            return Err(err(Errno::EFBIG));
        }
        let ino = ofd.ino;
        self.change(Op::SetLen { ino, len });
        Ok(())
    }

    pub fn fsync(&mut self, who: Who, fd: Fd) -> io::Result<()> {
        let ino = self.ofd(self.ofd_id(who, fd)?).ino;
        match self.kind(ino) {
            FileKind::Dir => self.durable.sync_dir(ino, self.clock),
            FileKind::File => self.durable.sync_file(ino, self.clock),
        }
        Ok(())
    }

    pub fn fsync_dir(&mut self, who: Who, c: &Components<'_>) -> io::Result<()> {
        self.proc(who)?;
        let ino = self.resolve(c)?;
        if self.kind(ino) != FileKind::Dir {
            return Err(err(Errno::ENOTDIR));
        }
        self.durable.sync_dir(ino, self.clock);
        Ok(())
    }

    pub fn stat_ino(&self, ino: Ino) -> Stat {
        let inode = self.cache.get(ino).expect("stat of a live inode");
        Stat {
            ino,
            nlink: self.cache.nlink(ino),
            size: self.size(ino),
            mtime: inode.mtime,
            kind: inode.kind(),
        }
    }

    pub fn fstat(&mut self, who: Who, fd: Fd) -> io::Result<Stat> {
        let ino = self.ofd(self.ofd_id(who, fd)?).ino;
        Ok(self.stat_ino(ino))
    }

    pub fn stat(&mut self, who: Who, c: &Components<'_>) -> io::Result<Stat> {
        self.proc(who)?;
        let ino = self.resolve(c)?;
        Ok(self.stat_ino(ino))
    }

    fn is_empty_dir(&self, ino: Ino) -> bool {
        self.cache.entries(ino).is_some_and(|e| e.is_empty())
    }

    /// `rename`, with Linux's order of checks.
    pub fn rename(&mut self, who: Who, from: &Components<'_>, to: &Path) -> io::Result<()> {
        self.proc(who)?;
        let s = self.parent_of(from)?;
        // The kernel reports a bad new path only when it walks it.
        let to = &components(to)?;
        let d = self.parent_of(to)?;
        if !matches!((s.last, d.last), (Last::Name(_), Last::Name(_))) {
            return Err(err(Errno::EBUSY));
        }
        let from_name = s.name(Errno::EBUSY)?;
        let src = s.ino.ok_or_else(|| err(Errno::ENOENT))?;
        // The kernel looks the new name up (ENAMETOOLONG) right after the
        // old one, before it checks kinds and trailing slashes.
        let to_name = d.name(Errno::EBUSY)?;
        let src_kind = self.kind(src);
        if src_kind == FileKind::File && (from.trailing_slash || to.trailing_slash) {
            return Err(err(Errno::ENOTDIR));
        }
        if d.ancestors.contains(&src) {
            return Err(err(Errno::EINVAL)); // Into its own subdirectory.
        }
        if let Some(dst) = d.ino {
            if s.ancestors.contains(&dst) {
                return Err(err(Errno::ENOTEMPTY)); // Over its own ancestor.
            }
            if dst == src {
                return Ok(()); // Two names of one file: nothing to do.
            }
            match (src_kind, self.kind(dst)) {
                (FileKind::Dir, FileKind::File) => return Err(err(Errno::ENOTDIR)),
                (FileKind::File, FileKind::Dir) => return Err(err(Errno::EISDIR)),
                (FileKind::Dir, FileKind::Dir) if !self.is_empty_dir(dst) => {
                    return Err(err(Errno::ENOTEMPTY));
                }
                _ => {}
            }
        }
        self.change(Op::Rename {
            from_dir: s.dir,
            from_name: from_name.to_string(),
            to_dir: d.dir,
            to_name: to_name.to_string(),
            ino: src,
            kind: src_kind,
        });
        Ok(())
    }

    pub fn link(&mut self, who: Who, existing: &Components<'_>, new: &Path) -> io::Result<()> {
        self.proc(who)?;
        let src = self.resolve(existing)?;
        // The kernel reports a bad new path only when it walks it.
        let new = &components(new)?;
        let e = self.parent_of(new)?;
        let name = e.name(Errno::EEXIST)?;
        if e.ino.is_some() {
            return Err(err(Errno::EEXIST));
        }
        if new.trailing_slash {
            return Err(err(Errno::ENOENT)); // A new name cannot promise a directory.
        }
        if self.kind(src) == FileKind::Dir {
            return Err(err(Errno::EPERM));
        }
        self.change(Op::Link {
            dir: e.dir,
            name: name.to_string(),
            ino: src,
            new: None,
        });
        Ok(())
    }

    pub fn unlink(&mut self, who: Who, c: &Components<'_>) -> io::Result<()> {
        self.proc(who)?;
        let e = self.parent_of(c)?;
        let name = e.name(Errno::EISDIR)?;
        let ino = e.ino.ok_or_else(|| err(Errno::ENOENT))?;
        if self.kind(ino) == FileKind::Dir {
            return Err(err(Errno::EISDIR));
        }
        if c.trailing_slash {
            return Err(err(Errno::ENOTDIR));
        }
        self.change(Op::Unlink {
            dir: e.dir,
            name: name.to_string(),
        });
        Ok(())
    }

    pub fn mkdir(&mut self, who: Who, c: &Components<'_>) -> io::Result<()> {
        self.proc(who)?;
        let e = self.parent_of(c)?;
        let name = e.name(Errno::EEXIST)?;
        if e.ino.is_some() {
            return Err(err(Errno::EEXIST));
        }
        let ino = self.alloc_ino();
        self.change(Op::Link {
            dir: e.dir,
            name: name.to_string(),
            ino,
            new: Some(FileKind::Dir),
        });
        Ok(())
    }

    pub fn rmdir(&mut self, who: Who, c: &Components<'_>) -> io::Result<()> {
        self.proc(who)?;
        let e = self.parent_of(c)?;
        let name = match e.last {
            Last::Root => return Err(err(Errno::EBUSY)),
            Last::Dot => return Err(err(Errno::EINVAL)),
            Last::DotDot => return Err(err(Errno::ENOTEMPTY)),
            Last::Name(_) => e.name(Errno::EINVAL)?,
        };
        let ino = e.ino.ok_or_else(|| err(Errno::ENOENT))?;
        if self.kind(ino) != FileKind::Dir {
            return Err(err(Errno::ENOTDIR));
        }
        if !self.is_empty_dir(ino) {
            return Err(err(Errno::ENOTEMPTY));
        }
        self.change(Op::Unlink {
            dir: e.dir,
            name: name.to_string(),
        });
        Ok(())
    }

    pub fn read_dir(&mut self, who: Who, c: &Components<'_>) -> io::Result<Vec<String>> {
        self.proc(who)?;
        let ino = self.resolve(c)?;
        let entries = self.cache.entries(ino).ok_or_else(|| err(Errno::ENOTDIR))?;
        Ok(entries.keys().cloned().collect())
    }
}
