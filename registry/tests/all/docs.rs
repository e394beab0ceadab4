//! The JSON document store.

use smelt_registry::{Error, Registry};

use crate::{ADMIN, fresh};

#[test]
fn documents_round_trip_and_persist() {
    let (dir, registry) = fresh();
    let deployments = registry.docs("deployments").unwrap();
    deployments.put("mill/d1", r#"{"pin":"1.0.0"}"#).unwrap();
    deployments.put("mill/d2", r#"{"pin":"1.1.0"}"#).unwrap();
    deployments.put("weaver/d1", r#"{"pin":"2.0.0"}"#).unwrap();
    assert!(deployments.insert_if_absent("mill/d3", "{}").unwrap());
    assert!(
        !deployments
            .insert_if_absent("mill/d3", r#"{"x":1}"#)
            .unwrap()
    );
    assert_eq!(deployments.get("mill/d3").unwrap().as_deref(), Some("{}"));

    assert!(
        !deployments
            .compare_and_swap(
                "mill/d1",
                Some(r#"{"pin":"0.9.0"}"#),
                Some(r#"{"pin":"1.2.0"}"#)
            )
            .unwrap()
    );
    assert!(
        deployments
            .compare_and_swap(
                "mill/d1",
                Some(r#"{"pin":"1.0.0"}"#),
                Some(r#"{"pin":"1.2.0"}"#)
            )
            .unwrap()
    );
    assert!(deployments.remove("mill/d3").unwrap());
    assert!(!deployments.remove("mill/d3").unwrap());

    // Namespaces do not see each other.
    let needs = registry.docs("needs").unwrap();
    needs.put("mill/d1", r#"{"need":true}"#).unwrap();
    assert!(
        registry
            .docs("deploy")
            .unwrap()
            .list("")
            .unwrap()
            .is_empty()
    );

    assert!(matches!(
        deployments.put("k", "{oops"),
        Err(Error::InvalidJson { .. })
    ));
    assert!(matches!(
        deployments.put("", "{}"),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        registry.docs("Bad/ns"),
        Err(Error::InvalidArgument { .. })
    ));

    drop((deployments, needs, registry));
    let registry = Registry::open(dir.path()).unwrap();
    let listed = registry.docs("deployments").unwrap().list("mill/").unwrap();
    assert_eq!(
        listed,
        [
            ("mill/d1".to_owned(), r#"{"pin":"1.2.0"}"#.to_owned()),
            ("mill/d2".to_owned(), r#"{"pin":"1.1.0"}"#.to_owned()),
        ]
    );
    assert_eq!(
        registry
            .docs("deployments")
            .unwrap()
            .list("")
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn audited_put_stores_and_records_together() {
    let (_dir, registry) = fresh();
    let deployments = registry.docs("deployments").unwrap();
    let record = deployments
        .put_audited("mill/d1", r#"{"pin":"1.0.0"}"#, ADMIN, "deploy", "mill/d1")
        .unwrap();
    assert_eq!(record.action, "deploy");
    assert_eq!(record.payload, r#"{"pin":"1.0.0"}"#);
    assert_eq!(
        deployments.get("mill/d1").unwrap().as_deref(),
        Some(r#"{"pin":"1.0.0"}"#)
    );
    assert_eq!(registry.verify().unwrap().records, record.seq);
    // A bad document neither stores nor records anything.
    assert!(
        deployments
            .put_audited("mill/d2", "{", ADMIN, "deploy", "mill/d2")
            .is_err()
    );
    assert_eq!(deployments.get("mill/d2").unwrap(), None);
    assert_eq!(registry.verify().unwrap().records, record.seq);
}

#[test]
fn insert_if_absent_has_one_winner_under_contention() {
    let (_dir, registry) = fresh();
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let docs = registry.docs("deployments").unwrap();
            std::thread::spawn(move || {
                docs.insert_if_absent("mill/next-id", &format!("{{\"by\":{i}}}"))
                    .unwrap()
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|won| *won)
        .count();
    assert_eq!(wins, 1);
}
