//! smelt's registry: validated names, versions and digests, the `smelt.toml` manifest, a
//! content-addressed blob store, sled metadata behind a small [`Storage`] trait, semver
//! resolution, accounts and tokens, a JSON document store and a hash-chained audit log.
//!
//! A [`Registry`] owns one data directory: `blobs/` (files named by SHA-256, written atomically,
//! re-hashed on every read) and the sled database `meta/`. Every write returns only after it is
//! on disk. Published versions never change; yanking hides, never deletes; a name@version is
//! never reused; every state change appends to the audit log in the same transaction.
//!
//! What the HTTP layer calls:
//!
//! | route | call |
//! | --- | --- |
//! | bearer auth | [`Registry::authenticate`] → [`Account`] |
//! | `POST /v1/accounts` | [`Registry::create_account`] (first start: [`Registry::bootstrap_admin`]) |
//! | `DELETE /v1/tokens/{id}` | [`Registry::revoke_token`] |
//! | `PUT /v1/packages/{name}/{version}` | [`Registry::publish`] with [`PublishRequest::expect`] set from the URL |
//! | package, version, resolve | [`Registry::package`], [`Registry::version`], [`Registry::resolve`] |
//! | yank | [`Registry::yank`], [`Registry::unyank`] |
//! | blobs by digest | [`Registry::blob`] |
//! | search | [`Registry::search`] |
//! | reviews, scorecards | [`Registry::annotate`] / [`Registry::annotation`] with [`AnnotationKind`] |
//! | deployments etc. | [`Registry::docs`] → [`Docs`] |
//! | audit | [`Registry::audit_append`], [`Registry::audit_list`], [`Registry::verify`] |
//!
//! ```
//! use smelt_registry::{Published, PublishRequest, Registry, Role, VersionReq};
//!
//! # fn main() -> smelt_registry::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let registry = Registry::open(dir.path())?;
//! let (admin, _admin_token) = registry.bootstrap_admin("operator")?;
//! let (_provider, token) = registry.create_account(&admin.name, "acme", Role::Provider)?;
//! assert_eq!(registry.authenticate(&token.secret)?.name, "acme");
//!
//! let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/all/smelt.toml")).unwrap();
//! let published = registry.publish(PublishRequest {
//!     publisher: "acme".into(),
//!     manifest_toml: manifest,
//!     component: b"\0asm\x0d\0\x01\0".to_vec(),
//!     wit_version: "0.1.0".into(),
//!     descriptor_json: "{}".into(),
//!     ..Default::default()
//! })?;
//! assert!(matches!(published, Published::Created(_)));
//!
//! let req: VersionReq = "^0.1".parse()?;
//! let found = registry.resolve(&"dye-lot-color-qc".parse()?, &req)?;
//! assert_eq!(registry.blob(&found.component)?, b"\0asm\x0d\0\x01\0");
//! registry.verify()?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

mod accounts;
mod audit;
mod blob;
mod docs;
mod error;
pub mod manifest;
mod registry;
mod storage;
mod types;

pub use accounts::{Account, NewToken, Role, TokenInfo};
pub use audit::{AuditRecord, AuditSummary, MAX_AUDIT_PAGE};
pub use blob::BlobStore;
pub use docs::Docs;
pub use error::{Error, Result};
pub use manifest::Manifest;
pub use registry::{
    Annotation, AnnotationKind, Package, PublishRequest, Published, Registry, SearchQuery,
    VersionEntry, VersionRecord,
};
pub use storage::{Entries, SledStorage, Storage, Txn};
pub use types::{Digest, PackageName, Version, VersionReq};
