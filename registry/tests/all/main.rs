//! Integration tests of smelt-registry, all on real sled databases on disk.

mod accounts;
mod audit;
mod crash;
mod docs;
mod errors;
mod fixtures;
mod integrity;
mod publish;

use smelt_registry::{PublishRequest, Registry, Role};
use tempfile::TempDir;

pub use fixtures::{MANIFEST, manifest};

/// Admin, two providers, a reviewer and an enterprise, as most tests need them.
pub const ADMIN: &str = "operator";
pub const ACME: &str = "acme";
pub const OTHER: &str = "other-provider";
pub const REVIEWER: &str = "reviewer";
pub const ENTERPRISE: &str = "mill";

/// A registry in a fresh temporary directory with the standard accounts.
pub fn fresh() -> (TempDir, Registry) {
    let dir = tempfile::tempdir().expect("tempdir");
    let registry = Registry::open(dir.path()).expect("open fresh registry");
    accounts(&registry);
    (dir, registry)
}

/// Creates the standard accounts.
pub fn accounts(registry: &Registry) {
    registry.bootstrap_admin(ADMIN).expect("bootstrap");
    for (name, role) in [
        (ACME, Role::Provider),
        (OTHER, Role::Provider),
        (REVIEWER, Role::Reviewer),
        (ENTERPRISE, Role::Enterprise),
    ] {
        registry
            .create_account(ADMIN, name, role)
            .expect("create account");
    }
}

/// A publish request for `name@version` with the given component bytes.
pub fn request(publisher: &str, name: &str, version: &str, component: &[u8]) -> PublishRequest {
    PublishRequest {
        publisher: publisher.into(),
        manifest_toml: manifest(name, version),
        component: component.to_vec(),
        vectors: None,
        wit_version: "0.1.0".into(),
        descriptor_json: r#"{"name":"x"}"#.into(),
        expect: None,
    }
}
