//! The audit chain: what gets recorded, and tampering found at the right record.

use smelt_registry::{Error, Registry};

use crate::{ACME, ADMIN, fresh, request};

/// Rewrites record `seq` in the closed database at `dir` with `edit`.
fn tamper(dir: &std::path::Path, seq: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let db = sled::open(dir.join("meta")).unwrap();
    let key = format!("audit/rec/{seq:020}");
    let mut value: serde_json::Value =
        serde_json::from_slice(&db.get(&key).unwrap().expect("record exists")).unwrap();
    edit(&mut value);
    db.insert(key, serde_json::to_vec(&value).unwrap()).unwrap();
    db.flush().unwrap();
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
        tamper(dir.path(), *seq, edit);
        let registry = Registry::open(dir.path()).unwrap();
        match registry.verify() {
            Err(Error::AuditBroken { seq: bad, reason }) => {
                assert_eq!(bad, *seq, "{reason}");
                assert!(reason.contains(reason_words), "{reason}");
            }
            other => panic!("seq {seq}: expected AuditBroken, got {other:?}"),
        }
    }
}

#[test]
fn recomputed_hash_still_breaks_the_next_link() {
    let (dir, registry) = populated();
    drop(registry);
    // A careful forger fixes the record's own hash; the next record's link then gives it away.
    let db = sled::open(dir.path().join("meta")).unwrap();
    let key = format!("audit/rec/{:020}", 4);
    let mut record: smelt_registry::AuditRecord =
        serde_json::from_slice(&db.get(&key).unwrap().unwrap()).unwrap();
    record.actor = "forger".into();
    record.hash = record.compute_hash();
    db.insert(key, serde_json::to_vec(&record).unwrap())
        .unwrap();
    db.flush().unwrap();
    drop(db);
    let registry = Registry::open(dir.path()).unwrap();
    assert!(matches!(
        registry.verify(),
        Err(Error::AuditBroken { seq: 5, .. })
    ));
}

#[test]
fn removed_record_is_reported() {
    let (dir, registry) = populated();
    drop(registry);
    let db = sled::open(dir.path().join("meta")).unwrap();
    db.remove(format!("audit/rec/{:020}", 5)).unwrap();
    db.flush().unwrap();
    drop(db);
    let registry = Registry::open(dir.path()).unwrap();
    match registry.verify() {
        Err(Error::AuditBroken { seq: 5, reason }) => {
            assert!(reason.contains("expected seq 5"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
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
    let db = sled::open(dir.path().join("meta")).unwrap();
    db.insert(
        format!("audit/rec/{:020}", 10),
        serde_json::to_vec(&forged).unwrap(),
    )
    .unwrap();
    db.flush().unwrap();
    drop(db);
    let registry = Registry::open(dir.path()).unwrap();
    match registry.verify() {
        Err(Error::AuditBroken { seq: 10, reason }) => {
            assert!(reason.contains("beyond the head"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
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
