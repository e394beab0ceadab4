//! Test data shared by the integration tests and the bench (which includes this file by path).

/// The manifest example of `docs/manifest.md`.
pub const MANIFEST: &str = include_str!("smelt.toml");

/// The example manifest renamed to `name@version`.
pub fn manifest(name: &str, version: &str) -> String {
    MANIFEST
        .replacen(
            "name = \"dye-lot-color-qc\"",
            &format!("name = \"{name}\""),
            1,
        )
        .replacen(
            "version = \"0.1.0\"",
            &format!("version = \"{version}\""),
            1,
        )
}
