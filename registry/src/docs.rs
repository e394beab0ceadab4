//! A JSON document store in the registry database for higher layers (deployments,
//! assessments, needs, usage), with the same durability as publishing.

use crate::audit::{self, AuditRecord};
use crate::registry::{Registry, check_json};
use crate::storage::Storage;
use crate::types::name_problem;
use crate::{Error, Result};

/// Longest document key. Keys are ids or `tenant/id` paths, never payloads.
const MAX_KEY_LEN: usize = 512;

/// Documents in one namespace. Keys are any non-empty text up to 512 bytes, listed in byte
/// order; values are JSON text. Every write returns once it is on disk.
#[derive(Clone, Debug)]
pub struct Docs {
    registry: Registry,
    prefix: String,
}

impl Registry {
    /// The document namespace `namespace` (same naming rule as packages, e.g. `deployments`).
    pub fn docs(&self, namespace: &str) -> Result<Docs> {
        if let Some(reason) = name_problem(namespace) {
            return Err(Error::InvalidArgument {
                what: "document namespace",
                reason: format!("`{namespace}` {reason}"),
            });
        }
        Ok(Docs {
            registry: self.clone(),
            prefix: format!("doc/{namespace}/"),
        })
    }
}

impl Docs {
    fn key(&self, key: &str) -> Result<Vec<u8>> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(Error::InvalidArgument {
                what: "document key",
                reason: format!("expected 1 to {MAX_KEY_LEN} bytes, found {}", key.len()),
            });
        }
        Ok(format!("{}{key}", self.prefix).into_bytes())
    }

    fn store(&self) -> &dyn Storage {
        self.registry.store()
    }

    /// The document at `key`.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        let k = self.key(key)?;
        self.store()
            .get(&k)?
            .map(|b| {
                String::from_utf8(b)
                    .map_err(|e| Error::Storage(format!("document `{key}` is not utf-8: {e}")))
            })
            .transpose()
    }

    /// Writes (replaces) the document at `key`.
    pub fn put(&self, key: &str, json: &str) -> Result<()> {
        let k = self.key(key)?;
        check_json("document", json)?;
        self.store().run(|tx| tx.put(&k, json.as_bytes()))
    }

    /// Writes (replaces) the document at `key` and appends an audit record for it (payload: the
    /// document) in one transaction, so a deploy, upgrade or rollback is never stored without
    /// its record or recorded without being stored.
    pub fn put_audited(
        &self,
        key: &str,
        json: &str,
        actor: &str,
        action: &str,
        subject: &str,
    ) -> Result<AuditRecord> {
        let k = self.key(key)?;
        check_json("document", json)?;
        self.store().run(|tx| {
            tx.put(&k, json.as_bytes())?;
            audit::append(tx, actor, action, subject, json)
        })
    }

    /// Writes the document only if `key` is free; returns whether it did.
    pub fn insert_if_absent(&self, key: &str, json: &str) -> Result<bool> {
        self.compare_and_swap(key, None, Some(json))
    }

    /// Replaces the document at `key` only if it currently equals `expected` (`None`: absent);
    /// `new = None` deletes it. Returns whether the swap happened.
    pub fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&str>,
        new: Option<&str>,
    ) -> Result<bool> {
        let k = self.key(key)?;
        if let Some(json) = new {
            check_json("document", json)?;
        }
        self.store().run(|tx| {
            if tx.get(&k)?.as_deref() != expected.map(str::as_bytes) {
                return Ok(false);
            }
            match new {
                Some(json) => tx.put(&k, json.as_bytes())?,
                None => tx.remove(&k)?,
            }
            Ok(true)
        })
    }

    /// Deletes the document at `key`; returns whether it existed.
    pub fn remove(&self, key: &str) -> Result<bool> {
        let k = self.key(key)?;
        self.store().run(|tx| {
            let existed = tx.get(&k)?.is_some();
            if existed {
                tx.remove(&k)?;
            }
            Ok(existed)
        })
    }

    /// Every `(key, document)` whose key starts with `prefix`, in key order.
    pub fn list(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let full = format!("{}{prefix}", self.prefix);
        self.store()
            .scan_prefix(full.as_bytes())?
            .into_iter()
            .map(|(k, v)| {
                let key = String::from_utf8_lossy(&k[self.prefix.len()..]).into_owned();
                let doc = String::from_utf8(v)
                    .map_err(|e| Error::Storage(format!("document `{key}` is not utf-8: {e}")))?;
                Ok((key, doc))
            })
            .collect()
    }
}
