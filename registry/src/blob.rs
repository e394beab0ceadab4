//! Content-addressed blob files: one file per digest, written atomically, re-hashed on read.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use rand::RngCore;

use crate::types::Digest;
use crate::{Error, Result};

/// Blob files under one directory, each named by the hex of its SHA-256.
///
/// A blob is written to `tmp/`, fsynced, renamed into place and the directory fsynced, so after a
/// crash a name either does not exist or holds the complete bytes. Reads hash the bytes again and
/// return [`Error::DigestMismatch`] (never the bytes) when the file was altered.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
    tmp: PathBuf,
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("fsync directory {}", dir.display()), e))
}

impl BlobStore {
    /// Opens (creating if needed) the store at `dir`, dropping temp files a crash left behind.
    pub fn open(dir: impl Into<PathBuf>) -> Result<BlobStore> {
        let dir = dir.into();
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| Error::io(format!("create {}", tmp.display()), e))?;
        let entries =
            fs::read_dir(&tmp).map_err(|e| Error::io(format!("list {}", tmp.display()), e))?;
        for entry in entries {
            let path = entry
                .map_err(|e| Error::io(format!("list {}", tmp.display()), e))?
                .path();
            fs::remove_file(&path)
                .map_err(|e| Error::io(format!("remove stale {}", path.display()), e))?;
        }
        sync_dir(&dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(BlobStore { dir, tmp })
    }

    /// Where the blob with `digest` lives (whether or not it exists).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join(digest.hex())
    }

    /// Stores `bytes` durably and returns their digest. Storing bytes already present is a no-op,
    /// except that a damaged copy is replaced.
    pub fn put(&self, bytes: &[u8]) -> Result<Digest> {
        Ok(self.put_all(&[bytes])?[0])
    }

    /// Stores several blobs durably with one directory fsync for all of them; returns their
    /// digests in order.
    pub fn put_all(&self, blobs: &[&[u8]]) -> Result<Vec<Digest>> {
        let mut digests = Vec::with_capacity(blobs.len());
        let mut renamed = false;
        let total: usize = blobs.iter().map(|b| b.len()).sum();
        crate::space::ensure(&self.dir, total as u64)?;
        for bytes in blobs {
            let digest = Digest::of(bytes);
            digests.push(digest);
            let path = self.path(&digest);
            if path.exists() && self.get(&digest).is_ok() {
                continue;
            }
            let mut suffix = [0u8; 8];
            rand::rng().fill_bytes(&mut suffix);
            let tmp = self
                .tmp
                .join(format!("{}.{}", digest.hex(), hex::encode(suffix)));
            let write = || -> std::io::Result<()> {
                let mut f = File::create_new(&tmp)?;
                f.write_all(bytes)?;
                f.sync_all()
            };
            if let Err(e) = write() {
                let _ = fs::remove_file(&tmp);
                return Err(Error::io(format!("write {}", tmp.display()), e));
            }
            fs::rename(&tmp, &path).map_err(|e| {
                let _ = fs::remove_file(&tmp);
                Error::io(format!("rename into {}", path.display()), e)
            })?;
            renamed = true;
        }
        if renamed {
            sync_dir(&self.dir)?;
        }
        Ok(digests)
    }

    /// Reads the blob, checking that it still hashes to `digest`.
    pub fn get(&self, digest: &Digest) -> Result<Vec<u8>> {
        let path = self.path(digest);
        let bytes = fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::not_found(format!("blob {digest}"))
            } else {
                Error::io(format!("read {}", path.display()), e)
            }
        })?;
        let actual = Digest::of(&bytes);
        if actual != *digest {
            return Err(Error::DigestMismatch {
                expected: *digest,
                actual,
            });
        }
        Ok(bytes)
    }

    /// The digests of every blob file (not their bytes' digests: see [`BlobStore::get`]).
    pub fn digests(&self) -> Result<Vec<Digest>> {
        let entries = fs::read_dir(&self.dir)
            .map_err(|e| Error::io(format!("list {}", self.dir.display()), e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("list {}", self.dir.display()), e))?;
            let name = entry.file_name();
            if let Some(digest) = name
                .to_str()
                .and_then(|n| format!("sha256:{n}").parse::<Digest>().ok())
            {
                out.push(digest);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Whether a file exists for `digest` (without checking its bytes).
    pub fn contains(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_and_detect_flip() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path().join("blobs")).unwrap();
        let d = store.put(b"component bytes").unwrap();
        assert_eq!(d, Digest::of(b"component bytes"));
        assert_eq!(store.put(b"component bytes").unwrap(), d);
        assert_eq!(store.get(&d).unwrap(), b"component bytes");
        assert!(
            fs::read_dir(dir.path().join("blobs/tmp"))
                .unwrap()
                .next()
                .is_none()
        );

        let mut bytes = fs::read(store.path(&d)).unwrap();
        bytes[3] ^= 0x01;
        fs::write(store.path(&d), &bytes).unwrap();
        match store.get(&d) {
            Err(Error::DigestMismatch { expected, actual }) => {
                assert_eq!(expected, d);
                assert_eq!(actual, Digest::of(&bytes));
            }
            other => panic!("expected a mismatch, got {other:?}"),
        }
        // Putting the right bytes again repairs the damaged copy.
        store.put(b"component bytes").unwrap();
        assert_eq!(store.get(&d).unwrap(), b"component bytes");

        let missing = Digest::of(b"never stored");
        assert!(matches!(store.get(&missing), Err(Error::NotFound { .. })));
    }

    #[test]
    fn open_drops_stale_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = dir.path().join("blobs");
        BlobStore::open(&blobs).unwrap();
        fs::write(blobs.join("tmp/half-written"), b"x").unwrap();
        BlobStore::open(&blobs).unwrap();
        assert!(!blobs.join("tmp/half-written").exists());
    }
}
