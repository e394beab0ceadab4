//! The metadata backend: a small ordered key-value trait with atomic, durable transactions.
//!
//! Everything above it (packages, accounts, audit log, documents) is written against
//! [`Storage`], so another backend (PostgreSQL: one `(key bytea primary key, value bytea)` table
//! and serializable transactions) can replace [`SledStorage`] without touching callers.

use std::cell::{Cell, RefCell};
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sled::transaction::{
    ConflictableTransactionError, TransactionError, UnabortableTransactionError,
};

use crate::types::Digest;
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
/// Count of committed write transactions, kept in sled and mirrored (after each flush) in the
/// `.commit` file beside it. sled recovers a log cut short as if the lost writes never
/// happened; a database behind its mirror has lost acknowledged writes and must not be served.
const COMMIT_KEY: &[u8] = b"meta/commit";
/// Size of one slot of the `.commit` file: counter (8 bytes LE) + first 24 bytes of its SHA-256.
const SLOT: usize = 32;

/// [`Storage`] on sled 0.34, in one tree.
#[derive(Debug, Clone)]
pub struct SledStorage {
    db: sled::Db,
    /// The database directory (for the free-space guard).
    path: PathBuf,
    commits: Arc<Mutex<CommitFile>>,
}

#[derive(Debug)]
struct CommitFile {
    file: fs::File,
    written: u64,
}

fn slot(counter: u64) -> [u8; SLOT] {
    let mut out = [0u8; SLOT];
    out[..8].copy_from_slice(&counter.to_le_bytes());
    out[8..].copy_from_slice(&Digest::of(&counter.to_le_bytes()).as_bytes()[..SLOT - 8]);
    out
}

/// The highest valid counter in the two slots (a torn write spoils at most one).
fn read_slots(bytes: &[u8]) -> u64 {
    bytes
        .chunks_exact(SLOT)
        .take(2)
        .filter_map(|chunk| {
            let counter = u64::from_le_bytes(chunk[..8].try_into().expect("8 bytes"));
            (slot(counter)[..] == *chunk).then_some(counter)
        })
        .max()
        .unwrap_or(0)
}

impl CommitFile {
    /// Records that `counter` commits are durable. Slots alternate so that the previous value
    /// survives a torn write of this one.
    fn record(&mut self, counter: u64) -> std::io::Result<()> {
        if counter <= self.written {
            return Ok(());
        }
        self.file
            .write_all_at(&slot(counter), (counter % 2) * SLOT as u64)?;
        self.file.sync_data()?;
        self.written = counter;
        Ok(())
    }
}

struct SledTxn<'a> {
    tree: &'a sled::transaction::TransactionalTree,
    conflict: &'a Cell<bool>,
    wrote: Cell<bool>,
    /// Key and value bytes written, for the free-space guard.
    bytes: Cell<u64>,
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
        self.wrote.set(true);
        self.bytes
            .set(self.bytes.get() + (key.len() + value.len()) as u64);
        self.tree
            .insert(key, value)
            .map(drop)
            .map_err(|e| self.map(e))
    }
    fn remove(&self, key: &[u8]) -> Result<()> {
        self.wrote.set(true);
        self.tree.remove(key).map(drop).map_err(|e| self.map(e))
    }
}

fn sibling(path: &Path, extension: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(extension);
    path.with_file_name(name)
}

fn decode_counter(bytes: Option<sled::IVec>) -> u64 {
    bytes
        .and_then(|b| <[u8; 8]>::try_from(b.as_ref()).ok())
        .map_or(0, u64::from_be_bytes)
}

/// Writes `bytes` to `path` and makes the file and its directory entry durable. Atomically: the
/// bytes go to a sibling first and are renamed over `path`, so a crash leaves either no file or
/// the whole one (a marker cut short by a SIGKILL used to read as a damaged database).
fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let partial = sibling(path, ".partial");
        let mut f = fs::File::create(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&partial, path)?;
        if let Some(parent) = path.parent() {
            fs::File::open(parent)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| Error::io(format!("write {}", path.display()), e))
}

