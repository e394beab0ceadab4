//! Upload validation, everything a published component meets before Cranelift sees it: the
//! wasm magic, core module vs component, the top-level import list and the allow-list, the
//! code measurements behind the compile-bomb caps; then the registry's own publish checks with
//! the same bytes as the component (and, when they are text, as the descriptor and vectors
//! JSON). Never a panic; a refusal is one of the load errors.
//!
//! Built with `--features runtime` (smelt-runtime links wasmtime, which this target does not
//! exercise).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smelt_registry::{PublishRequest, Registry, Role};
use smelt_runtime::Error;

const MANIFEST: &str = include_str!("../../registry/tests/all/smelt.toml");

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<(tempfile::TempDir, Registry)> = OnceLock::new();
    &REGISTRY
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let registry = Registry::open(dir.path()).unwrap();
            let (admin, _) = registry.bootstrap_admin("fuzz-admin").unwrap();
            registry
                .create_account(&admin.name, "fuzz-provider", Role::Provider)
                .unwrap();
            (dir, registry)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    match smelt_runtime::component_imports(data) {
        Ok(imports) => {
            for name in &imports {
                let _ = smelt_runtime::import_allowed(name);
            }
        }
        Err(Error::NotWasm(m) | Error::InvalidComponent(m)) => assert!(!m.is_empty()),
        Err(Error::CoreModule) => {}
        Err(other) => panic!("unexpected refusal: {other:?}"),
    }
    match smelt_runtime::code_stats(data) {
        Ok(stats) => {
            assert!(stats.max_body_bytes <= stats.code_bytes);
            assert!(stats.code_bytes <= data.len() as u64);
        }
        Err(Error::InvalidComponent(m)) => assert!(!m.is_empty()),
        Err(other) => panic!("unexpected refusal: {other:?}"),
    }

    let text = std::str::from_utf8(data).ok();
    let published = registry().publish(PublishRequest {
        publisher: "fuzz-provider".into(),
        manifest_toml: MANIFEST.into(),
        component: data.to_vec(),
        vectors: text.map(|t| t.as_bytes().to_vec()),
        wit_version: "0.1.0".into(),
        descriptor_json: text.unwrap_or("{}").into(),
        expect: None,
    });
    if let Err(e) = published {
        assert!(
            matches!(
                e,
                smelt_registry::Error::InvalidArgument { .. }
                    | smelt_registry::Error::InvalidJson { .. }
                    | smelt_registry::Error::AlreadyExists { .. }
            ),
            "unexpected publish error: {e:?}"
        );
    }
});
