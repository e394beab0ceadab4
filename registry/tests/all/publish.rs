//! Publishing, reopening, resolution, yanking, search, blobs, concurrency.

use std::sync::{Arc, Barrier};

use smelt_registry::manifest::{Industry, Scene, Stage};
use smelt_registry::{
    AnnotationKind, Digest, Error, PackageName, Published, Registry, SearchQuery, Version,
    VersionReq,
};

use crate::{ACME, ADMIN, ENTERPRISE, OTHER, REVIEWER, fresh, manifest, request};

fn name(s: &str) -> PackageName {
    s.parse().unwrap()
}
fn ver(s: &str) -> Version {
    s.parse().unwrap()
}
fn req(s: &str) -> VersionReq {
    s.parse().unwrap()
}

#[test]
fn publish_then_reopen_keeps_everything() {
    let (dir, registry) = fresh();
    let mut with_vectors = request(ACME, "dye-lot", "1.0.0", b"component one");
    with_vectors.vectors = Some(br#"{"vectors":[]}"#.to_vec());
    let one = registry.publish(with_vectors).unwrap();
    let Published::Created(one) = one else {
        panic!("not created: {one:?}")
    };
    let two = registry
        .publish(request(ACME, "dye-lot", "1.1.0", b"component two"))
        .unwrap()
        .record()
        .clone();
    let other = registry
        .publish(request(OTHER, "four-point", "0.3.0", b"component three"))
        .unwrap()
        .record()
        .clone();
    registry
        .yank(ACME, &name("dye-lot"), &ver("1.1.0"))
        .unwrap();
    registry
        .annotate(
            REVIEWER,
            &name("dye-lot"),
            &ver("1.0.0"),
            AnnotationKind::Review,
            r#"{"state":"approved"}"#,
        )
        .unwrap();
    let audit_before = registry.verify().unwrap();
    drop(registry);

    let registry = Registry::open(dir.path()).unwrap();
    assert_eq!(
        registry.version(&name("dye-lot"), &ver("1.0.0")).unwrap(),
        one
    );
    let two_after = registry.version(&name("dye-lot"), &ver("1.1.0")).unwrap();
    assert!(two_after.yanked);
    assert_eq!(two_after.component, two.component);
    assert_eq!(
        registry
            .version(&name("four-point"), &ver("0.3.0"))
            .unwrap(),
        other
    );

    // Every blob is there and re-hashes to its name.
    assert_eq!(registry.blob(&one.component).unwrap(), b"component one");
    assert_eq!(registry.blob(&two.component).unwrap(), b"component two");
    assert_eq!(
        registry.blob(&one.manifest_digest).unwrap(),
        manifest("dye-lot", "1.0.0").as_bytes()
    );
    assert_eq!(
        registry.blob(&one.vectors.unwrap()).unwrap(),
        br#"{"vectors":[]}"#
    );

    let package = registry.package(&name("dye-lot")).unwrap();
    assert_eq!(package.owner, ACME);
    let listed: Vec<_> = package
        .versions
        .iter()
        .map(|e| (e.version.to_string(), e.yanked))
        .collect();
    assert_eq!(listed, [("1.0.0".into(), false), ("1.1.0".into(), true)]);
    assert_eq!(
        registry
            .resolve(&name("dye-lot"), &req("^1"))
            .unwrap()
            .version,
        ver("1.0.0")
    );
    let review = registry
        .annotation(&name("dye-lot"), &ver("1.0.0"), AnnotationKind::Review)
        .unwrap()
        .unwrap();
    assert_eq!(review.json, r#"{"state":"approved"}"#);
    assert_eq!(review.actor, REVIEWER);
    assert_eq!(registry.verify().unwrap(), audit_before);
    assert_eq!(
        registry.package_names().unwrap(),
        [name("dye-lot"), name("four-point")]
    );
}

#[test]
fn republish_is_idempotent_and_versions_are_never_reused() {
    let (_dir, registry) = fresh();
    let first = registry
        .publish(request(ACME, "dye-lot", "1.0.0", b"bytes"))
        .unwrap();
    let again = registry
        .publish(request(ACME, "dye-lot", "1.0.0", b"bytes"))
        .unwrap();
    assert_eq!(again, Published::AlreadyPublished(first.record().clone()));

    let different_component = registry.publish(request(ACME, "dye-lot", "1.0.0", b"other bytes"));
    assert!(
        matches!(&different_component, Err(Error::AlreadyExists { name, version }) if name == "dye-lot" && version == "1.0.0"),
        "{different_component:?}"
    );
    let mut different_manifest = request(ACME, "dye-lot", "1.0.0", b"bytes");
    different_manifest.manifest_toml = different_manifest
        .manifest_toml
        .replace("CIEDE2000", "CIE76");
    assert!(matches!(
        registry.publish(different_manifest),
        Err(Error::AlreadyExists { .. })
    ));
    let mut different_vectors = request(ACME, "dye-lot", "1.0.0", b"bytes");
    different_vectors.vectors = Some(b"{}".to_vec());
    assert!(matches!(
        registry.publish(different_vectors),
        Err(Error::AlreadyExists { .. })
    ));

    // A yanked version's number is still taken.
    registry
        .yank(ACME, &name("dye-lot"), &ver("1.0.0"))
        .unwrap();
    assert!(matches!(
        registry.publish(request(ACME, "dye-lot", "1.0.0", b"new bytes")),
        Err(Error::AlreadyExists { .. })
    ));
    // Only publishes and one yank were recorded: repeats and refusals leave no trace.
    let actions: Vec<_> = registry
        .audit_list(1, 100)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .filter(|a| a != "create account")
        .collect();
    assert_eq!(actions, ["publish", "yank"]);
}

#[test]
fn ownership_roles_and_url_identity() {
    let (_dir, registry) = fresh();
    registry
        .publish(request(ACME, "dye-lot", "1.0.0", b"a"))
        .unwrap();
    let err = registry
        .publish(request(OTHER, "dye-lot", "2.0.0", b"b"))
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotOwner { name, owner } if name == "dye-lot" && owner == ACME),
        "{err:?}"
    );
    // Identical bytes from someone else are still someone else's name.
    let err = registry
        .publish(request(OTHER, "dye-lot", "1.0.0", b"a"))
        .unwrap_err();
    assert!(matches!(err, Error::NotOwner { .. }), "{err:?}");
    for actor in [ENTERPRISE, REVIEWER, ADMIN] {
        let err = registry
            .publish(request(actor, "fresh-name", "1.0.0", b"c"))
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{actor}: {err:?}");
    }
    let err = registry
        .publish(request("ghost", "fresh-name", "1.0.0", b"c"))
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");

    let mut wrong_url = request(ACME, "dye-lot", "1.1.0", b"d");
    wrong_url.expect = Some((name("dye-lot"), ver("1.2.0")));
    assert!(matches!(
        registry.publish(wrong_url),
        Err(Error::ManifestMismatch {
            field: "package.version",
            ..
        })
    ));
    let mut right_url = request(ACME, "dye-lot", "1.1.0", b"d");
    right_url.expect = Some((name("dye-lot"), ver("1.1.0")));
    registry.publish(right_url).unwrap();

    // Yank: owner or admin only.
    let err = registry
        .yank(OTHER, &name("dye-lot"), &ver("1.0.0"))
        .unwrap_err();
    assert!(matches!(err, Error::NotOwner { .. }), "{err:?}");
    registry
        .yank(ADMIN, &name("dye-lot"), &ver("1.0.0"))
        .unwrap();
    let err = registry
        .yank(ACME, &name("dye-lot"), &ver("9.9.9"))
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    // Annotations: reviewer or admin only, existing versions only.
    let err = registry
        .annotate(
            ACME,
            &name("dye-lot"),
            &ver("1.0.0"),
            AnnotationKind::Scorecard,
            "{}",
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = registry
        .annotate(
            REVIEWER,
            &name("dye-lot"),
            &ver("3.0.0"),
            AnnotationKind::Scorecard,
            "{}",
        )
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    registry
        .annotate(
            ADMIN,
            &name("dye-lot"),
            &ver("1.0.0"),
            AnnotationKind::Scorecard,
            r#"{"small":1}"#,
        )
        .unwrap();
    assert_eq!(
        registry
            .annotation(&name("dye-lot"), &ver("1.0.0"), AnnotationKind::Scorecard)
            .unwrap()
            .unwrap()
            .json,
        r#"{"small":1}"#
    );
}

#[test]
fn resolution_picks_highest_unyanked_and_prereleases_only_when_asked() {
    let (_dir, registry) = fresh();
    for v in ["1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0-beta.1"] {
        registry
            .publish(request(ACME, "dye-lot", v, v.as_bytes()))
            .unwrap();
    }
    let resolve = |r: &str| {
        registry
            .resolve(&name("dye-lot"), &req(r))
            .map(|record| record.version.to_string())
    };
    assert_eq!(resolve("^1").unwrap(), "1.1.0");
    assert_eq!(resolve("*").unwrap(), "1.1.0");
    assert_eq!(resolve("=1.2.0-rc.1").unwrap(), "1.2.0-rc.1");
    assert_eq!(resolve(">=1.2.0-rc.1").unwrap(), "1.2.0-rc.1");
    assert_eq!(resolve("^2.0.0-beta").unwrap(), "2.0.0-beta.1");
    assert!(matches!(resolve("^2"), Err(Error::NoMatch { .. })));

    registry
        .yank(ACME, &name("dye-lot"), &ver("1.1.0"))
        .unwrap();
    assert_eq!(resolve("^1").unwrap(), "1.0.0");
    // Yanked: still fetchable by exact pin, blob included.
    let pinned = registry.version(&name("dye-lot"), &ver("1.1.0")).unwrap();
    assert!(pinned.yanked);
    assert_eq!(registry.blob(&pinned.component).unwrap(), b"1.1.0");
    registry
        .unyank(ACME, &name("dye-lot"), &ver("1.1.0"))
        .unwrap();
    assert_eq!(resolve("^1").unwrap(), "1.1.0");

    registry
        .yank(ACME, &name("dye-lot"), &ver("1.0.0"))
        .unwrap();
    registry
        .yank(ACME, &name("dye-lot"), &ver("1.1.0"))
        .unwrap();
    assert!(matches!(resolve("^1.0"), Err(Error::NoMatch { .. })));
    assert!(matches!(
        registry.resolve(&name("unknown-pkg"), &req("*")),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn search_filters_hides_yanked_and_orders_stably() {
    let (_dir, registry) = fresh();
    let publish = |n: &str, v: &str, edit: &dyn Fn(String) -> String| {
        let mut r = request(ACME, n, v, format!("{n}{v}").as_bytes());
        r.manifest_toml = edit(r.manifest_toml);
        registry.publish(r).unwrap();
    };
    let same = |m: String| m;
    publish("dye-lot", "1.0.0", &same);
    publish("dye-lot", "1.1.0", &same);
    publish("lot-tracker", "0.1.0", &|m: String| {
        m.replace(
            r#"industries = ["textile-dyeing"]"#,
            r#"industries = ["knitting", "auto-parts"]"#,
        )
        .replace(r#"scenes = ["quality"]"#, r#"scenes = ["仓储物流"]"#)
        .replace(r#"stages = ["production"]"#, r#"stages = ["supply"]"#)
    });
    publish("energy-meter", "2.0.0-rc.1", &|m: String| {
        m.replace(r#"scenes = ["quality"]"#, r#"scenes = ["energy"]"#)
            .replace("Dye-lot colour-difference QC", "Energy dashboard")
            .replace("染色批次色差质检", "能耗看板")
            .replace("CIEDE2000 colour difference of dye lots", "kWh per dye LOT")
    });
    publish("gone", "1.0.0", &same);
    registry.yank(ACME, &name("gone"), &ver("1.0.0")).unwrap();

    let search = |q: SearchQuery| -> Vec<String> {
        registry
            .search(&q)
            .unwrap()
            .into_iter()
            .map(|r| format!("{}@{}", r.name, r.version))
            .collect()
    };
    assert_eq!(
        search(SearchQuery::default()),
        [
            "dye-lot@1.1.0",
            "energy-meter@2.0.0-rc.1",
            "lot-tracker@0.1.0"
        ]
    );
    // Name matches rank before title/summary matches; ties by name.
    assert_eq!(
        search(SearchQuery {
            text: Some("LOT".into()),
            ..Default::default()
        }),
        [
            "dye-lot@1.1.0",
            "lot-tracker@0.1.0",
            "energy-meter@2.0.0-rc.1"
        ]
    );
    assert_eq!(
        search(SearchQuery {
            text: Some("lot-tracker".into()),
            ..Default::default()
        }),
        ["lot-tracker@0.1.0"]
    );
    assert_eq!(
        search(SearchQuery {
            text: Some("看板".into()),
            ..Default::default()
        }),
        ["energy-meter@2.0.0-rc.1"]
    );
    assert_eq!(
        search(SearchQuery {
            industry: Some(Industry::Knitting),
            ..Default::default()
        }),
        ["lot-tracker@0.1.0"]
    );
    assert_eq!(
        search(SearchQuery {
            scene: Some(Scene::Warehousing),
            stage: Some(Stage::Supply),
            ..Default::default()
        }),
        ["lot-tracker@0.1.0"]
    );
    assert!(
        search(SearchQuery {
            scene: Some(Scene::Warehousing),
            stage: Some(Stage::Sales),
            ..Default::default()
        })
        .is_empty()
    );
    assert!(
        search(SearchQuery {
            text: Some("nothing like it".into()),
            ..Default::default()
        })
        .is_empty()
    );
    // Yanking the newest falls back to the previous release. (lot-tracker kept the example's
    // title, "Dye-lot colour-difference QC", so it matches by title, after the name match.)
    registry
        .yank(ACME, &name("dye-lot"), &ver("1.1.0"))
        .unwrap();
    assert_eq!(
        search(SearchQuery {
            text: Some("dye-lot".into()),
            ..Default::default()
        }),
        ["dye-lot@1.0.0", "lot-tracker@0.1.0"]
    );
}

#[test]
fn catalog_snapshot_pages_by_position_and_changes_count_every_write() {
    let (_dir, registry) = fresh();
    for n in ["b-lot", "a-lot", "c-meter"] {
        registry
            .publish(request(ACME, n, "1.0.0", n.as_bytes()))
            .unwrap();
    }
    let snapshot = registry.catalog().unwrap();
    let names: Vec<String> = snapshot.records().map(|r| r.name.to_string()).collect();
    assert_eq!(names, ["a-lot", "b-lot", "c-meter"]);
    // Positions in relevance order (name match first, then by name), same as `search`.
    let lot = SearchQuery {
        text: Some("lot".into()),
        ..Default::default()
    };
    let positions = snapshot.search(&lot);
    let found: Vec<String> = positions
        .iter()
        .map(|&p| snapshot.get(p).unwrap().name.to_string())
        .collect();
    let searched: Vec<String> = registry
        .search(&lot)
        .unwrap()
        .into_iter()
        .map(|r| r.name.to_string())
        .collect();
    assert_eq!(found, searched);
    assert!(
        found.len() >= 2 && found[..2] == ["a-lot", "b-lot"],
        "{found:?}"
    );
    assert!(snapshot.get(snapshot.len()).is_none());
    // The last listing's name (the end of the names searched at once), in capitals: exact.
    let exact = snapshot.search(&SearchQuery {
        text: Some("C-METER".into()),
        ..Default::default()
    });
    assert_eq!(
        exact
            .first()
            .and_then(|&p| snapshot.get(p))
            .map(|r| r.name.as_str()),
        Some("c-meter")
    );
    // Text spanning two listings' names matches neither.
    let spanning = SearchQuery {
        text: Some("lotb-lot".into()),
        ..Default::default()
    };
    assert!(snapshot.search(&spanning).is_empty());

    // Every kind of write moves the counter; reads do not.
    let mut last = registry.catalog_changes();
    let mut moved = |what: &str| {
        let now = registry.catalog_changes();
        assert_ne!(now, last, "{what} did not move catalog_changes");
        last = now;
    };
    registry
        .annotate(
            REVIEWER,
            &name("a-lot"),
            &ver("1.0.0"),
            AnnotationKind::Review,
            r#"{"state":"approved"}"#,
        )
        .unwrap();
    moved("a review");
    registry
        .annotate(
            REVIEWER,
            &name("a-lot"),
            &ver("1.0.0"),
            AnnotationKind::Scorecard,
            r#"{"scores":{"small":90}}"#,
        )
        .unwrap();
    moved("a scorecard");
    registry.yank(ACME, &name("b-lot"), &ver("1.0.0")).unwrap();
    moved("a yank");
    registry
        .unyank(ACME, &name("b-lot"), &ver("1.0.0"))
        .unwrap();
    moved("an un-yank");
    registry
        .publish(request(ACME, "d-lot", "1.0.0", b"d"))
        .unwrap();
    moved("a publish");
    registry.search(&SearchQuery::default()).unwrap();
    registry.catalog().unwrap();
    assert_eq!(registry.catalog_changes(), last, "reads moved the counter");
    // The old snapshot is unchanged; a new one has the new package.
    assert_eq!(snapshot.len(), 3);
    assert_eq!(registry.catalog().unwrap().len(), 4);
}

#[test]
fn flipped_byte_in_a_blob_is_detected_on_read() {
    let (dir, registry) = fresh();
    let secret_bytes = b"component bytes that must never leak into an error";
    let record = registry
        .publish(request(ACME, "dye-lot", "1.0.0", secret_bytes))
        .unwrap()
        .record()
        .clone();
    let path = dir.path().join("blobs").join(record.component.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x80;
    std::fs::write(&path, &bytes).unwrap();

    let err = registry.blob(&record.component).unwrap_err();
    match &err {
        Error::DigestMismatch { expected, actual } => {
            assert_eq!(*expected, record.component);
            assert_eq!(*actual, Digest::of(&bytes));
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains("never leak"));
}

#[test]
fn thirty_two_threads_one_version_exactly_one_wins() {
    let (_dir, registry) = fresh();
    const THREADS: usize = 32;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let registry = registry.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let component = format!("component from thread {i}").into_bytes();
                barrier.wait();
                let out = registry.publish(request(ACME, "dye-lot", "1.0.0", &component));
                (component, out)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<_> = results
        .iter()
        .filter_map(|(bytes, r)| match r {
            Ok(Published::Created(record)) => Some((bytes, record)),
            _ => None,
        })
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let losers = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(Error::AlreadyExists { .. })))
        .count();
    assert_eq!(losers, THREADS - 1, "{results:?}");
    let (bytes, record) = winners[0];
    let stored = registry.version(&name("dye-lot"), &ver("1.0.0")).unwrap();
    assert_eq!(&stored, record);
    assert_eq!(&registry.blob(&stored.component).unwrap(), bytes);
    let summary = registry.verify().unwrap();
    // Five accounts, one publish.
    assert_eq!(summary.records, 6);
}

#[test]
fn open_refuses_damaged_databases() {
    type Damage = fn(&std::path::Path);
    let damage: &[(&str, Damage)] = &[
        ("database removed", |meta| {
            std::fs::remove_dir_all(meta).unwrap()
        }),
        ("log truncated to nothing", |meta| {
            std::fs::OpenOptions::new()
                .write(true)
                .open(meta.join("db"))
                .unwrap()
                .set_len(0)
                .unwrap()
        }),
        ("log cut in half", |meta| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(meta.join("db"))
                .unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(len / 2).unwrap();
        }),
        ("database replaced by an empty one", |meta| {
            std::fs::remove_dir_all(meta).unwrap();
            sled::open(meta).unwrap().flush().unwrap();
        }),
        ("marker rewritten", |meta| {
            std::fs::write(meta.with_file_name("meta.format"), b"something else").unwrap()
        }),
    ];
    for (what, damage) in damage {
        let (dir, registry) = fresh();
        for i in 0..50 {
            registry
                .publish(request(ACME, "dye-lot", &format!("1.0.{i}"), &[i; 2000]))
                .unwrap();
        }
        drop(registry);
        damage(&dir.path().join("meta"));
        match Registry::open(dir.path()) {
            Err(Error::Corrupt { reason, .. }) => eprintln!("{what}: {reason}"),
            Err(other) => panic!("{what}: expected Corrupt, got {other:?}"),
            Ok(_) => panic!("{what}: opened a damaged database"),
        }
    }
}

/// What search should list for `package`, computed from its full version listing.
fn expected_listing(registry: &Registry, package: &PackageName) -> Option<String> {
    registry
        .package(package)
        .unwrap()
        .versions
        .into_iter()
        .filter(|e| !e.yanked)
        .max_by_key(|e| (!e.version.is_prerelease(), e.version.clone()))
        .map(|e| e.version.to_string())
}

fn listed_by_search(registry: &Registry, package: &PackageName) -> Option<String> {
    registry
        .search(&SearchQuery {
            text: Some(package.to_string()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .find(|r| &r.name == package)
        .map(|r| r.version.to_string())
}

#[test]
fn search_listing_follows_random_publish_yank_unyank_sequences() {
    use rand::{Rng, SeedableRng};
    let (_dir, registry) = fresh();
    let package = name("listing");
    let pool = [
        "0.1.0",
        "0.2.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.1.0-beta.2",
        "2.0.0-alpha.1",
        "2.0.0",
        "0.9.0",
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_240_601);
    for step in 0..300 {
        let v = pool[rng.random_range(0..pool.len())];
        let op = rng.random_range(0..3);
        let result = match op {
            0 => registry
                .publish(request(ACME, "listing", v, v.as_bytes()))
                .map(drop),
            1 => registry.yank(ACME, &package, &ver(v)).map(drop),
            _ => registry.unyank(ACME, &package, &ver(v)).map(drop),
        };
        match result {
            Ok(()) | Err(Error::NotFound { .. }) => {}
            Err(e) => panic!("step {step}: {e}"),
        }
        if registry.package(&package).is_ok() {
            assert_eq!(
                listed_by_search(&registry, &package),
                expected_listing(&registry, &package),
                "step {step}: op {op} on {v}"
            );
        }
    }
}

#[test]
fn concurrent_yanks_and_publishes_keep_the_listing_right() {
    let (_dir, registry) = fresh();
    let package = name("racy");
    registry
        .publish(request(ACME, "racy", "1.0.0", b"1.0.0"))
        .unwrap();
    let publisher = {
        let registry = registry.clone();
        std::thread::spawn(move || {
            for minor in 1..40 {
                let v = format!("1.{minor}.0");
                registry
                    .publish(request(ACME, "racy", &v, v.as_bytes()))
                    .unwrap();
            }
        })
    };
    // Keep yanking whatever is listed while new versions arrive.
    for _ in 0..40 {
        if let Some(v) = listed_by_search(&registry, &package) {
            registry.yank(ADMIN, &package, &ver(&v)).unwrap();
        }
    }
    publisher.join().unwrap();
    assert_eq!(
        listed_by_search(&registry, &package),
        expected_listing(&registry, &package)
    );
    registry.unyank(ACME, &package, &ver("1.0.0")).unwrap();
    assert_eq!(
        listed_by_search(&registry, &package),
        expected_listing(&registry, &package)
    );
}
