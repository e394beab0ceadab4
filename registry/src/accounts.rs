//! Accounts, roles and bearer tokens.
//!
//! A token is 32 random bytes shown once as `smelt_<64 hex>`; only its SHA-256 is stored, and
//! it is looked up by that hash. Each token also has a public id (`tok-<16 hex>`) so it can be
//! listed and revoked without knowing the secret.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::registry::{Registry, decode, encode, get_in, now_ms};
use crate::storage::Txn;
use crate::types::{Digest, name_problem};
use crate::{Error, Result};

/// What an account may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The operator: creates accounts, may yank anything.
    Admin,
    /// A solution provider (数字化服务商): publishes and owns package names.
    Provider,
    /// An enterprise (被改造企业): finds, tries and deploys solutions.
    Enterprise,
    /// A reviewer (评审专家): sets review states and scorecards.
    Reviewer,
}

impl Role {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Provider => "provider",
            Role::Enterprise => "enterprise",
            Role::Reviewer => "reviewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        [
            Role::Admin,
            Role::Provider,
            Role::Enterprise,
            Role::Reviewer,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or_else(|| Error::InvalidArgument {
            what: "role",
            reason: format!("expected admin, provider, enterprise or reviewer, found `{s}`"),
        })
    }
}

/// An account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Unique name (same rule as package names).
    pub name: String,
    /// Its one role.
    pub role: Role,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
}

/// A token's public facts (never the secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Public id, `tok-<16 hex>`.
    pub id: String,
    /// The account it authenticates.
    pub account: String,
    /// Creation time, ms since the Unix epoch.
    pub created_ms: u64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A freshly issued token: `secret` is shown this once and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct NewToken {
    /// The bearer secret, `smelt_<64 hex>`.
    pub secret: String,
    /// The public id.
    pub id: String,
}

impl fmt::Debug for NewToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewToken")
            .field("secret", &"<redacted>")
            .field("id", &self.id)
            .finish()
    }
}

/// Bytes of randomness in a token secret (256 bits: unguessable, and hashing it with a fast
/// unsalted SHA-256 is safe because there is nothing to brute-force).
const TOKEN_BYTES: usize = 32;
const TOKEN_PREFIX: &str = "smelt_";

fn account_key(name: &str) -> Vec<u8> {
    format!("acct/{name}").into_bytes()
}
const ACCOUNTS: &[u8] = b"acct/";
/// `tok/<sha256 hex of the secret>` → token id.
fn token_hash_key(hash: &Digest) -> Vec<u8> {
    format!("tok/{}", hash.hex()).into_bytes()
}
/// `tokid/<id>` → [`TokenInfo`].
fn token_id_key(id: &str) -> Vec<u8> {
    format!("tokid/{id}").into_bytes()
}
const TOKEN_IDS: &[u8] = b"tokid/";
/// Set once the first admin exists; bootstrapping is allowed only before.
const BOOTSTRAPPED: &[u8] = b"meta/bootstrapped";

/// Tokens verified since the last change to any account or token, by the SHA-256 of the secret
/// (the secret itself is never kept): the bearer check on every request reads this instead of
/// three records from storage. Every write that touches accounts or tokens bumps `changes`
/// after it commits (`Registry::write_accounts`), which empties the cache, and a
/// verification read while a write was in flight is never kept, so a revoked token is refused
/// by the first request after the revocation is acknowledged.
#[derive(Default)]
pub(crate) struct TokenCache {
    changes: AtomicU64,
    /// The `changes` value the entries were verified under, and the entries.
    verified: Mutex<(u64, HashMap<Digest, Account>)>,
}

/// Most tokens kept verified at once; past it the cache starts over (only tokens that
/// authenticated are kept, so this bounds what many distinct live tokens can take).
const MAX_CACHED_TOKENS: usize = 10_000;

impl TokenCache {
    fn lookup(&self, hash: &Digest) -> (u64, Option<Account>) {
        let changes = self.changes.load(Ordering::Acquire);
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        let hit = (verified.0 == changes)
            .then(|| verified.1.get(hash).cloned())
            .flatten();
        (changes, hit)
    }

