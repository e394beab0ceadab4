//! `Registry::check_integrity`: sound after ordinary use, and each kind of damage reported.

use smelt_registry::{AnnotationKind, BlobStore, Digest, Registry};

use crate::{ACME, REVIEWER, fresh, request};

#[test]
fn a_used_registry_is_sound_and_damage_is_reported() {
    let (dir, registry) = fresh();
    let mut first = request(ACME, "dye-lot", "1.0.0", b"component one");
    first.vectors = Some(br#"{"vectors":[]}"#.to_vec());
    registry.publish(first).unwrap();
    let second = registry
        .publish(request(ACME, "dye-lot", "1.1.0", b"component two"))
        .unwrap()
        .record()
        .clone();
    registry
        .yank(ACME, &"dye-lot".parse().unwrap(), &"1.1.0".parse().unwrap())
        .unwrap();
    registry
        .annotate(
            REVIEWER,
            &"dye-lot".parse().unwrap(),
            &"1.0.0".parse().unwrap(),
            AnnotationKind::Review,
            "{}",
        )
        .unwrap();

    let report = registry.check_integrity().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    assert_eq!((report.packages, report.versions), (1, 2));
    assert_eq!(report.blobs_checked, 5);
    assert_eq!(report.publish_audits, 2);
    assert!(report.unreferenced_blobs.is_empty());

    // Blobs of a publish that never committed: reported, not a problem.
    let stray = BlobStore::open(dir.path().join("blobs"))
        .unwrap()
        .put(b"left by a crash")
        .unwrap();
    let report = registry.check_integrity().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    assert_eq!(report.unreferenced_blobs, vec![stray]);

    // A flipped byte and a missing blob are problems naming the version.
    let blobs = dir.path().join("blobs");
    let path = blobs.join(second.component.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    std::fs::remove_file(blobs.join(second.manifest_digest.hex())).unwrap();
    let report = registry.check_integrity().unwrap();
    assert_eq!(report.problems.len(), 2, "{:?}", report.problems);
    assert!(
        report.problems[0].contains("dye-lot@1.1.0: component blob")
            && report.problems[0].contains("mismatch"),
        "{}",
        report.problems[0]
    );
    assert!(
        report.problems[1].contains("dye-lot@1.1.0: manifest blob")
            && report.problems[1].contains("not found"),
        "{}",
        report.problems[1]
    );
    assert_ne!(Digest::of(&bytes), second.component);
    drop(registry);
    // The damage is still there after a reopen: nothing repaired it silently.
    let registry = Registry::open(dir.path()).unwrap();
    assert_eq!(registry.check_integrity().unwrap().problems.len(), 2);
}
