//! smelt's registry: validated names, versions and digests, the `smelt.toml` manifest, a
//! content-addressed blob store, sled metadata behind a small [`Storage`] trait, semver
//! resolution, accounts and tokens, a JSON document store and a hash-chained audit log.
//!
//! A [`Registry`] owns one data directory:
//!
//! ```text
//! <dir>/blobs/<sha256 hex>   components, manifests, vectors; written to blobs/tmp/, fsynced,
//!                            renamed, directory fsynced; re-hashed on every read
//! <dir>/meta/                the sled 0.34 database (one keyspace, see `Storage`)
//! <dir>/meta.format          marker: a database is expected here
//! <dir>/meta.commit          count of durable commits: a database behind it is refused
//! ```
//!
//! Every write returns only after it is on disk. Published versions never change; yanking
//! hides, never deletes; a name@version is never reused; every state change appends to the
//! hash-chained audit log in the same transaction. Opening a damaged, truncated or rolled-back
//! database is [`Error::Corrupt`], never a fresh empty registry. [`Registry`] is a cheap
//! `Clone + Send + Sync` handle; sled allows one process per data directory.
//!
//! Actors are account names, as returned by [`Registry::authenticate`]. Roles: admin creates
//! accounts and may yank anything; a provider publishes and owns the names it published first;
//! a reviewer (or admin) sets reviews and scorecards; an enterprise only reads (and its
//! deployments live in [`Docs`]). [`Error::code`] gives each error a stable code.
//!
//! What the HTTP layer calls:
//!
//! | route | call |
//! | --- | --- |
//! | bearer auth | [`Registry::authenticate`] → [`Account`] |
//! | accounts (admin) | [`Registry::create_account`], [`Registry::accounts`]; at first start [`Registry::bootstrap_admin`] |
//! | tokens | [`Registry::create_token`], [`Registry::tokens`], `DELETE /v1/tokens/{id}` → [`Registry::revoke_token`] |
//! | `PUT /v1/packages/{name}/{version}` | [`Registry::publish`] with [`PublishRequest::expect`] set from the URL |
//! | package, version, resolve | [`Registry::package`], [`Registry::version`], [`Registry::resolve`], [`Registry::package_names`] |
//! | yank | [`Registry::yank`], [`Registry::unyank`] |
//! | blobs by digest | [`Registry::blob`] |
//! | search | [`Registry::search`] with a [`SearchQuery`]; [`Registry::catalog`] and [`CatalogSnapshot::search`] to page without copies |
//! | reviews, scorecards | [`Registry::annotate`] / [`Registry::annotation`] with [`AnnotationKind`] |
//! | deployments, assessments, needs, usage | [`Registry::docs`] → [`Docs`] ([`Docs::put_audited`] for audited state changes) |
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
mod check;
mod docs;
mod error;
pub mod manifest;
mod registry;
mod space;
mod storage;
mod types;

pub use accounts::{Account, NewToken, Role, TokenInfo};
pub use audit::{AuditRecord, AuditSummary, MAX_AUDIT_PAGE};
pub use blob::BlobStore;
pub use check::IntegrityReport;
pub use docs::Docs;
pub use error::{Error, Result};
pub use manifest::Manifest;
pub use registry::{
    Annotation, AnnotationKind, CatalogSnapshot, Package, PublishRequest, Published, Registry,
    SearchQuery, VersionEntry, VersionRecord,
};
pub use space::MIN_FREE_BYTES;
pub use storage::{Entries, SledStorage, Storage, Txn};
pub use types::{Digest, PackageName, Version, VersionReq};

#[cfg(test)]
mod tests {
    /// The server shares one handle across its request tasks.
    #[test]
    fn registry_handle_is_clone_send_sync() {
        fn assert<T: Clone + Send + Sync + 'static>() {}
        assert::<super::Registry>();
        assert::<super::Docs>();
    }
}
