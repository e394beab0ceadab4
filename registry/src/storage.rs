//! The metadata backend: a small ordered key-value trait with atomic, durable transactions.
//!
//! Everything above it (packages, accounts, audit log, documents) is written against
//! [`Storage`], so another backend (PostgreSQL: one `(key bytea primary key, value bytea)` table
//! and serializable transactions) can replace [`SledStorage`] without touching callers.

use std::cell::{Cell, RefCell};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sled::transaction::{ConflictableTransactionError, TransactionError, UnabortableTransactionError};

use crate::{Error, Result};

/// Key/value pairs as returned by [`Storage::scan`].
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Reads and writes inside one transaction.
pub trait Txn {
    /// Reads `key` as of this transaction.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Writes `key`.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()>;
    /// Deletes `key`.
    fn remove(&self, key: &[u8]) -> Result<()>;
}

/// An ordered key-value store with serializable, durable transactions.
pub trait Storage: Send + Sync + 'static {
    /// Reads one key.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Keys starting with `prefix` and not below `start`, in byte order, at most `limit`.
    fn scan(&self, prefix: &[u8], start: &[u8], limit: usize) -> Result<Entries>;
    /// Runs `f` atomically (it may run more than once on conflict, so it must not have effects
    /// outside the transaction) and returns once the writes are durable on disk.
    /// An `Err` from `f` aborts the transaction and is returned.
    fn transact(&self, f: &dyn Fn(&dyn Txn) -> Result<()>) -> Result<()>;
}

impl dyn Storage {
    /// [`Storage::transact`] for closures that return a value.
    pub fn run<T>(&self, f: impl Fn(&dyn Txn) -> Result<T>) -> Result<T> {
        let out = RefCell::new(None);
        self.transact(&|tx| {
            *out.borrow_mut() = Some(f(tx)?);
            Ok(())
        })?;
        Ok(out
            .into_inner()
            .expect("a committed transaction ran its closure"))
    }

    /// All entries whose key starts with `prefix`.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries> {
        self.scan(prefix, prefix, usize::MAX)
    }
}

/// The marker written next to the sled directory once the database is initialised. Without it
/// an empty or truncated database could not be told from a new one.
const FORMAT_KEY: &[u8] = b"meta/format";
const FORMAT: &[u8] = b"smelt-registry/1";

/// [`Storage`] on sled 0.34, in one tree.
#[derive(Debug, Clone)]
pub struct SledStorage {
    db: sled::Db,
}

struct SledTxn<'a> {
    tree: &'a sled::transaction::TransactionalTree,
    conflict: &'a Cell<bool>,
}

impl SledTxn<'_> {
    fn map(&self, e: UnabortableTransactionError) -> Error {
        match e {
            UnabortableTransactionError::Conflict => {
                self.conflict.set(true);
                Error::Storage("transaction conflict".into())
            }
            UnabortableTransactionError::Storage(e) => e.into(),
        }
    }
}

impl Txn for SledTxn<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.tree
            .get(key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| self.map(e))
    }
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.tree
            .insert(key, value)
            .map(drop)
            .map_err(|e| self.map(e))
    }
    fn remove(&self, key: &[u8]) -> Result<()> {
        self.tree.remove(key).map(drop).map_err(|e| self.map(e))
    }
}

fn marker_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".format");
    path.with_file_name(name)
}

impl SledStorage {
    /// Opens the database at `path`, creating it only when neither it nor its format marker
    /// exists. A database whose marker exists but whose contents are gone or unreadable is an
    /// error ([`Error::Corrupt`]), never silently a new empty registry.
    pub fn open(path: &Path) -> Result<SledStorage> {
        let marker = marker_path(path);
        let corrupt = |reason: String| Error::Corrupt {
            path: path.display().to_string(),
            reason,
        };
        let marked = match fs::read(&marker) {
            Ok(bytes) if bytes == FORMAT => true,
            Ok(_) => return Err(corrupt(format!("{} is not a smelt marker", marker.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(Error::io(format!("read {}", marker.display()), e)),
        };
        if marked && !path.join("conf").is_file() {
            return Err(corrupt("database files are missing".into()));
        }
        let db = open_sled(path).map_err(|e| match e {
            sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                Error::Storage(format!("{} is in use by another process", path.display()))
            }
            e => corrupt(format!("sled refused to open it: {e}")),
        })?;
        match db.get(FORMAT_KEY)? {
            Some(v) if v == FORMAT => {}
            Some(_) => return Err(corrupt("unknown format version".into())),
            None if marked => {
                return Err(corrupt(
                    "the format record is gone (truncated or replaced database)".into(),
                ));
            }
            None if !db.is_empty() => {
                return Err(corrupt("database holds data but no format record".into()));
            }
            None => {
                db.insert(FORMAT_KEY, FORMAT)?;
                db.flush()?;
            }
        }
        if !marked {
            let write = || -> std::io::Result<()> {
                let mut f = fs::File::create(&marker)?;
                f.write_all(FORMAT)?;
                f.sync_all()?;
                if let Some(parent) = marker.parent() {
                    fs::File::open(parent)?.sync_all()?;
                }
                Ok(())
            };
            write().map_err(|e| Error::io(format!("write {}", marker.display()), e))?;
        }
        Ok(SledStorage { db })
    }
}

/// How long to wait for sled's file lock. sled releases it from background threads shortly
/// after the last handle is dropped, so reopening in the same process can briefly collide;
/// another live process holding it is reported after this.
const LOCK_WAIT: Duration = Duration::from_secs(3);

fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    let started = Instant::now();
    loop {
        let result = sled::Config::new()
            .path(path)
            // The working set (indexes, recent records) is small; blobs live outside sled.
            .cache_capacity(64 * 1024 * 1024)
            .open();
        match result {
            Err(sled::Error::Io(e))
                if e.kind() == std::io::ErrorKind::WouldBlock && started.elapsed() < LOCK_WAIT =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

impl Storage for SledStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }

    fn scan(&self, prefix: &[u8], start: &[u8], limit: usize) -> Result<Entries> {
        let start = start.max(prefix);
        let mut out = Vec::new();
        for item in self.db.range(start..) {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item?;
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn transact(&self, f: &dyn Fn(&dyn Txn) -> Result<()>) -> Result<()> {
        let result = self.db.transaction(|tree| {
            let conflict = Cell::new(false);
            let tx = SledTxn {
                tree,
                conflict: &conflict,
            };
            match f(&tx) {
                Ok(()) => Ok(()),
                Err(_) if conflict.get() => Err(ConflictableTransactionError::Conflict),
                Err(e) => Err(ConflictableTransactionError::Abort(e)),
            }
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        }
        self.db.flush()?;
        Ok(())
    }
}