impl SledStorage {
    /// Opens the database at `path`, creating it only when neither it nor its markers
    /// (`<path>.format`, `<path>.commit`) exist. A database whose contents are gone, unreadable
    /// or behind the last acknowledged commit is an error ([`Error::Corrupt`]), never silently
    /// a new or shortened registry.
    pub fn open(path: &Path) -> Result<SledStorage> {
        let marker = sibling(path, ".format");
        let commit_path = sibling(path, ".commit");
        let corrupt = |reason: String| Error::Corrupt {
            path: path.display().to_string(),
            reason,
        };
        let marked = match fs::read(&marker) {
            Ok(bytes) if bytes == FORMAT => true,
            Ok(_) => {
                return Err(corrupt(format!(
                    "{} is not a smelt marker",
                    marker.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(Error::io(format!("read {}", marker.display()), e)),
        };
        if marked && !path.join("conf").is_file() {
            return Err(corrupt("database files are missing".into()));
        }
        let acknowledged = if marked {
            let bytes = fs::read(&commit_path)
                .map_err(|e| corrupt(format!("cannot read {}: {e}", commit_path.display())))?;
            read_slots(&bytes)
        } else {
            0
        };
        let db = open_sled(path).map_err(|e| match e {
            e if is_lock_error(&e) => {
                Error::Storage(format!("{} is in use by another process", path.display()))
            }
            sled::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
                ) =>
            {
                Error::io(format!("open {} (the disk is full)", path.display()), io)
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
        let committed = decode_counter(db.get(COMMIT_KEY)?);
        if committed < acknowledged {
            return Err(corrupt(format!(
                "the database holds {committed} commits but {acknowledged} were acknowledged \
                 (truncated or rolled back)"
            )));
        }
        if !marked {
            // The commit file must exist before the format marker says the database does.
            write_durably(&commit_path, &[0u8; 2 * SLOT])?;
            write_durably(&marker, FORMAT)?;
        }
        let file = fs::OpenOptions::new()
            .write(true)
            .open(&commit_path)
            .map_err(|e| Error::io(format!("open {}", commit_path.display()), e))?;
        Ok(SledStorage {
            db,
            path: path.to_owned(),
            commits: Arc::new(Mutex::new(CommitFile {
                file,
                written: acknowledged,
            })),
        })
    }
}

/// How long to wait for sled's file lock. sled releases it from background threads shortly
/// after the last handle is dropped, so reopening in the same process can briefly collide;
/// another live process holding it is reported after this.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// sled reports a held lock as an `Other` io error whose text says so.
fn is_lock_error(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

fn open_sled(path: &Path) -> sled::Result<sled::Db> {
    let started = Instant::now();
    loop {
        let result = sled::Config::new()
            .path(path)
            // The working set (indexes, recent records) is small; blobs live outside sled.
            .cache_capacity(64 * 1024 * 1024)
            .open();
        match result {
            Err(e) if is_lock_error(&e) && started.elapsed() < LOCK_WAIT => {
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
        let counter = Cell::new(None);
        let result = self.db.transaction(|tree| {
            let conflict = Cell::new(false);
            let tx = SledTxn {
                tree,
                conflict: &conflict,
                wrote: Cell::new(false),
                bytes: Cell::new(0),
            };
            let outcome = f(&tx).and_then(|()| {
                if !tx.wrote.get() {
                    return Ok(None);
                }
                // sled logs each value and later rewrites its page: twice the bytes, plus the
                // reserve, must be free before anything reaches its log.
                crate::space::ensure(&self.path, 2 * tx.bytes.get())?;
                let next = decode_counter(tx.get(COMMIT_KEY)?.map(sled::IVec::from)) + 1;
                tx.put(COMMIT_KEY, &next.to_be_bytes())?;
                Ok(Some(next))
            });
            match outcome {
                Ok(next) => {
                    counter.set(next);
                    Ok(())
                }
                Err(_) if conflict.get() => Err(ConflictableTransactionError::Conflict),
                Err(e) => Err(ConflictableTransactionError::Abort(e)),
            }
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        }
        // Read-only transactions have nothing to make durable.
        let Some(counter) = counter.get() else {
            return Ok(());
        };
        self.db.flush()?;
        self.commits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(counter)
            .map_err(|e| Error::io("record the commit counter", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_slots_survive_a_torn_write() {
        let mut file = [0u8; 2 * SLOT];
        assert_eq!(read_slots(&file), 0);
        file[SLOT..].copy_from_slice(&slot(7));
        file[..SLOT].copy_from_slice(&slot(8));
        assert_eq!(read_slots(&file), 8);
        // Slot 0 half-overwritten by commit 10: the checksum fails, slot 1 still says 7.
        file[..8].copy_from_slice(&10u64.to_le_bytes());
        assert_eq!(read_slots(&file), 7);
        assert_eq!(read_slots(&file[..SLOT]), 0);
    }

    #[test]
    fn a_marker_cut_short_on_first_start_is_never_taken_for_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta");
        // A first start killed inside the marker's write leaves its partial sibling only.
        fs::write(sibling(&path, ".format.partial"), &FORMAT[..2]).unwrap();
        drop(SledStorage::open(&path).unwrap());
        assert_eq!(fs::read(sibling(&path, ".format")).unwrap(), FORMAT);
        drop(SledStorage::open(&path).expect("reopens as the database it is"));
        // A marker that is not one is still refused, naming it.
        fs::write(sibling(&path, ".format"), b"").unwrap();
        let Err(err) = SledStorage::open(&path) else {
            panic!("an empty marker is refused")
        };
        assert!(err.to_string().contains("is not a smelt marker"), "{err}");
    }

    #[test]
    fn writes_advance_the_commit_file_and_reads_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta");
        let store: Box<dyn Storage> = Box::new(SledStorage::open(&path).unwrap());
        let commits = || read_slots(&fs::read(sibling(&path, ".commit")).unwrap());
        assert_eq!(commits(), 0);
        store.run(|tx| tx.put(b"k", b"v")).unwrap();
        store.run(|tx| tx.put(b"k2", b"v")).unwrap();
        assert_eq!(commits(), 2);
        assert_eq!(
            store.run(|tx| tx.get(b"k")).unwrap().as_deref(),
            Some(&b"v"[..])
        );
        assert_eq!(commits(), 2);
        let aborted = store.run(|tx| {
            tx.put(b"k3", b"v")?;
            Err::<(), _>(Error::Storage("no".into()))
        });
        assert!(aborted.is_err());
        assert_eq!(store.get(b"k3").unwrap(), None);
        assert_eq!(commits(), 2);
        assert_eq!(
            store.scan(b"k", b"k2", 10).unwrap(),
            vec![(b"k2".to_vec(), b"v".to_vec())]
        );
    }
}
