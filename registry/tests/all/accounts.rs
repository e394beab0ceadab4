//! Accounts and tokens.

use smelt_registry::{Error, Registry, Role};

use crate::{ACME, ADMIN, ENTERPRISE, OTHER, fresh};

#[test]
fn tokens_authenticate_until_revoked() {
    let (dir, registry) = fresh();
    let (account, token) = registry
        .create_account(ADMIN, "weaver", Role::Enterprise)
        .unwrap();
    assert_eq!(account.role, Role::Enterprise);
    assert!(token.secret.len() >= 64, "at least 32 random bytes");
    assert_eq!(registry.authenticate(&token.secret).unwrap(), account);

    let second = registry.create_token("weaver", "weaver").unwrap();
    assert_eq!(
        registry.authenticate(&second.secret).unwrap().name,
        "weaver"
    );
    let ids: Vec<_> = registry
        .tokens("weaver")
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&token.id) && ids.contains(&second.id));

    // Another non-admin account may not revoke it; the owner may.
    let err = registry.revoke_token(ENTERPRISE, &token.id).unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let revoked = registry.revoke_token("weaver", &token.id).unwrap();
    assert!(revoked.revoked);
    assert!(matches!(
        registry.authenticate(&token.secret),
        Err(Error::Unauthenticated)
    ));
    // The other token still works; an admin can revoke it.
    registry.authenticate(&second.secret).unwrap();
    registry.revoke_token(ADMIN, &second.id).unwrap();
    for bad in [second.secret.as_str(), "smelt_0000", "", "Bearer nonsense"] {
        assert!(
            matches!(registry.authenticate(bad), Err(Error::Unauthenticated)),
            "{bad}"
        );
    }
    assert!(matches!(
        registry.revoke_token(ADMIN, "tok-0000000000000000"),
        Err(Error::NotFound { .. })
    ));

    // Revocation survives a reopen, and the secret is on disk nowhere, only its hash.
    drop(registry);
    let registry = Registry::open(dir.path()).unwrap();
    assert!(matches!(
        registry.authenticate(&token.secret),
        Err(Error::Unauthenticated)
    ));
    drop(registry);
    let secret_hex = token.secret.trim_start_matches("smelt_").to_owned();
    let hash_hex = smelt_registry::Digest::of(token.secret.as_bytes()).hex();
    let mut found_hash = false;
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(&secret_hex),
            "secret stored in {}",
            entry.display()
        );
        found_hash |= text.contains(&hash_hex);
    }
    assert!(found_hash, "the token hash should be stored");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn only_admins_create_accounts_and_bootstrap_happens_once() {
    let (_dir, registry) = fresh();
    for actor in [ACME, ENTERPRISE] {
        let err = registry
            .create_account(actor, "someone", Role::Admin)
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    }
    let err = registry
        .create_account(ADMIN, OTHER, Role::Provider)
        .unwrap_err();
    assert!(matches!(err, Error::AccountExists { .. }), "{err:?}");
    let err = registry
        .create_account(ADMIN, "Bad Name", Role::Provider)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
    let err = registry.bootstrap_admin("second-admin").unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    assert!(matches!(
        registry.create_token(ACME, ENTERPRISE),
        Err(Error::Forbidden { .. })
    ));
    let names: Vec<_> = registry
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.role))
        .collect();
    assert_eq!(names.len(), 5);
    assert!(names.contains(&(ADMIN.to_owned(), Role::Admin)));
}

#[test]
fn bootstrap_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open(dir.path()).unwrap();
    let (admin, token) = registry.bootstrap_admin("root-op").unwrap();
    drop(registry);
    let registry = Registry::open(dir.path()).unwrap();
    assert_eq!(registry.authenticate(&token.secret).unwrap(), admin);
    assert!(registry.bootstrap_admin("again").is_err());
}
