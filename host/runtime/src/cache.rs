//! The compiled-artifact cache: native code that wasmtime compiled from a component, kept on disk
//! so a restarted host serves its first call without compiling again.
//!
//! Loading compiled code is `unsafe` in wasmtime for a reason: it is machine code, run as it is.
//! So a cache file is only ever used when this host wrote it. Each file carries an HMAC-SHA-256,
//! under a key that only the host holds (`<dir>/cache.key`, mode 0600, made on first use), over
//! the engine's compatibility tag, the component's digest and the compiled bytes. A file copied
//! in from elsewhere, edited, truncated, compiled by another engine configuration or for other
//! component bytes fails the check, is deleted and the component is compiled afresh.
//!
//! File layout: `SMELTCW1` · engine tag (32) · component digest (32) · MAC (32) · artifact.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, Mac};
use sha2::{Digest as _, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

const MAGIC: &[u8; 8] = b"SMELTCW1";
const HEADER: usize = 8 + 32 + 32 + 32;

/// Counters of what the cache did since the runtime started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Components loaded from a verified cache file.
    pub hits: u64,
    /// Components compiled because no cache file existed.
    pub misses: u64,
    /// Cache files refused (bad MAC, other engine, other component, truncated) and deleted.
    pub rejected: u64,
    /// Cache files written.
    pub written: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    rejected: AtomicU64,
    written: AtomicU64,
}

pub(crate) struct ArtifactCache {
    dir: PathBuf,
    key: [u8; 32],
    engine_tag: [u8; 32],
    counters: Counters,
}

type HmacSha256 = Hmac<Sha256>;

/// Streams `Hash` output into SHA-256, so the engine's compatibility hash becomes stable bytes.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        unreachable!("only write() is used")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl ArtifactCache {
    /// Opens (creating) the cache directory and its key.
    pub(crate) fn open(dir: &Path, engine: &Engine) -> std::io::Result<ArtifactCache> {
        fs::create_dir_all(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        let key = load_or_make_key(&dir.join("cache.key"))?;
        let mut hasher = ShaHasher(Sha256::new());
        engine.precompile_compatibility_hash().hash(&mut hasher);
        hasher.0.update(env!("CARGO_PKG_VERSION").as_bytes());
        Ok(ArtifactCache {
            dir: dir.to_owned(),
            key,
            engine_tag: hasher.0.finalize().into(),
            counters: Counters::default(),
        })
    }

    fn path(&self, digest: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex::encode(digest)))
    }

    fn mac(&self, digest: &[u8; 32], artifact: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("any key length");
        mac.update(&self.engine_tag);
        mac.update(digest);
        mac.update(artifact);
        mac
    }

    /// The compiled component for `digest`, if this host cached it and the file checks out.
    pub(crate) fn get(&self, engine: &Engine, digest: &[u8; 32]) -> Option<Component> {
        let path = self.path(digest);
        let Ok(bytes) = fs::read(&path) else {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let verified = bytes.len() > HEADER
            && &bytes[..8] == MAGIC
            && bytes[8..40] == self.engine_tag
            && &bytes[40..72] == digest
            && self
                .mac(digest, &bytes[HEADER..])
                .verify_slice(&bytes[72..104])
                .is_ok();
        // SAFETY: the bytes were written by `put` of a host holding this key, for this engine
        // configuration and this component (the MAC above covers all three), so they are
        // wasmtime's own serialisation of a component this engine compiled.
        let component = verified
            .then(|| unsafe { Component::deserialize(engine, &bytes[HEADER..]) }.ok())
            .flatten();
        match component {
            Some(component) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                Some(component)
            }
            None => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Writes the compiled `component` for `digest` (atomically: temp file, then rename).
    /// Failing to cache is not an error for the caller: the component is compiled either way.
    pub(crate) fn put(&self, digest: &[u8; 32], component: &Component) {
        let Ok(artifact) = component.serialize() else {
            return;
        };
        let mac = self.mac(digest, &artifact).finalize().into_bytes();
        let path = self.path(digest);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(MAGIC)?;
            file.write_all(&self.engine_tag)?;
            file.write_all(digest)?;
            file.write_all(&mac)?;
            file.write_all(&artifact)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        match written {
            Ok(()) => {
                self.counters.written.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                let _ = fs::remove_file(&tmp);
            }
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            rejected: self.counters.rejected.load(Ordering::Relaxed),
            written: self.counters.written.load(Ordering::Relaxed),
        }
    }
}

fn load_or_make_key(path: &Path) -> std::io::Result<[u8; 32]> {
    match fs::read(path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: not a 32-byte key; delete it (and the cached files) to start afresh",
                    path.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
            // Written whole under a private name, then linked into place: a second runtime
            // starting at the same moment either wins the link or reads the winner's key.
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            file.write_all(&key)?;
            file.sync_all()?;
            let linked = fs::hard_link(&tmp, path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_make_key(path),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}
