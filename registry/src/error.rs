//! The one error type of the crate.

use crate::types::Digest;

/// Everything that can go wrong in the registry.
///
/// Variants carry what a caller needs to answer well (an HTTP layer maps them to status codes);
/// messages are lowercase and never contain blob bytes or token secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A package (or account) name that breaks the naming rule.
    #[error("invalid name `{name}`: {reason}")]
    InvalidName {
        /// The rejected text.
        name: String,
        /// What rule it broke.
        reason: String,
    },
    /// A version that is not acceptable semver.
    #[error("invalid version `{version}`: {reason}")]
    InvalidVersion {
        /// The rejected text.
        version: String,
        /// Why.
        reason: String,
    },
    /// A version requirement that does not parse.
    #[error("invalid version requirement `{req}`: {reason}")]
    InvalidVersionReq {
        /// The rejected text.
        req: String,
        /// Why.
        reason: String,
    },
    /// A digest that is not `sha256:<64 lowercase hex>`.
    #[error("invalid digest `{digest}`: {reason}")]
    InvalidDigest {
        /// The rejected text (truncated when very long).
        digest: String,
        /// Why.
        reason: String,
    },
    /// A `smelt.toml` that does not fit the schema.
    #[error("invalid manifest: `{field}`: {message}")]
    InvalidManifest {
        /// Dotted path of the offending field (`listing.scenes[1]`), or `(document)`.
        field: String,
        /// What was expected, and what was found when known.
        message: String,
    },
    /// The manifest names another package or version than the one being published.
    #[error("manifest `{field}` is `{manifest}` but the request is for `{requested}`")]
    ManifestMismatch {
        /// `package.name` or `package.version`.
        field: &'static str,
        /// The value in the request (URL).
        requested: String,
        /// The value in the manifest.
        manifest: String,
    },
    /// A string that should hold JSON does not.
    #[error("invalid json in {what}: {reason}")]
    InvalidJson {
        /// Which argument.
        what: String,
        /// The parser's complaint.
        reason: String,
    },
    /// Some other argument is out of its allowed range.
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// `name@version` exists with different bytes; versions are never reused.
    #[error("{name}@{version} already exists with different contents")]
    AlreadyExists {
        /// The package.
        name: String,
        /// The version.
        version: String,
    },
    /// The package name belongs to another account.
    #[error("package `{name}` belongs to `{owner}`")]
    NotOwner {
        /// The package.
        name: String,
        /// Its owner account.
        owner: String,
    },
    /// The actor's role does not allow the action.
    #[error("account `{actor}` may not {action}")]
    Forbidden {
        /// The acting account.
        actor: String,
        /// What it tried.
        action: String,
    },
    /// An account name that already exists.
    #[error("account `{name}` already exists")]
    AccountExists {
        /// The name.
        name: String,
    },
    /// A token that is unknown or revoked (one kind on purpose: callers must not learn which).
    #[error("unknown or revoked token")]
    Unauthenticated,
    /// Something looked up by key is not there.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. ``package `x` ``.
        what: String,
    },
    /// No non-yanked version of the package matches the requirement.
    #[error("no version of `{name}` matches `{req}`")]
    NoMatch {
        /// The package.
        name: String,
        /// The requirement.
        req: String,
    },
    /// A stored blob no longer hashes to its name.
    #[error("blob digest mismatch: expected {expected}, found {actual}")]
    DigestMismatch {
        /// The digest the blob is stored under.
        expected: Digest,
        /// What its bytes hash to now.
        actual: Digest,
    },
    /// The audit chain is broken at `seq` (the first record that does not fit).
    #[error("audit log broken at seq {seq}: {reason}")]
    AuditBroken {
        /// First bad sequence number.
        seq: u64,
        /// What does not fit.
        reason: String,
    },
    /// The data directory holds a database that is damaged or not a registry.
    #[error("registry database at {path} is unusable: {reason}")]
    Corrupt {
        /// The data directory.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The file system holding the data is full (or would be left with less than
    /// [`crate::MIN_FREE_BYTES`] free): the write was refused and nothing was stored.
    #[error("storage full: {available} bytes free at {path}, the write needs {needed}")]
    StorageFull {
        /// The directory whose file system is full.
        path: String,
        /// Bytes free there.
        available: u64,
        /// Bytes the write needed, the reserve included.
        needed: u64,
    },
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The metadata backend failed.
    #[error("storage: {0}")]
    Storage(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A stable, machine-readable code for the variant (for `{"error": {"code", ...}}`).
    ///
    /// Suggested HTTP statuses: `invalid_*` 400 (`invalid_manifest`, `manifest_mismatch` 422),
    /// `unauthenticated` 401, `forbidden`/`not_owner` 403, `not_found`/`no_match` 404,
    /// `already_exists`/`account_exists` 409; the rest are server faults (500) whose messages
    /// should be logged, not returned.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidName { .. } => "invalid_name",
            Error::InvalidVersion { .. } => "invalid_version",
            Error::InvalidVersionReq { .. } => "invalid_version_req",
            Error::InvalidDigest { .. } => "invalid_digest",
            Error::InvalidManifest { .. } => "invalid_manifest",
            Error::ManifestMismatch { .. } => "manifest_mismatch",
            Error::InvalidJson { .. } => "invalid_json",
            Error::InvalidArgument { .. } => "invalid_argument",
            Error::AlreadyExists { .. } => "already_exists",
            Error::NotOwner { .. } => "not_owner",
            Error::Forbidden { .. } => "forbidden",
            Error::AccountExists { .. } => "account_exists",
            Error::Unauthenticated => "unauthenticated",
            Error::NotFound { .. } => "not_found",
            Error::NoMatch { .. } => "no_match",
            Error::DigestMismatch { .. } => "digest_mismatch",
            Error::AuditBroken { .. } => "audit_broken",
            Error::Corrupt { .. } => "corrupt",
            Error::StorageFull { .. } => "storage_full",
            e if e.is_storage_full() => "storage_full",
            Error::Io { .. } => "io",
            Error::Storage(_) => "storage",
        }
    }

    /// True when the disk is full: [`Error::StorageFull`], or a file-system error saying no
    /// space, quota exceeded or file too large (a write that raced past the guard).
    pub fn is_storage_full(&self) -> bool {
        use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
        match self {
            Error::StorageFull { .. } => true,
            Error::Io { source, .. } => {
                matches!(source.kind(), StorageFull | QuotaExceeded | FileTooLarge)
            }
            _ => false,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }
}

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        match e {
            // Keep the kind, so a full disk is recognisable (see `Error::is_storage_full`).
            sled::Error::Io(source) => Error::io("sled", source),
            e => Error::Storage(e.to_string()),
        }
    }
}