    /// Keeps `account` for `hash` if nothing changed since `seen` was read, before the
    /// storage reads that verified it.
    fn keep(&self, seen: u64, hash: Digest, account: &Account) {
        let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        if self.changes.load(Ordering::Acquire) != seen {
            return;
        }
        if verified.0 != seen || verified.1.len() >= MAX_CACHED_TOKENS {
            *verified = (seen, HashMap::new());
        }
        verified.1.insert(hash, account.clone());
    }
}

/// Loads an account inside a transaction.
pub(crate) fn load(tx: &dyn Txn, name: &str) -> Result<Account> {
    get_in(tx, &account_key(name))?.ok_or_else(|| Error::not_found(format!("account `{name}`")))
}

/// Loads `actor` and checks it has one of `roles`.
pub(crate) fn require_role(
    tx: &dyn Txn,
    actor: &str,
    roles: &[Role],
    action: &str,
) -> Result<Account> {
    let account = load(tx, actor)?;
    if !roles.contains(&account.role) {
        return Err(Error::Forbidden {
            actor: actor.to_owned(),
            action: format!("{action} (role {})", account.role),
        });
    }
    Ok(account)
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Issues a token for `account` inside `tx`. The secret is drawn outside the transaction so a
/// retried closure stores the same one it returns.
fn issue(tx: &dyn Txn, account: &str, secret: &str, id: &str) -> Result<()> {
    let hash = Digest::of(secret.as_bytes());
    let info = TokenInfo {
        id: id.to_owned(),
        account: account.to_owned(),
        created_ms: now_ms(),
        revoked: false,
    };
    tx.put(&token_hash_key(&hash), id.as_bytes())?;
    tx.put(&token_id_key(id), &encode(&info))?;
    Ok(())
}

fn fresh_token() -> NewToken {
    NewToken {
        secret: format!("{TOKEN_PREFIX}{}", random_hex(TOKEN_BYTES)),
        // 64 bits: ids are public, they only need to be unique.
        id: format!("tok-{}", random_hex(8)),
    }
}

fn check_account_name(name: &str) -> Result<()> {
    match name_problem(name) {
        None => Ok(()),
        Some(reason) => Err(Error::InvalidName {
            name: name.chars().take(80).collect(),
            reason: reason.to_owned(),
        }),
    }
}

impl Registry {
    /// Runs a write transaction on accounts or tokens, then marks verified tokens stale. Every
    /// such write goes through here.
    fn write_accounts<T>(&self, f: impl Fn(&dyn Txn) -> Result<T>) -> Result<T> {
        let result = self.store().run(f);
        // After the commit (or a failure, harmlessly): a verification cached before it is
        // never served again.
        self.inner.tokens.changes.fetch_add(1, Ordering::AcqRel);
        result
    }

    /// Creates the first admin account. Allowed exactly once per registry, so a server can call
    /// it at first start without opening a hole later.
    pub fn bootstrap_admin(&self, name: &str) -> Result<(Account, NewToken)> {
        check_account_name(name)?;
        let token = fresh_token();
        let account = self.insert_first_admin(name, &token)?;
        Ok((account, token))
    }

    /// [`Registry::bootstrap_admin`] for a caller that must store the secret somewhere (a
    /// file) before the account exists: `persist` receives the new token first, and the admin
    /// is created only once it returned `Ok`. A crash in between leaves a stored secret that
    /// authenticates nothing, and the next call stores a fresh one; the other order could lose
    /// the only admin secret. `Ok(None)` when the registry already has its admin.
    pub fn bootstrap_admin_persisted(
        &self,
        name: &str,
        persist: impl FnOnce(&NewToken) -> std::io::Result<()>,
    ) -> Result<Option<Account>> {
        check_account_name(name)?;
        if self.store().get(BOOTSTRAPPED)?.is_some() {
            return Ok(None);
        }
        let token = fresh_token();
        persist(&token).map_err(|e| Error::io("storing the admin token", e))?;
        self.insert_first_admin(name, &token).map(Some)
    }

    fn insert_first_admin(&self, name: &str, token: &NewToken) -> Result<Account> {
        self.write_accounts(|tx| {
            if tx.get(BOOTSTRAPPED)?.is_some() {
                return Err(Error::Forbidden {
                    actor: name.to_owned(),
                    action: "bootstrap an admin: the registry already has one".into(),
                });
            }
            tx.put(BOOTSTRAPPED, b"1")?;
            insert_account(tx, name, name, Role::Admin, token)
        })
    }

    /// Creates an account with one token (admin only).
    pub fn create_account(
        &self,
        actor: &str,
        name: &str,
        role: Role,
    ) -> Result<(Account, NewToken)> {
        check_account_name(name)?;
        let token = fresh_token();
        let account = self.write_accounts(|tx| {
            require_role(tx, actor, &[Role::Admin], "create accounts")?;
            insert_account(tx, actor, name, role, &token)
        })?;
        Ok((account, token))
    }

    /// Issues another token for `account` (the account itself or an admin).
    pub fn create_token(&self, actor: &str, account: &str) -> Result<NewToken> {
        let token = fresh_token();
        self.write_accounts(|tx| {
            let acting = load(tx, actor)?;
            if actor != account && acting.role != Role::Admin {
                return Err(Error::Forbidden {
                    actor: actor.to_owned(),
                    action: format!("issue tokens for `{account}`"),
                });
            }
            load(tx, account)?;
            issue(tx, account, &token.secret, &token.id)?;
            audit::append(
                tx,
                actor,
                "create token",
                account,
                &token_payload(&token.id),
            )
        })?;
        Ok(token)
    }

    /// The account a bearer secret belongs to. Unknown, malformed and revoked tokens all give
    /// [`Error::Unauthenticated`].
    pub fn authenticate(&self, secret: &str) -> Result<Account> {
        let hash = Digest::of(secret.as_bytes());
        let (seen, hit) = self.inner.tokens.lookup(&hash);
        if let Some(account) = hit {
            return Ok(account);
        }
        let account = self.authenticate_from_storage(&hash)?;
        self.inner.tokens.keep(seen, hash, &account);
        Ok(account)
    }

    fn authenticate_from_storage(&self, hash: &Digest) -> Result<Account> {
        let Some(id) = self.store().get(&token_hash_key(hash))? else {
            return Err(Error::Unauthenticated);
        };
        let key = token_id_key(&String::from_utf8_lossy(&id));
        let info: TokenInfo = match self.store().get(&key)? {
            Some(b) => decode(&key, &b)?,
            None => return Err(Error::Unauthenticated),
        };
        if info.revoked {
            return Err(Error::Unauthenticated);
        }
        self.account(&info.account)
            .map_err(|_| Error::Unauthenticated)
    }

    /// Revokes the token with public id `id` (its account or an admin). Revoking twice is a
    /// no-op.
    pub fn revoke_token(&self, actor: &str, id: &str) -> Result<TokenInfo> {
        self.write_accounts(|tx| {
            let acting = load(tx, actor)?;
            let key = token_id_key(id);
            let mut info: TokenInfo =
                get_in(tx, &key)?.ok_or_else(|| Error::not_found(format!("token `{id}`")))?;
            if info.account != actor && acting.role != Role::Admin {
                return Err(Error::Forbidden {
                    actor: actor.to_owned(),
                    action: format!("revoke tokens of `{}`", info.account),
                });
            }
            if !info.revoked {
                info.revoked = true;
                tx.put(&key, &encode(&info))?;
                audit::append(tx, actor, "revoke token", &info.account, &token_payload(id))?;
            }
            Ok(info)
        })
    }

    /// One account.
    pub fn account(&self, name: &str) -> Result<Account> {
        let key = account_key(name);
        match self.store().get(&key)? {
            Some(b) => decode(&key, &b),
            None => Err(Error::not_found(format!("account `{name}`"))),
        }
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.store()
            .scan_prefix(ACCOUNTS)?
            .into_iter()
            .map(|(k, v)| decode(&k, &v))
            .collect()
    }

    /// The tokens of `account` (public facts only), by id.
    pub fn tokens(&self, account: &str) -> Result<Vec<TokenInfo>> {
        let mut out = Vec::new();
        for (k, v) in self.store().scan_prefix(TOKEN_IDS)? {
            let info: TokenInfo = decode(&k, &v)?;
            if info.account == account {
                out.push(info);
            }
        }
        Ok(out)
    }
}

fn token_payload(id: &str) -> String {
    serde_json::json!({ "token_id": id }).to_string()
}

fn insert_account(
    tx: &dyn Txn,
    actor: &str,
    name: &str,
    role: Role,
    token: &NewToken,
) -> Result<Account> {
    let key = account_key(name);
    if tx.get(&key)?.is_some() {
        return Err(Error::AccountExists {
            name: name.to_owned(),
        });
    }
    let account = Account {
        name: name.to_owned(),
        role,
        created_ms: now_ms(),
    };
    tx.put(&key, &encode(&account))?;
    issue(tx, name, &token.secret, &token.id)?;
    let payload = serde_json::json!({ "role": role, "token_id": token.id }).to_string();
    audit::append(tx, actor, "create account", name, &payload)?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print() {
        for r in ["admin", "provider", "enterprise", "reviewer"] {
            assert_eq!(r.parse::<Role>().unwrap().to_string(), r);
        }
        let err = "root".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("expected admin, provider"), "{err}");
    }

    fn account(name: &str) -> Account {
        Account {
            name: name.into(),
            role: Role::Enterprise,
            created_ms: 0,
        }
    }

    #[test]
    fn a_verification_read_before_a_change_is_never_kept() {
        let cache = TokenCache::default();
        let hash = Digest::of(b"smelt_secret");
        let (seen, hit) = cache.lookup(&hash);
        assert_eq!(hit, None);
        // A write to accounts commits while this verification was reading storage.
        cache.changes.fetch_add(1, Ordering::AcqRel);
        cache.keep(seen, hash, &account("weaver"));
        assert_eq!(cache.lookup(&hash).1, None);
        // Read after the change: kept, until the next change.
        let (seen, _) = cache.lookup(&hash);
        cache.keep(seen, hash, &account("weaver"));
        assert_eq!(cache.lookup(&hash).1, Some(account("weaver")));
        cache.changes.fetch_add(1, Ordering::AcqRel);
        assert_eq!(cache.lookup(&hash).1, None);
    }

    #[test]
    fn the_cache_starts_over_when_full() {
        let cache = TokenCache::default();
        for i in 0..=MAX_CACHED_TOKENS {
            let hash = Digest::of(format!("token {i}").as_bytes());
            let (seen, _) = cache.lookup(&hash);
            cache.keep(seen, hash, &account("weaver"));
        }
        let verified = cache.verified.lock().unwrap();
        assert_eq!(
            verified.1.len(),
            1,
            "emptied at the cap, then one more kept"
        );
    }

    #[test]
    fn revoked_and_new_tokens_are_seen_by_the_next_request() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path()).unwrap();
        let (admin, _) = registry.bootstrap_admin("operator").unwrap();
        let (_, token) = registry
            .create_account(&admin.name, "weaver", Role::Enterprise)
            .unwrap();
        // Threads authenticate the token over and over while it is revoked; once the
        // revocation returned, no call may succeed.
        let revoked = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..2_000 {
                        let done = revoked.load(Ordering::Acquire);
                        let result = registry.authenticate(&token.secret);
                        if done {
                            assert!(matches!(result, Err(Error::Unauthenticated)));
                        }
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
            registry.revoke_token("weaver", &token.id).unwrap();
            revoked.store(true, Ordering::Release);
        });
        assert!(matches!(
            registry.authenticate(&token.secret),
            Err(Error::Unauthenticated)
        ));
        // A token issued after verifications were cached authenticates at once.
        let second = registry.create_token("weaver", "weaver").unwrap();
        assert_eq!(
            registry.authenticate(&second.secret).unwrap().name,
            "weaver"
        );
    }

    #[test]
    fn fresh_tokens_are_long_random_and_redacted() {
        let a = fresh_token();
        let b = fresh_token();
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 2 * TOKEN_BYTES);
        assert!(a.id.starts_with("tok-"));
        assert!(!format!("{a:?}").contains(&a.secret));
    }
}
