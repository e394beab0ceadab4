//! `smelt.toml` parsing: any text gives a manifest or an error naming a field, never a panic; a
//! manifest that parses is valid, and survives the JSON round trip the registry stores it by
//! (a record that does not decode back would make its package unreadable).

#![no_main]

use libfuzzer_sys::fuzz_target;
use smelt_registry::{Error, Manifest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Manifest::from_toml(text) {
        Ok(manifest) => {
            manifest
                .validate()
                .expect("from_toml returned an invalid manifest");
            manifest
                .check_identity(&manifest.package.name, &manifest.package.version)
                .expect("a manifest matches its own identity");
            let json = serde_json::to_vec(&manifest).expect("manifest serializes");
            let back: Manifest = serde_json::from_slice(&json).expect("stored manifest decodes");
            assert_eq!(back, manifest, "manifest changed in the JSON round trip");
        }
        Err(Error::InvalidManifest { field, message }) => {
            assert!(!field.is_empty() && !message.is_empty());
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
});
