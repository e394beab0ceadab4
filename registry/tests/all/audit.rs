//! The audit chain: what gets recorded, and tampering found at the right record.

use smelt_registry::{AuditRecord, Error, Registry};

use crate::{ACME, ADMIN, fresh, request};

fn record_key(seq: u64) -> String {
    format!("audit/rec/{seq:020}")
}

/// Changes the closed database at `dir` behind the registry's back with `change`, reopens it
/// and returns `(seq, reason)` of the break `verify()` reports.
fn verify_after(dir: &std::path::Path, change: impl FnOnce(&sled::Db)) -> (u64, String) {
    let db = sled::open(dir.join("meta")).unwrap();
    change(&db);
    db.flush().unwrap();
    drop(db);
    let registry = Registry::open(dir).unwrap();
    match registry.verify() {
        Err(Error::AuditBroken { seq, reason }) => (seq, reason),
        other => panic!("expected AuditBroken, got {other:?}"),
    }
}

/// Rewrites the JSON of record `seq` with `edit`.
fn edit_record(db: &sled::Db, seq: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_slice(&db.get(record_key(seq)).unwrap().expect("record exists")).unwrap();
    edit(&mut value);
    db.insert(record_key(seq), serde_json::to_vec(&value).unwrap())
        .unwrap();
}

/// A registry with 5 account records, then publish (6), yank (7), app event (8), publish (9).
fn populated() -> (tempfile::TempDir, Registry) {
    let (dir, registry) = fresh();
    registry
        .publish(request(ACME, "dye-lot", "1.0.0", b"a"))
        .unwrap();
    registry
        .yank(ACME, &"dye-lot".parse().unwrap(), &"1.0.0".parse().unwrap())
        .unwrap();
    registry
        .audit_append(ADMIN, "deploy", "mill/dye-lot", r#"{"pin":"1.0.0"}"#)
        .unwrap();
    registry
        .publish(request(ACME, "dye-lot", "1.1.0", b"b"))
        .unwrap();
    (dir, registry)
}

#[test]
fn records_every_state_change_in_a_chain() {
    let (_dir, registry) = populated();
    let records = registry.audit_list(1, 100).unwrap();
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.seq,
                r.actor.as_str(),
                r.action.as_str(),
                r.subject.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, ADMIN, "create account", ADMIN),
            (2, ADMIN, "create account", ACME),
            (3, ADMIN, "create account", "other-provider"),
            (4, ADMIN, "create account", "reviewer"),
            (5, ADMIN, "create account", "mill"),
            (6, ACME, "publish", "dye-lot@1.0.0"),
            (7, ACME, "yank", "dye-lot@1.0.0"),
            (8, ADMIN, "deploy", "mill/dye-lot"),
            (9, ACME, "publish", "dye-lot@1.1.0"),
        ]
    );
    for pair in records.windows(2) {
        assert_eq!(pair[1].prev, Some(pair[0].hash));
    }
    assert_eq!(records[0].prev, None);
    let verified = registry.verify().unwrap();
    assert_eq!(verified.records, 9);
    assert_eq!(verified.head, Some(records[8].hash));
    // Paging.
    let page = registry.audit_list(4, 2).unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5]);
    assert!(matches!(
        registry.audit_append(ADMIN, "deploy", "x", "not json"),
        Err(Error::InvalidJson { .. })
    ));
}

#[test]
fn edited_records_are_reported_at_their_sequence_number() {
    type Edit = fn(&mut serde_json::Value);
    let cases: &[(u64, Edit, &str)] = &[
        (7, |v| v["actor"] = "someone-else".into(), "record hash"),
        (3, |v| v["subject"] = "mallory".into(), "record hash"),
        (
            6,
            |v| v["payload"] = r#"{"component":"forged"}"#.into(),
            "payload",
        ),
        (8, |v| v["time_ms"] = 0.into(), "record hash"),
        (9, |v| v["seq"] = 10.into(), "expected seq 9"),
    ];
    for (seq, edit, reason_words) in cases {
        let (dir, registry) = populated();
        registry.verify().unwrap();
        drop(registry);
        let (bad, reason) = verify_after(dir.path(), |db| edit_record(db, *seq, edit));
        assert_eq!(bad, *seq, "{reason}");
        assert!(reason.contains(reason_words), "{reason}");
    }
}

#[test]
fn recomputed_hash_still_breaks_the_next_link() {
    let (dir, registry) = populated();
    drop(registry);
    // A careful forger fixes the record's own hash; the next record's link then gives it away.
    let (seq, reason) = verify_after(dir.path(), |db| {
        let mut record: AuditRecord =
            serde_json::from_slice(&db.get(record_key(4)).unwrap().unwrap()).unwrap();
        record.actor = "forger".into();
        record.hash = record.compute_hash();
        db.insert(record_key(4), serde_json::to_vec(&record).unwrap())
            .unwrap();
    });
    assert_eq!(seq, 5, "{reason}");
    assert!(reason.contains("previous-hash link"), "{reason}");
}

#[test]
fn removed_record_is_reported() {
    let (dir, registry) = populated();
    drop(registry);
    let (seq, reason) = verify_after(dir.path(), |db| {
        db.remove(record_key(5)).unwrap();
    });
    assert_eq!(seq, 5, "{reason}");
    assert!(reason.contains("expected seq 5"), "{reason}");
}

#[test]
fn record_appended_beyond_the_head_is_reported() {
    let (dir, registry) = populated();
    let last = registry.audit_list(9, 1).unwrap().remove(0);
    drop(registry);
    // A well-formed, correctly linked record slipped in without moving the head.
    let mut forged = last.clone();
    forged.seq = 10;
    forged.prev = Some(last.hash);
    forged.action = "publish".into();
    forged.hash = forged.compute_hash();
    let (seq, reason) = verify_after(dir.path(), |db| {
        db.insert(record_key(10), serde_json::to_vec(&forged).unwrap())
            .unwrap();
    });
    assert_eq!(seq, 10, "{reason}");
    assert!(reason.contains("beyond the head"), "{reason}");
}

#[test]
fn verify_agrees_with_concurrent_appends() {
    let (_dir, registry) = fresh();
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let registry = registry.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    registry
                        .audit_append(ADMIN, "deploy", &format!("t{t}/{i}"), "{}")
                        .unwrap();
                }
            })
        })
        .collect();
    let mut checks = 0;
    while !writers.iter().all(|w| w.is_finished()) {
        registry.verify().unwrap();
        checks += 1;
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(registry.verify().unwrap().records, 5 + 200);
    assert!(checks > 0);
}
