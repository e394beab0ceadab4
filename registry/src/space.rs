//! The free-space guard. Every write is refused, before anything is stored, while the file
//! system holding it would be left with less than [`MIN_FREE_BYTES`] free. sled 0.34 treats a
//! failed log write as fatal for the open database (every later operation fails until it is
//! reopened), so it must never meet a full disk mid-commit; blobs are checked the same way so a
//! publish fails cleanly and the next one, once space is freed, succeeds.

use std::path::Path;

use crate::{Error, Result};

/// Space kept free on the data file system: a write that would eat into it is refused with
/// [`Error::StorageFull`].
pub const MIN_FREE_BYTES: u64 = 4 << 20;

/// Bytes available to this (unprivileged-or-not) process on the file system holding `path`.
pub(crate) fn available(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory of
    // the right type, which statvfs(3) fills on success.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it initialised `stat`.
    let stat = unsafe { stat.assume_init() };
    // `fsblkcnt_t` and `c_ulong` are u64 here, u32 on some 32-bit targets.
    #[allow(clippy::useless_conversion)]
    Ok(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// Refuses with [`Error::StorageFull`] unless `needed` bytes plus the reserve are free at `path`.
pub(crate) fn ensure(path: &Path, needed: u64) -> Result<()> {
    let available =
        available(path).map_err(|e| Error::io(format!("statvfs {}", path.display()), e))?;
    let needed = needed.saturating_add(MIN_FREE_BYTES);
    if available < needed {
        return Err(Error::StorageFull {
            path: path.display().to_string(),
            available,
            needed,
        });
    }
    Ok(())
}
