//! The hash-chained audit log.
//!
//! Record `n` holds the hash of record `n - 1`; its own hash covers its sequence number, time,
//! actor, action, subject and the digest of its payload. Editing, removing or reordering a record
//! breaks the chain at that record, which [`Registry::verify`] reports. (Cutting records off the
//! end together with the head is only visible against a head hash kept elsewhere, e.g. in a
//! published [`AuditSummary`].)

use serde::{Deserialize, Serialize};

use crate::registry::{Registry, check_json, decode, encode, get_in, now_ms};
use crate::storage::Txn;
use crate::types::Digest;
use crate::{Error, Result};

/// One audit record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// Hash of the previous record (`None` for seq 1).
    pub prev: Option<Digest>,
    /// Time, ms since the Unix epoch.
    pub time_ms: u64,
    /// The acting account.
    pub actor: String,
    /// What happened (`publish`, `yank`, `create account`, `deploy`, ...).
    pub action: String,
    /// What it happened to (`name@version`, an account, ...).
    pub subject: String,
    /// The payload JSON as given.
    pub payload: String,
    /// SHA-256 of `payload`.
    pub payload_digest: Digest,
    /// This record's hash (see [`AuditRecord::compute_hash`]).
    pub hash: Digest,
}

impl AuditRecord {
    /// The hash the record should carry: SHA-256 of the JSON array
    /// `[seq, prev, time_ms, actor, action, subject, payload_digest]` (JSON so that no field can
    /// bleed into the next).
    pub fn compute_hash(&self) -> Digest {
        let fields = (
            self.seq,
            self.prev,
            self.time_ms,
            &self.actor,
            &self.action,
            &self.subject,
            self.payload_digest,
        );
        Digest::of(&encode(&fields))
    }
}

/// The state of a verified chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    /// Number of records.
    pub records: u64,
    /// Hash of the last record, `None` when the log is empty.
    pub head: Option<Digest>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: Digest,
}

const HEAD: &[u8] = b"audit/head";
const RECORDS: &[u8] = b"audit/rec/";

/// Zero-padded so byte order is sequence order.
fn record_key(seq: u64) -> Vec<u8> {
    format!("audit/rec/{seq:020}").into_bytes()
}

/// Appends a record inside `tx`, so it commits or vanishes with the change it describes.
pub(crate) fn append(
    tx: &dyn Txn,
    actor: &str,
    action: &str,
    subject: &str,
    payload: &str,
) -> Result<AuditRecord> {
    let head: Option<Head> = get_in(tx, HEAD)?;
    let mut record = AuditRecord {
        seq: head.as_ref().map_or(1, |h| h.seq + 1),
        prev: head.map(|h| h.hash),
        time_ms: now_ms(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_owned(),
        payload: payload.to_owned(),
        payload_digest: Digest::of(payload.as_bytes()),
        hash: Digest::of(b""),
    };
    record.hash = record.compute_hash();
    tx.put(&record_key(record.seq), &encode(&record))?;
    tx.put(
        HEAD,
        &encode(&Head {
            seq: record.seq,
            hash: record.hash,
        }),
    )?;
    Ok(record)
}

/// Bounds how many records one `audit_list` call returns, so a client cannot ask for the
/// whole log in one response.
pub const MAX_AUDIT_PAGE: usize = 1000;

impl Registry {
    /// Appends a record for a state change made by a higher layer (review, deploy, upgrade,
    /// rollback, suspension). `payload_json` must be JSON; it is stored with its digest.
    pub fn audit_append(
        &self,
        actor: &str,
        action: &str,
        subject: &str,
        payload_json: &str,
    ) -> Result<AuditRecord> {
        check_json("audit payload", payload_json)?;
        if action.trim().is_empty() {
            return Err(Error::InvalidArgument {
                what: "audit action",
                reason: "expected non-empty text".into(),
            });
        }
        self.store()
            .run(|tx| append(tx, actor, action, subject, payload_json))
    }

    /// Up to `limit` records (at most [`MAX_AUDIT_PAGE`]) from sequence number `from_seq` on.
    pub fn audit_list(&self, from_seq: u64, limit: usize) -> Result<Vec<AuditRecord>> {
        self.store()
            .scan(RECORDS, &record_key(from_seq), limit.min(MAX_AUDIT_PAGE))?
            .into_iter()
            .map(|(k, v)| decode(&k, &v))
            .collect()
    }

    /// Walks the whole chain and returns [`Error::AuditBroken`] naming the first record that
    /// does not fit (wrong sequence, wrong link, payload or hash not matching, missing or extra
    /// records against the head). Safe to run while records are being appended.
    pub fn verify(&self) -> Result<AuditSummary> {
        let broken = |seq: u64, reason: String| Error::AuditBroken { seq, reason };
        // The head read before the walk: every record up to it must be there and it must name
        // the record at its seq. Records after it may be appends racing with this walk.
        let before = self.head()?;
        let mut expected_seq = 1u64;
        let mut prev: Option<Digest> = None;
        let mut start = record_key(1);
        loop {
            let page = self.store().scan(RECORDS, &start, MAX_AUDIT_PAGE)?;
            let Some((last_key, _)) = page.last() else {
                break;
            };
            start = last_key.clone();
            start.push(0);
            for (key, bytes) in &page {
                let record: AuditRecord = serde_json::from_slice(bytes)
                    .map_err(|e| broken(expected_seq, format!("record does not decode: {e}")))?;
                if *key != record_key(expected_seq) || record.seq != expected_seq {
                    return Err(broken(
                        expected_seq,
                        format!(
                            "expected seq {expected_seq}, found record `{}` claiming seq {}",
                            String::from_utf8_lossy(key),
                            record.seq
                        ),
                    ));
                }
                if record.prev != prev {
                    return Err(broken(
                        expected_seq,
                        "previous-hash link does not match".into(),
                    ));
                }
                if Digest::of(record.payload.as_bytes()) != record.payload_digest {
                    return Err(broken(
                        expected_seq,
                        "payload does not match its digest".into(),
                    ));
                }
                if record.compute_hash() != record.hash {
                    return Err(broken(
                        expected_seq,
                        "record hash does not match its contents".into(),
                    ));
                }
                if before
                    .as_ref()
                    .is_some_and(|h| h.seq == record.seq && h.hash != record.hash)
                {
                    return Err(broken(
                        record.seq,
                        "the head names another hash for this record".into(),
                    ));
                }
                prev = Some(record.hash);
                expected_seq += 1;
            }
        }
        let records = expected_seq - 1;
        let head_seq = before.as_ref().map_or(0, |h| h.seq);
        if records < head_seq {
            return Err(broken(
                records + 1,
                format!("record missing (the head is at seq {head_seq})"),
            ));
        }
        if records > head_seq {
            // Legitimate appends move the head with their record, so a head read now covers
            // every record the walk saw.
            let after = self.head()?.map_or(0, |h| h.seq);
            if after < records {
                return Err(broken(
                    after + 1,
                    format!("record beyond the head (seq {after})"),
                ));
            }
        }
        Ok(AuditSummary {
            records,
            head: prev,
        })
    }

    fn head(&self) -> Result<Option<Head>> {
        self.store()
            .get(HEAD)?
            .map(|b| decode(HEAD, &b))
            .transpose()
    }
}
