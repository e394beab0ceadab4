//! Each bad input gets its own error naming the problem.

use std::collections::BTreeSet;

use smelt_registry::{Digest, Error, PackageName, Version, VersionReq};

use crate::{ACME, fresh, request};

/// Asserts each case fails with the expected variant and a message naming the problem, and that
/// no two cases share a message.
fn check<T: std::fmt::Debug>(
    cases: &[(&str, &str)],
    parse: impl Fn(&str) -> Result<T, Error>,
    variant: impl Fn(&Error) -> bool,
) {
    let mut messages = BTreeSet::new();
    for (input, words) in cases {
        let err = parse(input).expect_err(input);
        assert!(variant(&err), "{input}: wrong variant {err:?}");
        assert!(
            err.code().starts_with("invalid_"),
            "{input}: code {}",
            err.code()
        );
        let msg = err.to_string();
        assert!(msg.contains(words), "{input}: `{msg}` lacks `{words}`");
        assert!(msg == msg.to_lowercase() || msg.contains(input), "{msg}");
        assert!(messages.insert(msg.clone()), "two cases share `{msg}`");
    }
}

#[test]
fn bad_names() {
    let long = format!("a{}", "b".repeat(64));
    check(
        &[
            ("", "2 to 64"),
            (&long, "2 to 64"),
            ("9lives", "start with a lowercase"),
            ("dye_lot", "only lowercase ascii letters, digits and '-'"),
            ("dye-", "must not end with '-'"),
            ("dye--lot", "must not contain '--'"),
            ("DyeLot", "start with a lowercase"),
            ("dye lot", "only lowercase"),
        ],
        |s| s.parse::<PackageName>(),
        |e| matches!(e, Error::InvalidName { .. }),
    );
}

#[test]
fn bad_versions_and_requirements() {
    check(
        &[
            ("1", "unexpected end of input"),
            ("1.0.0.0", "unexpected character"),
            ("v1.0.0", "unexpected character 'v'"),
            ("1.0.0+sha.1", "build metadata"),
            ("1.0.0-", "empty identifier"),
        ],
        |s| s.parse::<Version>(),
        |e| matches!(e, Error::InvalidVersion { .. }),
    );
    check(
        &[
            ("^^1", "unexpected character '^'"),
            ("1.0 <", "expected comma after minor version number"),
        ],
        |s| s.parse::<VersionReq>(),
        |e| matches!(e, Error::InvalidVersionReq { .. }),
    );
}

#[test]
fn bad_digests() {
    let hex = Digest::of(b"x").hex();
    check(
        &[
            (&hex, "must start with `sha256:`"),
            (&format!("sha512:{hex}"), "must start with `sha256:`"),
            (&format!("sha256:{}", &hex[..63]), "exactly 64 hex digits"),
            (&format!("sha256:{hex}0"), "exactly 64 hex digits"),
            (&format!("sha256:{}", hex.to_uppercase()), "lowercase hex"),
            (&format!("sha256:{}z", &hex[..63]), "lowercase hex"),
        ],
        |s| s.parse::<Digest>(),
        |e| matches!(e, Error::InvalidDigest { .. }),
    );
}

#[test]
fn bad_publish_requests_name_the_problem() {
    let (_dir, registry) = fresh();
    type Edit = fn(&mut smelt_registry::PublishRequest);
    let cases: &[(Edit, &str)] = &[
        (
            |r| r.manifest_toml = r.manifest_toml.replace("wall_ms = 1000", "wall_ms = 0"),
            "`budget.wall_ms`: expected 1..=60000, found 0",
        ),
        (
            |r| r.manifest_toml = r.manifest_toml.replace("[budget]", "[budget]\nthreads = 4"),
            "`budget.threads`: unknown field",
        ),
        (
            |r| {
                r.manifest_toml = r
                    .manifest_toml
                    .replace(r#"scenes = ["quality"]"#, r#"scenes = ["qa"]"#)
            },
            "`listing.scenes[0]`: expected one of product-design",
        ),
        (
            |r| {
                r.manifest_toml = r
                    .manifest_toml
                    .replace("name = \"dye-lot\"", "name = \"dye--lot\"")
            },
            "`package.name`: invalid name",
        ),
        (
            |r| {
                r.manifest_toml = r
                    .manifest_toml
                    .replace("version = \"1.0.0\"", "version = \"1.0\"")
            },
            "`package.version`: invalid version",
        ),
        (
            |r| r.manifest_toml = String::from("[package"),
            "`(document)`: expected valid toml",
        ),
        (
            |r| r.component.clear(),
            "invalid component: expected component bytes",
        ),
        (|r| r.wit_version = "latest".into(), "invalid wit_version"),
        (
            |r| r.descriptor_json = "{".into(),
            "invalid json in descriptor",
        ),
        (
            |r| r.vectors = Some(b"[1,".to_vec()),
            "invalid json in vectors",
        ),
    ];
    let mut seen = BTreeSet::new();
    for (edit, words) in cases {
        let mut r = request(ACME, "dye-lot", "1.0.0", b"bytes");
        edit(&mut r);
        let msg = registry.publish(r).unwrap_err().to_string();
        assert!(msg.contains(words), "`{msg}` lacks `{words}`");
        assert!(seen.insert(msg.clone()), "shared message {msg}");
    }
    // Nothing above was stored or logged.
    assert!(registry.package_names().unwrap().is_empty());
    assert_eq!(registry.verify().unwrap().records, 5);
}
