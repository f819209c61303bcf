//! The three ways to refresh a lease (see [`super::Refresh`]).

use std::path::Path;

use lockcheck_fs::Process;

use super::record::{Record, now_secs, unlink_if_exists};
use super::{LockError, LockFile, Refresh};

/// Checks ownership, then rewrites the record the variant's way.
pub(super) fn refresh(
    lock: &LockFile,
    p: &impl Process,
    lease: &Record,
) -> Result<Record, LockError> {
    let mut record = lock.check_owner(p, lease)?;
    record.refreshed_at = now_secs(p);
    let data = record.to_json();
    let path = lock.path();
    match lock.variant {
        Refresh::UnlinkThenWrite => unlink_then_write(p, &path, &data)?,
        Refresh::WriteTempThenReplace => {
            temp_then_replace(p, &lock.fixed_temp_path(), &path, &data)?;
        }
        Refresh::Fenced => {
            let temp = lock.write_unique_temp(p, &data)?;
            if let Err(e) = p.rename(&temp, &path) {
                let _ = unlink_if_exists(p, &temp);
                return Err(e.into());
            }
        }
    }
    Ok(record)
}

/// The seed's vulnerable refresh:
///
/// ```python
/// try:
///     lock_path.unlink()
///     self._write_lock(lock_path, existing_lock)
/// except Exception:
///     self._write_lock(lock_path, existing_lock)
///     raise
/// ```
///
/// If the except-path write fails too, its error is the one raised, as in
/// Python.
fn unlink_then_write(p: &impl Process, path: &Path, data: &[u8]) -> std::io::Result<()> {
    let first = p.unlink(path).and_then(|()| p.write_file(path, data));
    if let Err(e) = first {
        p.write_file(path, data)?;
        return Err(e);
    }
    Ok(())
}

/// Writes `data` to `temp` (create and truncate) and renames it over
/// `path`; on failure removes `temp` if it exists and returns the error,
/// as the seed's fix does. No `fsync`: see [`super::Refresh::Fenced`] for
/// why the fenced variant does not need one here.
fn temp_then_replace(
    p: &impl Process,
    temp: &Path,
    path: &Path,
    data: &[u8],
) -> std::io::Result<()> {
    let result = p.write_file(temp, data).and_then(|()| p.rename(temp, path));
    if result.is_err() && p.exists(temp).unwrap_or(false) {
        let _ = unlink_if_exists(p, temp);
    }
    result
}
